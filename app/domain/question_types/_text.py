"""Typed text answers (short answer, essay): one cleaning rule with a length limit. Pure."""

from __future__ import annotations

import unicodedata
from typing import Any

from app.domain.question_types.base import InvalidAnswer
from app.domain.text import find_problem


def clean_text(raw: Any, limit: int) -> str | None:
    if not isinstance(raw, str):
        raise InvalidAnswer("Type your answer as text.")
    if len(raw) > limit:
        raise InvalidAnswer(f"The answer is too long (at most {limit:,} characters).")
    problem = find_problem(raw)
    if problem is not None:
        raise InvalidAnswer(problem.message("The answer"))
    raw = unicodedata.normalize("NFC", raw)
    return raw if raw.strip() else None
