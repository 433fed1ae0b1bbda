"""Attempt services: start or resume, save a response, submit, finalise overdue attempts.

Services flush and never commit; the view or CLI command that calls them commits. They take
``now`` explicitly so that tests, the sweeper and demo scripts can drive time, and they never
touch the request, so a script can take a quiz with them. This module holds the rules; every
statement, lock and cache they use is in ``app.services.attempt_store``, and an attempt is
passed as the store's ``AttemptRecord`` or, from scripts and the pages that show scores, as the
ORM ``Attempt``.

Concurrency rules, enforced by the database rather than by hope:
- one open attempt per student and quiz: the partial unique index ``uq_attempt_one_open``; a
  start that loses a race rolls back its savepoint and resumes the winner's attempt;
- saves and submits of one attempt are serialised by locking the attempt row (``FOR UPDATE`` on
  PostgreSQL; SQLite write transactions are serialised by ``BEGIN IMMEDIATE``), so a submit
  grades exactly the answers saved before it and a save after it is refused;
- a response keeps the last accepted client sequence number; an older tab's save is refused.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from app.domain import deadlines, grade_events, question_types, review
from app.domain.allowances import Allowance, allowance
from app.domain.attempt_view import (
    InvalidAnswer,
    SourceView,
    clean_value,
    evidence_source,
    form_value,
    from_page,
    is_answered,
    make_layout,
)
from app.domain.banks import exclusions
from app.domain.grading import aggregate_attempt_scores
from app.domain.quiz_articles import question_sources
from app.extensions import db
from app.models import (
    Accommodation,
    Attempt,
    AttemptState,
    Quiz,
    Response,
    User,
)
from app.services import attempt_store as store
from app.services import quizzes, skill_totals
from app.services.attempt_store import AnyAttempt, AttemptRecord
from app.services.quiz_maximum import draw_points
from app.services.scores import (
    auto_mark,
    first_set,
    round_points,
    set_attempt_totals,
    waits_for_person,
)

log = logging.getLogger(__name__)

__all__ = [
    "AttemptClosed",
    "AttemptError",
    "AttemptRecord",
    "FormSave",
    "GradingFailed",
    "InvalidAnswer",
    "NotAvailable",
    "Saved",
    "StaleWrite",
    "UnknownQuestion",
    "answer",
    "close_overdue",
    "finalise_if_overdue",
    "save_form",
    "save_response",
    "start_or_resume",
    "submit",
]


class AttemptError(Exception):
    """A refusal with a message fit to show the student; ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAvailable(AttemptError):
    status = 403


class AttemptClosed(AttemptError):
    status = 409


class StaleWrite(AttemptError):
    status = 409


class UnknownQuestion(AttemptError):
    status = 404


class GradingFailed(AttemptError):
    """Grading raised: the submit was rolled back and the attempt flagged (commit the flag)."""

    status = 500


# --- configuration --------------------------------------------------------------------------


def grace_seconds() -> float:
    """``ATTEMPT_GRACE_SECONDS`` from the app config (60 outside an app)."""
    if has_app_context():
        return float(current_app.config.get("ATTEMPT_GRACE_SECONDS", 60))
    return 60.0


def evidence_refs(spec: dict[str, Any], sources: Sequence[SourceView]) -> list[str]:
    source = evidence_source(spec, sources)
    if source is None:
        return []
    return [ref for ref, _ in source.refs(spec.get("select") or "paragraph")]


# --- rules about quizzes --------------------------------------------------------------------


def accommodation_for(quiz_id: int, user_id: int) -> Accommodation | None:
    return store.accommodation(quiz_id, user_id)


def close_time(quiz: Quiz, accommodation: Accommodation | None) -> datetime | None:
    return deadlines.effective_close(
        quiz.closes_at, accommodation.closes_at if accommodation else None
    )


def attempts_limit(quiz: Quiz, accommodation: Accommodation | None) -> int | None:
    """How many attempts the student may make; None means unlimited."""
    if quiz.attempts_allowed == 0:
        return None
    return quiz.attempts_allowed + (accommodation.extra_attempts if accommodation else 0)


