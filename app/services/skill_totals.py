"""Per-attempt totals by reading skill (``attempt_skill_totals``), kept in step with responses.

Why: mastery by reading skill for a whole course used to sum every response of the course
(1.1 M rows for 2,000 students x 30 quizzes) on each page view. An attempt's responses only
change when it is graded (submission, manual grade, override, regrade), and every one of those
ends by calling ``replace`` here (through ``app.services.scores.recompute_attempt_total``, or
directly
from the submit path); bulk loaders build rows with ``row_for`` and test helpers call
``refresh``. The dashboards then sum one row per attempt.

The rule, in one place: a response counts unless it still waits for a person (state
``needs_grading`` with no score); one that does not count is left out of earned, possible and
the number of answers alike. ``COUNTED_RESPONSE`` is the same rule in SQL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, bindparam, delete, insert, or_, select

from app.extensions import db
from app.models import (
    SKILL_COLUMNS,
    Attempt,
    AttemptSkillTotals,
    AttemptState,
    QuestionVersion,
    Response,
)

log = logging.getLogger(__name__)

# (question version id, effective score or None, max points, response state)
Mark = tuple[int, float | None, float, str]

COUNTED_RESPONSE: ColumnElement[bool] = or_(
    Response.state != "needs_grading", Response.score.is_not(None)
)

TABLE = AttemptSkillTotals.__table__
CHUNK = 1_000
# Built once: the submit path runs these for every attempt.
_DELETE = delete(TABLE).where(TABLE.c.attempt_id == bindparam("attempt_id"))
_INSERT = insert(TABLE)
_SKILLS = select(QuestionVersion.__table__.c.id, QuestionVersion.__table__.c.skill).where(
    QuestionVersion.__table__.c.id.in_(bindparam("ids", expanding=True))
)


class AttemptLike(Protocol):
    """What a row needs to know of its attempt (an ``Attempt``, a result row, or
    ``AttemptFacts``), as it is after grading."""

    @property
    def id(self) -> int: ...
    @property
    def quiz_id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def score(self) -> float | None: ...
    @property
    def state(self) -> str: ...
    @property
    def is_preview(self) -> bool: ...


@dataclass(frozen=True)
class AttemptFacts:
    """An attempt's facts for callers that hold no ``Attempt`` object (bulk loaders)."""

    id: int
    quiz_id: int
    user_id: int
    number: int
    score: float | None
    state: str = AttemptState.SUBMITTED
    is_preview: bool = False


def counts(score: float | None, state: str) -> bool:
    """Whether a response enters the skill totals (not while it waits for a person)."""
    return state != "needs_grading" or score is not None


def skills_of(version_ids: Iterable[int]) -> dict[int, str]:
    """Skill per question version id (one small query). Not cached by id: a test database
    emptied between tests hands the same ids to other questions."""
    wanted = list(set(version_ids))
    if not wanted:
        return {}
    return {vid: skill for vid, skill in db.session.execute(_SKILLS, {"ids": wanted})}


def skill_values(marks: Iterable[Mark], skills: Mapping[int, str]) -> dict[str, Any]:
    """The skill columns of a row (zero for skills not answered) from the responses' marks.
    A skill outside ``SKILL_COLUMNS`` (not a bank skill) cannot be stored; it is logged."""
    values: dict[str, Any] = {}
    for earned, possible, answers in SKILL_COLUMNS.values():
        values[earned] = values[possible] = 0.0
        values[answers] = 0
    for version_id, score, max_points, state in marks:
        if not counts(score, state):
            continue
        columns = SKILL_COLUMNS.get(skills[version_id])
        if columns is None:
            log.warning(
                "question version %s has skill %r, not a bank skill; left out of the totals",
                version_id,
                skills[version_id],
            )
            continue
        earned, possible, answers = columns
        values[earned] += score or 0.0
        values[possible] += max_points
        values[answers] += 1
    return values


def row_for(
    attempt: AttemptLike, marks: Iterable[Mark], skills: Mapping[int, str]
) -> dict[str, Any] | None:
    """The attempt's ``attempt_skill_totals`` row (pure), or None when it should have none:
    only submitted attempts that are not previews can count."""
    if attempt.state != AttemptState.SUBMITTED or attempt.is_preview:
        return None
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "user_id": attempt.user_id,
        "number": attempt.number,
        "score": attempt.score,
        **skill_values(marks, skills),
    }


def replace(
    attempt: int | AttemptLike,
    marks: Iterable[Mark],
    skills: Mapping[int, str] | None = None,
) -> None:
    """Rewrite one attempt's row from (question version id, effective score, max points,
    state) of each of its responses: one DELETE and one INSERT, no ORM objects needed.

    ``attempt`` is the attempt as it is after grading (its state and total set, flushed or
    not), or its id: an id is looked up in the session, so an attempt loaded there counts
    with its unflushed changes. ``skills`` (question version id → skill, e.g. each spec's
    ``skill``) saves the query that looks them up."""
    if isinstance(attempt, int):
        found = db.session.get(Attempt, attempt)
        if found is None:
            raise LookupError(f"no attempt {attempt}")
        attempt = found
    marks = list(marks)
    if skills is None:
        skills = skills_of(m[0] for m in marks)
    row = row_for(attempt, marks, skills)
    db.session.execute(_DELETE, {"attempt_id": attempt.id})
    if row is not None:
        db.session.execute(_INSERT, row)


def write_rows(rows: Iterable[dict[str, Any]]) -> None:
    """Insert new rows in bulk (for loaders that built them with ``row_for``)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            db.session.execute(_INSERT, batch)
            batch = []
    if batch:
        db.session.execute(_INSERT, batch)


def refresh(attempt_ids: Iterable[int] | Select[Any]) -> None:
    """Rewrite the rows of the given attempts (ids, or a SELECT of ids) from their stored
    responses: for data written without ``replace`` (test helpers, repairs)."""
    ids: Any = attempt_ids if isinstance(attempt_ids, Select) else list(attempt_ids)
    db.session.flush()
    attempts = db.session.execute(
        select(
            Attempt.id,
            Attempt.quiz_id,
            Attempt.user_id,
            Attempt.number,
            Attempt.score,
            Attempt.state,
            Attempt.is_preview,
        ).where(Attempt.id.in_(ids))
    ).all()
    marks: dict[int, list[Mark]] = defaultdict(list)
    for attempt_id, *mark in db.session.execute(
        select(
            Response.attempt_id,
            Response.question_version_id,
            Response.score,
            Response.max_points,
            Response.state,
        ).where(Response.attempt_id.in_(ids))
    ):
        marks[attempt_id].append(tuple(mark))  # type: ignore[arg-type]
    skills = skills_of(m[0] for ms in marks.values() for m in ms)
    db.session.execute(delete(TABLE).where(TABLE.c.attempt_id.in_(ids)))
    write_rows(
        row
        for a in attempts
        if (row := row_for(a, marks.get(a.id, ()), skills)) is not None  # type: ignore[arg-type]
    )


__all__ = [
    "COUNTED_RESPONSE",
    "TABLE",
    "AttemptFacts",
    "AttemptLike",
    "Mark",
    "counts",
    "refresh",
    "replace",
    "row_for",
    "skill_values",
    "skills_of",
    "write_rows",
]
