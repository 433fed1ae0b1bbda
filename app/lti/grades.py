"""Assignment and Grade Services: line items per placed quiz and scores posted through an outbox.

Grading code announces changes (``app.domain.grade_events``); the listeners here mark the student's
row in ``lti_grade_sync`` pending, in the same transaction as the grade. ``send_due`` posts what
is pending (after the request that changed it, and from ``hustings lti sync``); a failure is
kept with its error and retried later with a growing delay, visible to the instructor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import g, has_app_context
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.flask import FlaskServiceConnector
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.lti import platforms
from app.models import (
    Attempt,
    AttemptState,
    LtiContext,
    LtiGradeSync,
    LtiResourceLink,
    LtiUser,
    Quiz,
    utcnow,
)
from app.services import gradebook
from app.services.analytics import ranked_attempts

log = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
MAX_BACKOFF = timedelta(hours=6)
SEND_BATCH = 200
REQUEST_TIMEOUT = 15


class ServiceConnector(FlaskServiceConnector):
    """Access tokens cached per issuer *and* client id (one issuer may register Hustings twice)."""

    def _scope_key(self, scopes: Iterable[str]) -> str:
        return f"{self._registration.get_client_id()}|{super()._scope_key(scopes)}"


def http_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "Hustings-LTI"
    original = session.request

    def with_timeout(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return original(*args, **kwargs)

    session.request = with_timeout  # type: ignore[method-assign]
    return session


def backoff(tries: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours."""
    return min(timedelta(minutes=2 ** max(tries - 1, 0)), MAX_BACKOFF)


# --- marking rows pending ------------------------------------------------------------------


def mark_pending(quiz_id: int, user_ids: Iterable[int]) -> list[int]:
    """Mark (placement, student) rows of ``quiz_id`` pending for students known to its LMS."""
    user_ids = list(user_ids)
    if not user_ids:
        return []
    pairs = db.session.execute(
        select(LtiResourceLink.id, LtiUser.user_id)
        .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
        .join(LtiUser, LtiUser.platform_id == LtiContext.platform_id)
        .where(LtiResourceLink.quiz_id == quiz_id, LtiUser.user_id.in_(user_ids))
    ).all()
    if not pairs:
        return []
    now = utcnow()
    existing = {
        (row.resource_link_id, row.user_id): row
        for row in db.session.scalars(
            select(LtiGradeSync).where(
                LtiGradeSync.resource_link_id.in_({p[0] for p in pairs}),
                LtiGradeSync.user_id.in_(user_ids),
            )
        )
    }
    marked = []
    for link_id, user_id in pairs:
        row = existing.get((link_id, user_id))
        if row is None:
            try:
                with db.session.begin_nested():
                    row = LtiGradeSync(resource_link_id=link_id, user_id=user_id)
                    db.session.add(row)
            except IntegrityError:  # a concurrent change added it first
                row = db.session.scalar(
                    select(LtiGradeSync).where(
                        LtiGradeSync.resource_link_id == link_id, LtiGradeSync.user_id == user_id
                    )
                )
                if row is None:
                    continue
        row.status = "pending"
        row.tries = 0
        row.next_try_at = now
        row.changed_at = now
        marked.append(row)
    db.session.flush()
    ids = [row.id for row in marked]
    if has_app_context():  # drained after the request (or command) commits
        g.setdefault("lti_grade_rows", []).extend(ids)
    return ids


def on_attempt_scored(attempt: Attempt) -> None:
    if attempt.is_preview or attempt.state != AttemptState.SUBMITTED:
        return
    mark_pending(attempt.quiz_id, [attempt.user_id])


def on_quiz_changed(quiz: Quiz) -> None:
    """Points may have changed: line items learn the new maximum when grades are next sent."""
    links = list(
        db.session.scalars(select(LtiResourceLink).where(LtiResourceLink.quiz_id == quiz.id))
    )
    if not links:
        return
    students = db.session.scalars(
        select(Attempt.user_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.SUBMITTED,
            Attempt.is_preview.is_(False),
        )
        .distinct()
    )
    mark_pending(quiz.id, list(students))