def why_not_start(
    quiz: Quiz, accommodation: Accommodation | None, used: int, now: datetime
) -> str | None:
    """Why a student cannot start a new attempt now, or None when they can."""
    if not quiz.published:
        return "This quiz is not available."
    if quiz.opens_at is not None and now < quiz.opens_at:
        return f"This quiz opens at {quiz.opens_at:%d %b %Y %H:%M} UTC."
    closes = close_time(quiz, accommodation)
    if closes is not None and now >= closes:
        return "This quiz has closed."
    limit = attempts_limit(quiz, accommodation)
    if limit is not None and used >= limit:
        return "You have used all your attempts at this quiz."
    return None


# --- start ------------------------------------------------------------------------------------


def start_or_resume(quiz: Quiz, user: User, now: datetime, preview: bool = False) -> Attempt:
    """The student's open attempt (a second tab or device resumes it), or a new one.

    An open attempt past its deadline is finalised and returned submitted. ``preview`` starts an
    instructor's preview attempt, which ignores the window and attempt limits and never counts.
    Raises NotAvailable with the reason when no attempt may start.
    """
    # Count before looking for an open attempt: an attempt another request commits in between
    # is then seen as open (and resumed) rather than only counted (and refused).
    used = 0 if preview else store.counted_attempts(quiz.id, user.id)
    existing = store.open_attempt(quiz.id, user.id)
    if existing is not None:
        finalise_if_overdue(existing, now)
        return existing
    accommodation = None if preview else accommodation_for(quiz.id, user.id)
    if not preview:
        reason = why_not_start(quiz, accommodation, used, now)
        if reason:
            raise NotAvailable(reason)
    deadline = deadlines.compute_deadline(
        now,
        quiz.time_limit_minutes,
        None if preview else close_time(quiz, accommodation),
        multiplier=accommodation.time_multiplier if accommodation else 1.0,
        extra_minutes=accommodation.extra_minutes if accommodation else 0,
    )
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=store.next_number(quiz.id, user.id),
        state=AttemptState.IN_PROGRESS,
        is_preview=preview,
        seed=secrets.randbelow(2**31 - 1),
        started_at=now,
        deadline_at=deadline,
    )

    def fill(new: Attempt) -> None:
        if lay_out(new, quiz) == 0:
            raise NotAvailable("This quiz has no questions yet.")

    # Another tab or device may start the attempt at the same moment: then theirs is resumed.
    return store.insert_attempt(attempt, fill)


def lay_out(attempt: Attempt, quiz: Quiz) -> int:
    """Create the attempt's empty responses: questions drawn and shuffled with the attempt's
    seed (so the same attempt always gets the same layout), orders stored per response."""
    rng = random.Random(attempt.seed)  # shuffling, not secrecy
    slots = store.slots_of(quiz.id)
    fixed = store.current_versions([s.question_id for s in slots if s.question_id is not None])
    used = set(fixed)
    excluded = quizzes.excluded_by_id()
    # Points per drawn question, by the rule of app.services.quiz_maximum (scaled when they differ).
    each: dict[int, float] = {}
    entries: list[tuple[Any, Any]] = []
    for slot in slots:
        if slot.question_id is not None:
            if slot.question_id in fixed:
                entries.append((slot, fixed[slot.question_id]))
            continue
        candidates = store.draw_candidates(slot)
        each[slot.id] = draw_points(slot.points, (qv.points for qv in candidates.values()))[0]
        picked = [
            candidates[question_id]
            for question_id in exclusions.draw(
                rng, list(candidates), slot.draw_count, used, excluded
            )
        ]
        if len(picked) < slot.draw_count:
            log.warning(
                "quiz %s slot %s: drew %s of %s", quiz.id, slot.id, len(picked), slot.draw_count
            )
        used.update(qv.question_id for qv in picked)
        entries.extend((slot, qv) for qv in picked)
    if quiz.shuffle_questions:
        rng.shuffle(entries)
    per_page = quiz.questions_per_page or 0
    total = 0.0
    responses: list[tuple[Response, Any]] = []
    for i, (slot, qv) in enumerate(entries, start=1):
        points = slot.points if slot.points is not None else each.get(slot.id, qv.points)
        total += points
        response = Response(
            attempt_id=attempt.id,
            position=i,
            page=(i - 1) // per_page + 1 if per_page > 0 else 1,
            slot_id=slot.id,
            question_version_id=qv.id,
            max_points=points,
            layout=make_layout(qv.spec, rng, quiz.shuffle_options),
            value=None,
            seq=0,
        )
        responses.append((response, qv))
    attempt.max_score = round_points(total)
    store.add_responses(attempt, responses)
    return len(entries)


