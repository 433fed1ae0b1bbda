"""Keeping scores in step: a response's effective score and an attempt's total.

The rule, in one place: a response's score is its override if an instructor set one, else its
manual grade, else its automatic grade. An attempt's total is its override if set, else the sum
of its responses' scores; it "needs grading" while any response awaits a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.extensions import db
from app.grading import Grade, grade
from app.models import Attempt, Response


def round_points(value: float) -> float:
    return round(value + 0.0, 2)


def effective_score(response: Response) -> float | None:
    for value in (response.override_score, response.manual_score, response.auto_score):
        if value is not None:
            return value
    return None


def apply_auto_grade(response: Response, spec: Mapping[str, Any]) -> Grade:
    """Grade ``response.value`` against ``spec`` and store the outcome on the response."""
    result = grade(spec, response.value)
    response.auto_score = result.points(response.max_points)
    response.state = result.state
    response.feedback = list(result.feedback)
    response.score = effective_score(response)
    return result


def needs_person(response: Response) -> bool:
    return (
        response.state == "needs_grading"
        and response.manual_score is None
        and (response.override_score is None)
    )


def recompute_attempt_total(attempt: Attempt) -> None:
    """Recompute the attempt's totals from its responses (loaded with the attempt)."""
    responses = attempt.responses
    attempt.max_score = round_points(sum(r.max_points for r in responses))
    attempt.auto_score = round_points(sum(r.score or 0.0 for r in responses))
    attempt.needs_grading = any(needs_person(r) for r in responses)
    attempt.score = (
        attempt.score_override if attempt.score_override is not None else attempt.auto_score
    )
    db.session.flush()
