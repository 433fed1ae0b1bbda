"""Score a response against a canonical question spec (see docs/dev/contracts.md).

Pure: no Flask, no database. Responses come from the browser, so every grader accepts any JSON
value and never raises: a value of the wrong shape counts as unanswered, unknown ids as wrong picks.
Each type's rule lives in its module of ``app.domain.question_types`` (documented in
question_banks/README.md); this module picks the grader and combines attempts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.domain import question_types
from app.domain.question_types.base import UNANSWERED, Grade, normalise_answer

__all__ = [
    "GRADERS",
    "GRADING_METHODS",
    "STATES",
    "UNANSWERED",
    "Grade",
    "aggregate_attempt_scores",
    "grade",
    "normalise_answer",
]

STATES = ("correct", "partial", "wrong", "unanswered", "needs_grading")
GRADING_METHODS = ("highest", "last", "average", "first")

GRADERS: dict[str, Callable[[Mapping[str, Any], Any], Grade]] = {
    name: t.grade for name, t in question_types.TYPES.items()
}


def _is_blank(response: Any) -> bool:
    return response is None or (isinstance(response, str | list | dict) and not response)


def grade(spec: Mapping[str, Any], response: Any) -> Grade:
    """Grade `response` against a canonical spec. Raises only for a spec of unknown type
    (specs are validated when loaded); any response value is accepted."""
    try:
        grader = GRADERS[spec["type"]]
    except (KeyError, TypeError):
        raise ValueError(f"unknown question type {spec.get('type')!r}") from None
    if _is_blank(response):
        return UNANSWERED
    return grader(spec, response)


def aggregate_attempt_scores(method: str, scores: Sequence[float]) -> float | None:
    """Combine the scores of submitted attempts (in attempt order) by the quiz's grading method;
    None when there is no submitted attempt."""
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}; expected one of {GRADING_METHODS}")
    if not scores:
        return None
    if method == "highest":
        return max(scores)
    if method == "last":
        return scores[-1]
    if method == "first":
        return scores[0]
    return round(math.fsum(scores) / len(scores), 6)
