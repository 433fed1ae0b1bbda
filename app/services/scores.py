"""Keeping scores in step: a response's effective score and an attempt's total.

The rule, in one place: a response's score is its override if an instructor set one, else its
manual grade, else its automatic grade. An attempt's total is its override if set, else the sum
of its responses' scores; it "needs grading" while any response awaits a person. Its per-skill
totals (``app.services.skill_totals``) are rewritten at the same moment, so they never drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain import grade_events
from app.domain.grading import grade
from app.domain.points import round_half_up
from app.extensions import db
from app.models import Attempt, Response
from app.services import skill_totals


def round_points(value: float) -> float:
    """Stored points: half up to 2 decimals (app.domain.points), never -0.0."""
    return float(round_half_up(value)) + 0.0


def first_set(override: float | None, manual: float | None, auto: float | None) -> float | None:
    """The effective score from its three sources (the rule above)."""
    for value in (override, manual, auto):
        if value is not None:
            return value
    return None


def effective_score(response: Response) -> float | None:
    return first_set(response.override_score, response.manual_score, response.auto_score)


@dataclass(frozen=True)
class AutoMark:
    """The automatic grading of one answer, ready to store on its response."""

    auto_score: float | None
    state: str
    feedback: list[str]


def auto_mark(spec: Mapping[str, Any], value: Any, max_points: float) -> AutoMark:
    result = grade(spec, value)
    return AutoMark(result.points(max_points), result.state, list(result.feedback))


def apply_auto_grade(response: Response, spec: Mapping[str, Any]) -> AutoMark:
    """Grade ``response.value`` against ``spec`` and store the outcome on the response."""
    mark = auto_mark(spec, response.value, response.max_points)
    response.auto_score = mark.auto_score
    response.state = mark.state
    response.feedback = mark.feedback
    response.score = effective_score(response)
    return mark


def waits_for_person(state: str, manual: float | None, override: float | None) -> bool:
    return state == "needs_grading" and manual is None and override is None


def needs_person(response: Response) -> bool:
    return waits_for_person(response.state, response.manual_score, response.override_score)


def totals(marks: Iterable[tuple[float | None, float, bool]]) -> tuple[float, float, bool]:
    """(max score, automatic total, needs grading) from each response's (score, max points,
    waits for a person)."""
    possible = earned = 0.0
    waiting = False
    for score, max_points, waits in marks:
        possible += max_points
        earned += score or 0.0
        waiting = waiting or waits
    return round_points(possible), round_points(earned), waiting


def set_attempt_totals(attempt: Attempt, marks: Iterable[tuple[float | None, float, bool]]) -> None:
    attempt.max_score, attempt.auto_score, attempt.needs_grading = totals(marks)
    attempt.score = (
        attempt.score_override if attempt.score_override is not None else attempt.auto_score
    )


def recompute_attempt_total(attempt: Attempt) -> None:
    """Recompute the attempt's totals and per-skill totals from its responses (loaded with the
    attempt). Every grading path ends here, which keeps ``attempt_skill_totals`` in step."""
    responses = attempt.responses
    set_attempt_totals(attempt, ((r.score, r.max_points, needs_person(r)) for r in responses))
    skill_totals.replace(
        attempt, ((r.question_version_id, r.score, r.max_points, r.state) for r in responses)
    )
    db.session.flush()
    grade_events.attempt_scored(attempt)