def take_pending() -> list[int]:
    """Rows this request marked pending, forgotten once taken."""
    if not has_app_context():
        return []
    return list(dict.fromkeys(g.pop("lti_grade_rows", [])))


# --- what to post --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreToPost:
    score: float | None
    maximum: float
    activity: str
    grading: str
    submitted_at: datetime | None


def quiz_maximum(quiz: Quiz) -> float:
    """The quiz's points possible, as the gradebook export counts them."""
    return gradebook.quiz_columns([quiz])[0].max_points


def score_for(quiz: Quiz, user_id: int) -> ScoreToPost:
    """The grade that counts under the quiz's grading method, as the gradebook shows it."""
    r = ranked_attempts(quiz.course_id, [quiz.id], user_id)
    row = db.session.execute(select(r).where(r.c.rk == 1)).first()
    maximum = quiz_maximum(quiz)
    if row is None:
        open_attempt = db.session.scalar(
            select(Attempt.id).where(
                Attempt.quiz_id == quiz.id,
                Attempt.user_id == user_id,
                Attempt.state == AttemptState.IN_PROGRESS,
                Attempt.is_preview.is_(False),
            )
        )
        activity = "InProgress" if open_attempt else "Initialized"
        return ScoreToPost(None, maximum, activity, "NotReady", None)
    average = row.method == "average"
    grade = row.avg_score if average else row.score
    grade_max = (row.avg_max if average else row.max_score) or maximum
    return ScoreToPost(
        score=None if grade is None else round(float(grade), 4),
        maximum=float(grade_max),
        activity="Completed",
        grading="PendingManual" if row.any_needs_grading else "FullyGraded",
        submitted_at=row.submitted_at,
    )


# --- sending -------------------------------------------------------------------------------


def _ags(context: LtiContext, lineitem_url: str | None) -> AssignmentsGradesService:
    registration = platforms.registration_for(context.platform)
    connector = ServiceConnector(registration, http_session())
    data: dict[str, Any] = {
        "scope": list(context.ags_scopes or []),
        "lineitems": context.lineitems_url,
    }
    if lineitem_url:
        data["lineitem"] = lineitem_url
    return AssignmentsGradesService(connector, data)  # type: ignore[arg-type]


def ensure_lineitem(link: LtiResourceLink, quiz: Quiz) -> str:
    """The link's line item URL: the one the LMS gave, or one Hustings creates (and keeps) for
    the placement; its maximum is brought in step with the quiz's points."""
    context = link.context
    maximum = quiz_maximum(quiz)
    if link.lineitem_url is None:
        service = _ags(context, None)
        if not context.lineitems_url or not service.can_create_lineitem():
            raise LtiException(
                "The LMS gave no line item for this link and does not let Hustings create one "
                "(AGS line item scope); turn on Assignment and Grade Services for the tool."
            )
        item = service.find_or_create_lineitem(
            LineItem()
            .set_label(quiz.title)
            .set_score_maximum(maximum or 1)
            .set_resource_id(f"hustings-quiz-{quiz.id}")
            .set_resource_link_id(link.resource_link_id)
            .set_tag(f"hustings-link-{link.id}"),
            find_by="tag",
        )
        link.lineitem_url = item.get_id()
        link.score_maximum = item.get_score_maximum()
    if maximum and link.score_maximum != maximum and LINEITEM_SCOPE in (context.ags_scopes or []):
        update_lineitem_maximum(link, quiz, maximum)
    assert link.lineitem_url is not None
    return link.lineitem_url


