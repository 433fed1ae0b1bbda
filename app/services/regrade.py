"""Regrade after an answer-key fix: dry run first, then apply.

When a corrected bank is loaded, the fixed question gets a new version. Attempts keep pointing at
the version they answered (that is what the student saw), but a regrade re-scores their answers
with the NEW version's key through ``app.domain.grading.grade``. Manual grades and overrides win
over the
automatic score (``app.services.scores``), so they are kept: the regrade only replaces
``auto_score``.

The dry run and the apply share one computation, so what you see is what you get. Applying twice
changes nothing the second time (no score moves, so no audit rows are written). Each response whose
automatic or effective score changes gets a ``GradeChange(kind="regrade")``. Max points stay what
they were when the attempt started; in-progress attempts are graded at submission against the
version they started with, so run the regrade again after they are submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.domain.grading import grade
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Attempt,
    AttemptState,
    GradeChange,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    User,
)
from app.services import scores


class RegradeError(ValueError):
    pass


@dataclass(frozen=True)
class ResponseChange:
    response_id: int
    question_key: str
    answered_version: int
    new_version: int
    old_auto: float | None
    new_auto: float | None
    old_state: str
    new_state: str
    old_score: float | None
    new_score: float | None
    kept: str | None  # "override" or "manual" when a person's score still wins


@dataclass
class AttemptChange:
    attempt_id: int
    student: str
    number: int
    old_total: float | None
    new_total: float | None
    total_overridden: bool
    responses: list[ResponseChange] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return scores.round_points((self.new_total or 0.0) - (self.old_total or 0.0))


@dataclass
class RegradePlan:
    quiz_id: int
    question_keys: list[str]
    versions: dict[str, int]
    attempts: list[AttemptChange]
    examined: int
    in_progress: int

    @property
    def changed_responses(self) -> int:
        return sum(len(a.responses) for a in self.attempts)


def regradable_questions(quiz: Quiz) -> list[tuple[Question, int, int]]:
    """Questions answered in ``quiz``, with the oldest answered version and the latest version."""
    rows = db.session.execute(
        select(Question, func.min(QuestionVersion.version), Question.latest_version)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(Response, Response.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.quiz_id == quiz.id)
        .group_by(Question.id)
        .order_by(Question.key)
    ).all()
    return [(q, oldest, latest) for q, oldest, latest in rows]


def plan_regrade(quiz: Quiz, question_keys: Sequence[str]) -> RegradePlan:
    """Which submitted attempts change, and by how much, if the questions are regraded."""
    keys = sorted({k.strip() for k in question_keys if k and k.strip()})
    if not keys:
        raise RegradeError("Choose at least one question to regrade.")
    questions = {
        q.key: q for q in db.session.scalars(select(Question).where(Question.key.in_(keys)))
    }
    missing = [k for k in keys if k not in questions]
    if missing:
        raise RegradeError(f"No question has the id {', '.join(missing)}.")
    latest = {
        v.question_id: v
        for v in db.session.scalars(
            select(QuestionVersion)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(Question.key.in_(keys), QuestionVersion.version == Question.latest_version)
        )
    }
    question_ids = [q.id for q in questions.values()]
    attempts = list(
        db.session.scalars(
            select(Attempt)
            .join(Response, Response.attempt_id == Attempt.id)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .where(
                Attempt.quiz_id == quiz.id,
                Attempt.is_preview.is_(False),
                QuestionVersion.question_id.in_(question_ids),
            )
            .options(
                selectinload(Attempt.responses).selectinload(Response.question_version),
                selectinload(Attempt.user),
            )
            .distinct()
            .order_by(Attempt.id)
        )
    )
    changes: list[AttemptChange] = []
    examined = in_progress = 0
    key_of = {q.id: q.key for q in questions.values()}
    for attempt in attempts:
        if attempt.state != AttemptState.SUBMITTED:
            in_progress += 1
            continue
        change = AttemptChange(
            attempt_id=attempt.id,
            student=attempt.user.name,
            number=attempt.number,
            old_total=attempt.score,
            new_total=attempt.score,
            total_overridden=attempt.score_override is not None,
        )
        new_sum = 0.0
        for response in attempt.responses:
            version = response.question_version
            if version.question_id not in latest:
                new_sum += response.score or 0.0
                continue
            examined += 1
            target = latest[version.question_id]
            result = grade(target.spec, response.value)
            new_auto = result.points(response.max_points)
            kept = (
                "override"
                if response.override_score is not None
                else "manual"
                if response.manual_score is not None
                else None
            )
            new_score = next(
                (
                    v
                    for v in (response.override_score, response.manual_score, new_auto)
                    if v is not None
                ),
                None,
            )
            new_sum += new_score or 0.0
            if new_auto == response.auto_score and result.state == response.state:
                continue
            change.responses.append(
                ResponseChange(
                    response_id=response.id,
                    question_key=key_of[version.question_id],
                    answered_version=version.version,
                    new_version=target.version,
                    old_auto=response.auto_score,
                    new_auto=new_auto,
                    old_state=response.state,
                    new_state=result.state,
                    old_score=response.score,
                    new_score=new_score,
                    kept=kept,
                )
            )
        if change.responses:
            if attempt.score_override is None:
                change.new_total = scores.round_points(new_sum)
            changes.append(change)
    return RegradePlan(
        quiz_id=quiz.id,
        question_keys=keys,
        versions={key_of[qid]: v.version for qid, v in latest.items()},
        attempts=changes,
        examined=examined,
        in_progress=in_progress,
    )


def apply_regrade(quiz: Quiz, question_keys: Sequence[str], by: User | None) -> RegradePlan:
    """Recompute the plan and write it: new automatic scores, audit rows, attempt totals."""
    plan = plan_regrade(quiz, question_keys)
    if not plan.attempts:
        return plan
    response_ids = [rc.response_id for ac in plan.attempts for rc in ac.responses]
    responses = {
        r.id: r
        for r in db.session.scalars(
            select(Response)
            .where(Response.id.in_(response_ids))
            .options(selectinload(Response.question_version))
        )
    }
    specs = {
        (q_id, ver): spec
        for q_id, ver, spec in db.session.execute(
            select(QuestionVersion.question_id, QuestionVersion.version, QuestionVersion.spec)
            .join(
                Question,
                CURRENT_VERSION,
            )
            .where(Question.key.in_(plan.question_keys))
        )
    }
    attempts = {
        a.id: a
        for a in db.session.scalars(
            select(Attempt).where(Attempt.id.in_([ac.attempt_id for ac in plan.attempts]))
        )
    }
    for attempt_change in plan.attempts:
        for rc in attempt_change.responses:
            response = responses[rc.response_id]
            spec = specs[(response.question_version.question_id, rc.new_version)]
            result = grade(spec, response.value)
            response.auto_score = result.points(response.max_points)
            response.state = result.state
            response.feedback = list(result.feedback)
            response.score = scores.effective_score(response)
            reason = (
                f"Regraded against version {rc.new_version} of {rc.question_key} "
                f"(answered on version {rc.answered_version}): automatic score "
                f"{_points(rc.old_auto)} → {_points(rc.new_auto)}"
            )
            if rc.kept:
                reason += f"; the {rc.kept} score is kept"
            db.session.add(
                GradeChange(
                    attempt_id=response.attempt_id,
                    response_id=response.id,
                    changed_by_id=by.id if by else None,
                    kind="regrade",
                    old_score=rc.old_score,
                    new_score=response.score,
                    reason=reason + ".",
                )
            )
        scores.recompute_attempt_total(attempts[attempt_change.attempt_id])
    db.session.flush()
    return plan


def _points(value: float | None) -> str:
    return "awaiting a person" if value is None else f"{value:g}"