# --- save ---------------------------------------------------------------------------------------


def _check_open(attempt: AnyAttempt, now: datetime) -> None:
    """Refuse a change to a submitted attempt, or to one past its deadline's grace (which is
    finalised on the way: the caller commits that). ``attempt`` is read under the lock."""
    if attempt.state != AttemptState.IN_PROGRESS:
        raise AttemptClosed("This attempt has been submitted; answers can no longer be changed.")
    if deadlines.is_overdue(attempt.deadline_at, now, grace_seconds()):
        _finalise(attempt, now, "timer")
        raise AttemptClosed(
            "Time is up: this attempt was submitted with the answers saved before the deadline."
        )


def lock_open(attempt: AnyAttempt, now: datetime) -> AnyAttempt:
    """Lock the attempt for a change and refuse it once submitted or out of time (for the
    reading aids kept with an attempt: flags and highlights); returns it as read under the
    lock."""
    attempt = store.lock(attempt)
    _check_open(attempt, now)
    return attempt


@dataclass(frozen=True)
class Saved:
    """What a save stored (the autosave's reply)."""

    position: int
    value: Any
    seq: int
    saved_at: datetime | None
    state: str


# How far one save may move an answer's sequence number past the stored one. A page adds one
# per change, so this is more edits than any student makes offline; it keeps a forged number
# from pushing the answer to the column's limit, where it could never be saved again.
MAX_SEQ_STEP = 100_000
MAX_SEQ = 2**31 - 1
_PAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_STALE_MESSAGE = (
    "This answer was changed in another tab or window. Reload the page to see the latest "
    "answers before you continue."
)


def save_response(
    attempt: AnyAttempt,
    position: int,
    value: Any,
    seq: Any,
    now: datetime,
    *,
    page_ids: bool = True,
    base: Any = None,
    saved_by: Any = None,
) -> Saved:
    """Store the answer to question ``position`` if ``seq`` is newer than the stored one.

    ``base`` is the stored version (seq) the page's answer was based on, and ``saved_by`` the
    page's id: when another page saved a newer version since ``base``, the save is stale even if
    its own ``seq`` is higher (a tab that made more edits offline must not win over a later
    answer). Without ``base`` only the seqs are compared (older pages, scripts).

    Repeating the last accepted save (same seq, same value: a retry whose reply was lost) is a
    no-op success. Raises StaleWrite for an older seq, AttemptClosed after submit or past the
    deadline's grace, UnknownQuestion, InvalidAnswer. ``page_ids``: the value names matching
    choices and ordering items as the page does (per-attempt aliases); scripts pass spec ids.
    """
    if not _is_int(seq) or not 1 <= seq <= MAX_SEQ:
        raise InvalidAnswer("The save carried no valid sequence number; reload the page.")
    if base is not None and (not _is_int(base) or not 0 <= base < seq):
        raise InvalidAnswer("The save carried no valid base version; reload the page.")
    if saved_by is not None and (not isinstance(saved_by, str) or not _PAGE_ID.fullmatch(saved_by)):
        raise InvalidAnswer("The save carried no valid page id; reload the page.")
    attempt = store.lock(attempt)
    _check_open(attempt, now)
    row = store.stored_answer(attempt.id, position)
    if row is None:
        raise UnknownQuestion("There is no such question in this attempt.")
    spec = store.specs_for([row.question_version_id])[row.question_version_id]
    refs = _evidence_refs_of(spec, attempt.quiz_id)
    if page_ids:
        value = from_page(spec, row.layout or {}, value)
    cleaned = clean_value(spec, value, evidence_refs=refs)
    if seq <= row.seq:
        if seq == row.seq and cleaned == row.value:
            return Saved(position, row.value, row.seq, row.saved_at, row.state)
        raise StaleWrite(_STALE_MESSAGE)
    if base is not None and base < row.seq and (saved_by is None or saved_by != row.saved_by):
        raise StaleWrite(_STALE_MESSAGE)
    if seq > row.seq + MAX_SEQ_STEP:
        raise InvalidAnswer("The save's sequence number is out of range; reload the page.")
    state = "answered" if is_answered(cleaned) else "unanswered"
    store.write_answer(row.id, cleaned, seq, now, state, saved_by)
    return Saved(position, cleaned, seq, now, state)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer(attempt: AnyAttempt, position: int, value: Any, now: datetime) -> Saved:
    """Save ``value`` as the newest answer to question ``position`` (for scripts and the demo,
    which have no tab to keep a sequence number)."""
    current = store.stored_answer(attempt.id, position)
    if current is None:
        raise UnknownQuestion("There is no such question in this attempt.")
    return save_response(attempt, position, value, current.seq + 1, now, page_ids=False)