def update_lineitem_maximum(link: LtiResourceLink, quiz: Quiz, maximum: float) -> None:
    """PUT the line item with the quiz's current points possible and title."""
    service = _ags(link.context, link.lineitem_url)
    current = service.get_lineitem(link.lineitem_url)
    body = {
        "id": link.lineitem_url,
        "label": current.get_label() or quiz.title,
        "scoreMaximum": maximum,
    }
    for key, value in (
        ("resourceId", current.get_resource_id()),
        ("resourceLinkId", current.get_resource_link_id()),
        ("tag", current.get_tag()),
    ):
        if value:
            body[key] = value
    connector = ServiceConnector(platforms.registration_for(link.context.platform), http_session())
    token = connector.get_access_token(list(link.context.ags_scopes or []))
    response = http_session().put(
        link.lineitem_url or "",
        json=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/vnd.ims.lis.v2.lineitem+json",
            "Accept": "application/vnd.ims.lis.v2.lineitem+json",
        },
    )
    if not response.ok:
        raise LtiException(f"the LMS refused the new points possible (HTTP {response.status_code})")
    link.score_maximum = maximum


def send_one(row: LtiGradeSync, now: datetime) -> None:
    """Post the current score of ``row``'s student to its line item; raise on failure."""
    link = row.resource_link
    context = link.context
    if SCORE_SCOPE not in (context.ags_scopes or []):
        raise LtiException(
            "The LMS did not grant Hustings the score scope; turn on Assignment and Grade "
            "Services for the tool in the LMS."
        )
    sub = db.session.scalar(
        select(LtiUser.sub).where(
            LtiUser.platform_id == context.platform_id, LtiUser.user_id == row.user_id
        )
    )
    if sub is None:
        raise LtiException("this student has no LMS identity on the placement's platform")
    quiz = link.quiz
    lineitem_url = ensure_lineitem(link, quiz)
    post = score_for(quiz, row.user_id)
    grade = (
        Grade()
        .set_user_id(sub)
        .set_activity_progress(post.activity)
        .set_grading_progress(post.grading)
        .set_timestamp(now.isoformat(timespec="milliseconds"))
    )
    if post.score is not None:
        grade.set_score_given(post.score).set_score_maximum(post.maximum)
    if post.submitted_at is not None:
        grade.set_submitted_at(post.submitted_at.isoformat(timespec="seconds"))
    _ags(context, lineitem_url).put_grade(grade, LineItem().set_id(lineitem_url))
    row.sent_score = post.score


def _error_text(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    message = str(exc) or type(exc).__name__
    return (f"HTTP {status}: {message}" if status else message)[:1000]


def send_due(now: datetime | None = None, *, ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Post pending rows (and failed ones whose retry time has come); returns (sent, failed).

    Each row's outcome is flushed; the caller commits."""
    now = now or utcnow()
    query = select(LtiGradeSync).where(
        LtiGradeSync.status.in_(("pending", "failed")), LtiGradeSync.next_try_at <= now
    )
    if ids is not None:
        query = query.where(LtiGradeSync.id.in_(list(ids)))
    sent = failed = 0
    for row in list(db.session.scalars(query.order_by(LtiGradeSync.id).limit(SEND_BATCH))):
        try:
            send_one(row, now)
        except (LtiException, requests.RequestException, ValueError, KeyError) as exc:
            row.tries += 1
            row.status = "failed"
            row.last_error = _error_text(exc)
            row.next_try_at = now + backoff(row.tries)
            failed += 1
            log.warning("grade passback for sync row %s failed: %s", row.id, row.last_error)
        else:
            row.status = "sent"
            row.sent_at = now
            row.last_error = ""
            row.tries = 0
            sent += 1
        db.session.flush()
    return sent, failed


def retry_now(course_id: int) -> list[int]:
    """Make the course's failed rows due at once (the instructor's "retry now")."""
    rows = db.session.scalars(
        select(LtiGradeSync)
        .join(LtiResourceLink, LtiResourceLink.id == LtiGradeSync.resource_link_id)
        .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
        .where(LtiContext.course_id == course_id, LtiGradeSync.status == "failed")
    ).all()
    now = utcnow()
    for row in rows:
        row.next_try_at = now
    db.session.flush()
    return [row.id for row in rows]
