"""Grading by hand, overrides and the audit trail.

A person grades what the machine cannot: essays, and short answers flagged ``manual_review`` that
matched no accepted answer (both have state ``needs_grading``). An instructor may also override
any question score or an attempt's total, always with a reason. Every change writes a
``GradeChange`` row (who, when, old, new, why) and recomputes the attempt total through
``app.services.scores``, the one place that decides which score wins (override, then manual, then
auto).
Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from app.domain.banks import rubrics
from app.domain.points import parse_points
from app.extensions import db
from app.models import (
    Attempt,
    AttemptState,
    GradeChange,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    User,
    utcnow,
)
from app.services import scores

MAX_COMMENT = 5000
MAX_REASON = 1000
QUEUE_ORDERS = ("question", "student")


class GradingError(ValueError):
    """Grading input refused, with a message per field (``""`` for the whole form)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class QueueItem:
    response_id: int
    attempt_id: int
    attempt_number: int
    student_id: int
    student_name: str
    question_key: str
    question_id: int
    position: int
    max_points: float
    graded: bool
    score: float | None
    question_type: str


def _queue_query(quiz: Quiz) -> Select[Any]:
    return (
        select(Response, Attempt, User, QuestionVersion, Question)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.SUBMITTED,
            Attempt.is_preview.is_(False),
            Response.state == "needs_grading",
        )
    )


def grading_queue(
    quiz: Quiz,
    *,
    order: str = "question",
    question_id: int | None = None,
    student_id: int | None = None,
    pending_only: bool = False,
) -> list[QueueItem]:
    """Responses that need (or needed) a person, by question or by student, in one query.

    Graded ones stay in the list (marked) so next/previous walk a stable order."""
    query = _queue_query(quiz)
    if question_id is not None:
        query = query.where(Question.id == question_id)
    if student_id is not None:
        query = query.where(User.id == student_id)
    if order == "student":
        query = query.order_by(User.name, User.id, Attempt.number, Response.position)
    else:
        query = query.order_by(Question.key, User.name, User.id, Attempt.number)
    items = []
    for response, attempt, user, version, question in db.session.execute(query).all():
        graded = response.manual_score is not None or response.override_score is not None
        if pending_only and graded:
            continue
        items.append(
            QueueItem(
                response_id=response.id,
                attempt_id=attempt.id,
                attempt_number=attempt.number,
                student_id=user.id,
                student_name=user.name,
                question_key=question.key,
                question_id=question.id,
                position=response.position,
                max_points=response.max_points,
                graded=graded,
                score=response.score,
                question_type=version.type,
            )
        )
    return items


def neighbours(
    items: list[QueueItem], response_id: int
) -> tuple[QueueItem | None, QueueItem | None, QueueItem | None]:
    """(previous, next, next still pending) around ``response_id`` in the queue order."""
    index = next((i for i, item in enumerate(items) if item.response_id == response_id), None)
    if index is None:
        pending = next((item for item in items if not item.graded), None)
        return None, None, pending
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    later = [item for item in items[index + 1 :] + items[:index] if not item.graded]
    return previous, following, (later[0] if later else None)


# --- recording grades ---------------------------------------------------------------------------


def _check_submitted(response: Response) -> None:
    if response.attempt.state != AttemptState.SUBMITTED:
        raise GradingError("This attempt is still in progress; grade it once it is submitted.")