@dataclass
class FormSave:
    """What a save of the quiz page's form did: refusals by question, the questions another
    tab changed (not saved), and the message when the attempt closed on the way."""

    errors: dict[int, str] = field(default_factory=dict)
    stale: list[int] = field(default_factory=list)
    closed: str | None = None


def save_form(
    attempt: AnyAttempt, page: int | None, getlist: Callable[[str], list[str]], now: datetime
) -> FormSave:
    """Save every question of the posted ``page`` whose answer changed (the page without
    JavaScript). ``getlist(name)`` gives the form's values of a field (``request.form.getlist``);
    ``seq-N`` carries the stored version question N's answer was based on. The caller commits,
    also when the attempt closed (a lazy finalisation happened on the way)."""
    result = FormSave()
    for r in responses_of(attempt):
        if r.page != page:
            continue
        spec = store.specs_for([r.question_version_id])[r.question_version_id]
        try:
            raw = form_value(spec, r.position, getlist, r.layout or {})
        except InvalidAnswer as exc:
            result.errors[r.position] = str(exc)
            continue
        base = _form_int(getlist(f"seq-{r.position}"))
        if base is None:
            continue
        try:
            refs = _evidence_refs_of(spec, attempt.quiz_id)
            if (
                clean_value(spec, from_page(spec, r.layout or {}, raw), evidence_refs=refs)
                == r.value
            ):
                continue
            attempt = store.lock(attempt)
            save_response(attempt, r.position, raw, max(base, 0) + 1, now)
        except StaleWrite:
            result.stale.append(r.position)
        except AttemptClosed as exc:
            result.closed = exc.message
            return result
        except (InvalidAnswer, AttemptError) as exc:
            result.errors[r.position] = getattr(exc, "message", str(exc))
    return result


def _form_int(values: list[str]) -> int | None:
    """The first value as an int, or None (as a form's ``get(name, type=int)``)."""
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _evidence_refs_of(spec: dict[str, Any], quiz_id: int) -> Sequence[str]:
    """The sentence or paragraph refs an evidence question may cite (none for other types)."""
    if not question_types.get(spec["type"]).picks_passages:
        return ()
    return evidence_refs(spec, store.quiz_sources(quiz_id, question_sources(spec)))


# --- submit -----------------------------------------------------------------------------------


def submitted_by(attempt: AnyAttempt, now: datetime) -> str:
    """How a submit by the student at ``now`` ended the attempt: "timer" when its time was up,
    else "student" (never taken from the page, which could claim either)."""
    return "timer" if deadlines.ended_by_time(attempt.deadline_at, now) else "student"


def submit(attempt: AnyAttempt, now: datetime, by: str = "student") -> Attempt:
    """Finalise the attempt once: grade the saved answers and total them.

    Idempotent: submitting a submitted attempt returns it unchanged, so double clicks, two tabs
    and retries all see the same result. If grading raises, everything the submit did is rolled
    back, the attempt is flagged for the instructor and GradingFailed is raised; the caller
    should commit (to keep the flag) and tell the student their answers are safe. Returns the
    attempt's ORM object, with its scores.
    """
    attempt = store.lock(attempt)
    if attempt.state != AttemptState.SUBMITTED:
        _finalise(attempt, now, by)
    return store.model_of(attempt)


def _finalise(locked: AnyAttempt, now: datetime, by: str) -> None:
    """Grade every saved answer, then write the grades and totals in a few statements.

    Grading runs before anything is written, so a grader that raises leaves the attempt as it
    was (answers kept) and only flags it. ``locked``: read under the row lock."""
    attempt = store.model_of(locked)
    rows = store.answers_to_grade(attempt.id)
    specs = store.specs_for(r.question_version_id for r in rows)
    try:
        marks = [auto_mark(specs[r.question_version_id], r.value, r.max_points) for r in rows]
    except Exception as exc:
        log.exception("grading attempt %s failed; attempt flagged", attempt.id)
        attempt.flagged = f"Grading failed {now:%Y-%m-%d %H:%M} UTC: {type(exc).__name__}: {exc}"[
            :500
        ]
        db.session.flush()
        raise GradingFailed(
            "Your answers are saved, but the quiz could not be marked just now. Your instructor "
            "has been told; you do not need to do anything."
        ) from exc
    writes: list[dict[str, Any]] = []
    scored: list[tuple[int, float | None, float, str, bool]] = []
    for r, mark in zip(rows, marks, strict=True):
        score = first_set(r.override_score, r.manual_score, mark.auto_score)
        writes.append(
            {
                "response_id": r.id,
                "new_auto_score": mark.auto_score,
                "new_state": mark.state,
                "new_feedback": mark.feedback,
                "new_score": score,
            }
        )
        waits = waits_for_person(mark.state, r.manual_score, r.override_score)
        scored.append((r.question_version_id, score, r.max_points, mark.state, waits))
    store.write_grades(attempt, writes)
    attempt.state = AttemptState.SUBMITTED
    attempt.submitted_at = now
    attempt.submitted_by = by
    attempt.flagged = None
    set_attempt_totals(attempt, ((s[1], s[2], s[4]) for s in scored))
    skill_totals.replace(
        attempt, (s[:4] for s in scored), {v: spec["skill"] for v, spec in specs.items()}
    )
    db.session.flush()
    grade_events.attempt_scored(attempt)


def is_overdue(attempt: AnyAttempt, now: datetime) -> bool:
    return attempt.state == AttemptState.IN_PROGRESS and deadlines.is_overdue(
        attempt.deadline_at, now, grace_seconds()
    )


def finalise_if_overdue(attempt: AnyAttempt, now: datetime) -> bool:
    """Lazily submit an open attempt past its deadline and grace; True when it did.

    A grading failure leaves the attempt open and flagged (and returns False). The caller's
    transaction must be able to write (see ``close_if_lapsed`` for a page that only read).
    """
    if not is_overdue(attempt, now):
        return False
    try:
        submitted = submit(attempt, now, by="timer")
    except GradingFailed:
        return False
    return submitted.state == AttemptState.SUBMITTED


def close_if_lapsed(attempt: AnyAttempt, now: datetime) -> bool:
    """For a page that finds an attempt past its time: switch the request to writing and
    finalise the attempt (a lazy sweep); True when it was submitted. The caller commits (also
    on False: a grading failure flags the attempt). A record passed in is then out of date:
    read it again."""
    store.write_mode()
    return finalise_if_overdue(attempt, now)


def close_lapsed_in_course(user_id: int, course_id: int, now: datetime) -> bool:
    """Finalise the user's open attempts in a course whose time ran out, as the course page
    shows them; True when there were any (the caller commits)."""
    if not overdue_attempts_of(user_id, course_id, now):
        return False
    store.write_mode()  # the page only read so far: read them again under the write lock
    for attempt in overdue_attempts_of(user_id, course_id, now):
        finalise_if_overdue(attempt, now)
    return True


def close_overdue(now: datetime) -> list[int]:
    """Finalise every open attempt past its deadline and grace (the cron sweeper).

    Idempotent: an attempt is finalised once, with the answers saved so far; running twice, or
    beside a student's own submit, changes nothing more. Returns the ids it finalised.
    """
    closed: list[int] = []
    for attempt_id in store.open_ids_due_before(now - timedelta(seconds=grace_seconds())):
        attempt = store.model(attempt_id)
        if attempt is None or not is_overdue(attempt, now):
            continue
        store.lock(attempt)
        if attempt.state != AttemptState.IN_PROGRESS:
            continue
        try:
            _finalise(attempt, now, "sweeper")
        except GradingFailed:
            continue
        closed.append(attempt_id)
    return closed


# --- what the pages show -----------------------------------------------------------------------