def _check_text(value: str, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise GradingError({field: "Give a reason: it is kept in the audit trail."})
    if len(text) > limit:
        raise GradingError({field: f"Use at most {limit} characters."})
    return text


def rubric_of(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(c) for c in spec.get("rubric") or ()]


def record_manual_grade(
    response: Response,
    grader: User,
    *,
    criterion_scores: Mapping[str, Any] | None = None,
    levels: Mapping[str, Any] | None = None,
    score: Any = None,
    comment: str = "",
) -> GradeChange:
    """Store a person's grade for a response needing one.

    With a rubric, each criterion gets 0..its points (2 dp) and the total is scaled to the slot's
    points (the rubric adds up to the question's own points). Without one, ``score`` is
    0..max points. For a criterion with levels the grader clicks a level (``levels["level_<i>"]``);
    its points count unless points are entered too (an adjustment, explained in the comment).
    Comments go to the student with the review."""
    _check_submitted(response)
    if response.state != "needs_grading":
        raise GradingError(
            "This answer was graded automatically; use an override (with a reason) to change it."
        )
    comment = _check_text(comment, "comment", MAX_COMMENT, required=False)
    spec = response.question_version.spec
    rubric = rubric_of(spec)
    errors: dict[str, str] = {}
    rubric_scores: dict[str, float] | None = None
    rubric_levels: dict[str, float] | None = None
    if rubric:
        given = criterion_scores or {}
        clicked = levels or {}
        rubric_scores = {}
        rubric_levels = {}
        for index, criterion in enumerate(rubric):
            name = f"criterion_{index}"
            level = None
            if criterion.get("levels"):
                try:
                    level = rubrics.parse_level(criterion, clicked.get(f"level_{index}"))
                except ValueError as exc:
                    errors[f"level_{index}"] = str(exc)
                    continue
            raw = given.get(name)
            if level is not None and (raw is None or str(raw).strip() == ""):
                rubric_scores[criterion["criterion"]] = level
            elif criterion.get("levels") and (raw is None or str(raw).strip() == ""):
                errors[f"level_{index}"] = "Click a level (or enter points below it)."
                continue
            else:
                try:
                    rubric_scores[criterion["criterion"]] = parse_points(
                        raw, float(criterion["points"]), allow_zero=True
                    )
                except ValueError as exc:
                    errors[name] = str(exc)
            if level is not None:
                rubric_levels[criterion["criterion"]] = level
        if errors:
            raise GradingError(errors)
        total = sum(rubric_scores.values())
        rubric_total = sum(float(c["points"]) for c in rubric) or 1.0
        new_score = scores.round_points(total * response.max_points / rubric_total)
    else:
        try:
            new_score = parse_points(score, response.max_points, allow_zero=True)
        except ValueError as exc:
            raise GradingError({"score": str(exc)}) from None
    old = response.score
    response.manual_score = new_score
    response.rubric_scores = rubric_scores
    response.rubric_levels = rubric_levels or None
    response.comment = comment
    response.graded_by_id = grader.id
    response.graded_at = utcnow()
    return _rescore(response, grader, "manual", old, comment[:MAX_REASON])


def _rescore(
    response: Response, by: User, kind: str, old: float | None, reason: str
) -> GradeChange:
    """After a manual grade or override: the new effective score, its audit record, the total."""
    response.score = scores.effective_score(response)
    change = GradeChange(
        attempt_id=response.attempt_id,
        response_id=response.id,
        changed_by_id=by.id,
        kind=kind,
        old_score=old,
        new_score=response.score,
        reason=reason,
    )
    db.session.add(change)
    scores.recompute_attempt_total(response.attempt)
    return change


def _requested_override(
    value: Any, maximum: float, current: float | None, field: str, missing: str
) -> float | None:
    """The override a form asks for: a score within 0..maximum, or None (blank) to clear the
    current one; a blank with nothing to clear is an error on ``field``."""
    if value is not None and str(value).strip() != "":
        try:
            return parse_points(value, maximum, allow_zero=True)
        except ValueError as exc:
            raise GradingError({field: str(exc)}) from None
    if current is None:
        raise GradingError({field: missing})
    return None


def override_response(response: Response, by: User, score: Any, reason: str) -> GradeChange:
    """Override one question's score (``score`` None or "" clears the override)."""
    _check_submitted(response)
    reason = _check_text(reason, "reason", MAX_REASON, required=True)
    new_override = _requested_override(
        score, response.max_points, response.override_score, "score", "Enter the new score."
    )
    old = response.score
    response.override_score = new_override
    return _rescore(response, by, "override", old, reason)


def override_attempt(
    attempt: Attempt, by: User, total: Any, reason: str, *, extra_credit: bool = False
) -> GradeChange:
    """Override an attempt's total (None or "" clears it, back to the sum of its questions).

    A total above the attempt's maximum is refused unless the instructor marks the override
    as extra credit (up to twice the maximum); it is then recorded as such in the audit
    trail and exported as it stands (docs/exports.md: Canvas keeps it, Moodle caps it unless
    its "Unlimited grades" setting is on)."""
    if attempt.state != AttemptState.SUBMITTED:
        raise GradingError("This attempt is still in progress.")
    reason = _check_text(reason, "reason", MAX_REASON, required=True)
    ceiling = 2 * attempt.max_score if extra_credit else attempt.max_score
    try:
        new_override = _requested_override(
            total, ceiling, attempt.score_override, "total", "Enter the new total."
        )
    except GradingError as exc:
        if not extra_credit and "total" in exc.errors:
            exc.errors["total"] += " To give extra credit above the maximum, tick “Extra credit”."
        raise
    if extra_credit and (new_override is None or new_override <= attempt.max_score):
        raise GradingError(
            {"total": f"Extra credit is a total above the maximum of {attempt.max_score:g}."}
        )
    old = attempt.score
    attempt.score_override = new_override
    scores.recompute_attempt_total(attempt)
    change = GradeChange(
        attempt_id=attempt.id,
        response_id=None,
        changed_by_id=by.id,
        kind="extra_credit" if extra_credit else "attempt_override",
        old_score=old,
        new_score=attempt.score,
        reason=reason,
    )
    db.session.add(change)
    db.session.flush()
    return change


# --- the audit trail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    kind: str
    old_score: float | None
    new_score: float | None
    reason: str
    changed_by: str
    student: str
    attempt_id: int
    attempt_number: int
    question_key: str | None
    position: int | None


def audit_trail(*, quiz: Quiz | None = None, attempt: Attempt | None = None) -> list[AuditEntry]:
    """Every grade change of a quiz or of one attempt, newest first, in one query."""
    changer = aliased(User)
    student = aliased(User)
    query = (
        select(
            GradeChange, changer.name, student.name, Attempt.number, Question.key, Response.position
        )
        .join(Attempt, Attempt.id == GradeChange.attempt_id)
        .join(student, student.id == Attempt.user_id)
        .outerjoin(changer, changer.id == GradeChange.changed_by_id)
        .outerjoin(Response, Response.id == GradeChange.response_id)
        .outerjoin(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .outerjoin(Question, Question.id == QuestionVersion.question_id)
        .order_by(GradeChange.created_at.desc(), GradeChange.id.desc())
    )
    if attempt is not None:
        query = query.where(GradeChange.attempt_id == attempt.id)
    elif quiz is not None:
        query = query.where(Attempt.quiz_id == quiz.id)
    else:
        raise ValueError("give a quiz or an attempt")
    return [
        AuditEntry(
            id=change.id,
            created_at=change.created_at,
            kind=change.kind,
            old_score=change.old_score,
            new_score=change.new_score,
            reason=change.reason,
            changed_by=changer_name or "system",
            student=student_name,
            attempt_id=change.attempt_id,
            attempt_number=number,
            question_key=key,
            position=position,
        )
        for change, changer_name, student_name, number, key, position in db.session.execute(query)
    ]


def attempt_responses(attempt: Attempt) -> list[tuple[Response, QuestionVersion, Question]]:
    """An attempt's responses with their versions and questions, in one query."""
    return [
        (r, v, q)
        for r, v, q in db.session.execute(
            select(Response, QuestionVersion, Question)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(Response.attempt_id == attempt.id)
            .order_by(Response.position)
        ).all()
    ]


def quiz_attempts(quiz: Quiz) -> list[tuple[Attempt, User]]:
    """Submitted real attempts of ``quiz`` with their students (for the grading overview)."""
    return [
        (a, u)
        for a, u in db.session.execute(
            select(Attempt, User)
            .join(User, User.id == Attempt.user_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.is_preview.is_(False))
            .order_by(User.name, User.id, Attempt.number)
        ).all()
    ]