@dataclass
class QuizRow:
    """One quiz as a student sees it on the course page."""

    quiz: Quiz
    status: str  # upcoming, open, in_progress, submitted, closed
    close_at: datetime | None
    open_attempt: Attempt | None
    attempts: list[Attempt] = field(default_factory=list)
    attempts_left: int | None = None
    can_start: bool = False
    reason: str | None = None
    score: float | None = None
    max_score: float | None = None
    score_visible: bool = False
    awaiting_grading: bool = False
    allowance: Allowance | None = None


def allowance_of(quiz: Quiz, accommodation: Accommodation | None) -> Allowance:
    """This student's time, attempts and close date, with their accommodation's note."""
    a = accommodation
    return allowance(
        time_limit_minutes=quiz.time_limit_minutes,
        attempts_allowed=quiz.attempts_allowed,
        quiz_closes_at=quiz.closes_at,
        time_multiplier=a.time_multiplier if a else 1.0,
        extra_minutes=a.extra_minutes if a else 0,
        extra_attempts=a.extra_attempts if a else 0,
        closes_at=a.closes_at if a else None,
        note=a.note if a else "",
    )


def course_quizzes(course_id: int, user: User, now: datetime) -> list[QuizRow]:
    """The published quizzes of a course with this student's state in each (three queries)."""
    quizzes = db.session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course_id, Quiz.published.is_(True))
        .order_by(Quiz.opens_at.is_(None), Quiz.opens_at, Quiz.id)
    ).all()
    ids = [q.id for q in quizzes]
    attempts: dict[int, list[Attempt]] = {i: [] for i in ids}
    accommodations: dict[int, Accommodation] = {}
    if ids:
        for a in db.session.scalars(
            select(Attempt)
            .where(
                Attempt.quiz_id.in_(ids), Attempt.user_id == user.id, Attempt.is_preview.is_(False)
            )
            .order_by(Attempt.number)
        ):
            attempts[a.quiz_id].append(a)
        accommodations = {
            a.quiz_id: a
            for a in db.session.scalars(
                select(Accommodation).where(
                    Accommodation.quiz_id.in_(ids), Accommodation.user_id == user.id
                )
            )
        }
    return [quiz_row(q, attempts[q.id], accommodations.get(q.id), now) for q in quizzes]


def quiz_row(
    quiz: Quiz, attempts: list[Attempt], accommodation: Accommodation | None, now: datetime
) -> QuizRow:
    closes = close_time(quiz, accommodation)
    current = next((a for a in attempts if a.state == AttemptState.IN_PROGRESS), None)
    submitted = [a for a in attempts if a.state == AttemptState.SUBMITTED]
    limit = attempts_limit(quiz, accommodation)
    reason = why_not_start(quiz, accommodation, len(attempts), now)
    row = QuizRow(
        quiz=quiz,
        status="open",
        close_at=closes,
        open_attempt=current,
        attempts=attempts,
        attempts_left=None if limit is None else max(0, limit - len(attempts)),
        can_start=current is None and reason is None,
        reason=reason,
        allowance=allowance_of(quiz, accommodation),
    )
    if current is not None:
        row.status = "in_progress"
    elif quiz.opens_at is not None and now < quiz.opens_at:
        row.status = "upcoming"
    elif submitted:
        row.status = "submitted"
    elif closes is not None and now >= closes:
        row.status = "closed"
    if submitted:
        visible = review.visibility(quiz.review_policy, submitted=True, close_time=closes, now=now)
        row.score_visible = visible.score
        row.awaiting_grading = any(a.needs_grading for a in submitted)
        if visible.score:
            scores = [a.score for a in submitted if a.score is not None]
            row.score = aggregate_attempt_scores(quiz.grading_method, scores)
            row.max_score = submitted[-1].max_score
    return row


def attempt_history(quiz_id: int, user_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz_id, Attempt.user_id == user_id)
            .order_by(Attempt.number)
        )
    )


def responses_of(attempt: AnyAttempt) -> list[Response]:
    """The attempt's responses in order (ORM objects: every column)."""
    return store.responses_of(attempt.id)


def overdue_attempts_of(user_id: int, course_id: int, now: datetime) -> list[Attempt]:
    """The user's open attempts in a course whose time (and grace) has run out."""
    return [a for a in store.open_timed_attempts(user_id, course_id) if is_overdue(a, now)]
