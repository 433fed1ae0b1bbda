"""Attempt services: start or resume, save a response, submit, finalise overdue attempts.

Services flush and never commit; the view or CLI command that calls them commits. They take
``now`` explicitly so that tests, the sweeper and demo scripts can drive time, and they never
touch the request, so a script can take a quiz with them.

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
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from app.database import locked_rows, take_deferred_write_lock
from app.domain import deadlines, grade_events, review
from app.domain.allowances import Allowance, allowance
from app.domain.attempt_view import (
    InvalidAnswer,
    SourceView,
    clean_value,
    evidence_source,
    from_page,
    is_answered,
    make_layout,
    note_view,
    source_view,
)
from app.domain.banks import exclusions
from app.domain.grading import aggregate_attempt_scores
from app.domain.quiz_articles import articles_to_show, needed_sources, question_sources
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Accommodation,
    Attempt,
    AttemptState,
    Paragraph,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    QuizSource,
    Response,
    Source,
    SourceNote,
    User,
)
from app.services import quizzes, skill_totals
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
    "AttemptPage",
    "AttemptRow",
    "GradingFailed",
    "InvalidAnswer",
    "NotAvailable",
    "Saved",
    "StaleWrite",
    "UnknownQuestion",
    "answer",
    "close_overdue",
    "finalise_if_overdue",
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


# --- configuration and caches ---------------------------------------------------------------


def grace_seconds() -> float:
    """``ATTEMPT_GRACE_SECONDS`` from the app config (60 outside an app)."""
    if has_app_context():
        return float(current_app.config.get("ATTEMPT_GRACE_SECONDS", 60))
    return 60.0


class _LRU:
    """A small thread-safe LRU for immutable things (specs by version id, articles by hash)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


# QuestionVersion rows never change once written, so their specs are safe to keep in every
# process; articles are keyed by their content hash for the same reason.
_SPECS = _LRU(4096)
_SOURCES = _LRU(64)


def clear_caches() -> None:
    _SPECS.clear()
    _SOURCES.clear()


def specs_for(version_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Specs by QuestionVersion id, from the cache or one query for the missing ones.

    Treat the returned dicts as read-only: they are shared.
    """
    out: dict[int, dict[str, Any]] = {}
    missing: list[int] = []
    for vid in set(version_ids):
        spec = _SPECS.get(vid)
        if spec is None:
            missing.append(vid)
        else:
            out[vid] = spec
    if missing:
        for vid, spec in db.session.execute(
            select(QuestionVersion.id, QuestionVersion.spec).where(QuestionVersion.id.in_(missing))
        ):
            _SPECS.put(vid, spec)
            out[vid] = spec
    return out


_SOURCE_COLUMNS = (
    Source.id,
    Source.slug,
    Source.title,
    Source.publication,
    Source.date,
    Source.author,
    Source.url,
    Source.content_hash,
    SourceNote.title.label("note_title"),
    SourceNote.text.label("note_text"),
    SourceNote.content_hash.label("note_hash"),
)
_QUIZ_SOURCES = (  # read on every quiz page: built once
    select(*_SOURCE_COLUMNS)
    .join(QuizSource, QuizSource.source_id == Source.id)
    .outerjoin(SourceNote, SourceNote.source_id == Source.id)
    .where(QuizSource.quiz_id == bindparam("quiz_id"))
    .order_by(QuizSource.position, Source.id)
)


def quiz_sources(quiz_id: int, needed: Iterable[str] = ()) -> list[SourceView]:
    """The quiz's articles in order, paragraphs from the cache when the text is unchanged.

    ``needed``: articles the questions on the page cite (``quiz_articles.needed_sources``); any
    the quiz's own list leaves out are shown after it, so no question is about a hidden text.
    """
    rows = list(db.session.execute(_QUIZ_SOURCES, {"quiz_id": quiz_id}).all())
    chosen = [r.slug for r in rows]
    extra = [slug for slug in articles_to_show(chosen, needed) if slug not in chosen]
    if extra:
        found = {
            r.slug: r
            for r in db.session.execute(
                select(*_SOURCE_COLUMNS)
                .outerjoin(SourceNote, SourceNote.source_id == Source.id)
                .where(Source.slug.in_(extra))
            )
        }
        rows += [found[slug] for slug in extra if slug in found]
    several = len(rows) > 1
    out: list[SourceView] = []
    missing = [
        r for r in rows if _SOURCES.get((r.id, r.content_hash, r.note_hash, several)) is None
    ]
    paragraphs: dict[int, list[tuple[int, str, list[str]]]] = {r.id: [] for r in missing}
    if missing:
        for p in db.session.execute(
            select(Paragraph.source_id, Paragraph.position, Paragraph.text, Paragraph.sentences)
            .where(Paragraph.source_id.in_([r.id for r in missing]))
            .order_by(Paragraph.source_id, Paragraph.position)
        ):
            paragraphs[p.source_id].append((p.position, p.text, p.sentences or []))
    for r in rows:
        key = (r.id, r.content_hash, r.note_hash, several)
        view = _SOURCES.get(key)
        if view is None:
            byline = ", ".join(
                [x for x in (r.publication, r.date) if x] + [r.author or "author not given"]
            )
            note = note_view(r.note_title, r.note_text) if r.note_text else None
            view = source_view(
                r.slug, r.title, byline, r.url, paragraphs[r.id], several=several, note=note
            )
            _SOURCES.put(key, view)
        out.append(view)
    return out


def attempt_sources(quiz_id: int, version_ids: Iterable[int]) -> list[SourceView]:
    """The articles an attempt shows: the quiz's, and every one its questions cite."""
    specs = specs_for(version_ids)
    return quiz_sources(quiz_id, needed_sources(specs[v] for v in sorted(specs)))


def evidence_refs(spec: dict[str, Any], sources: Sequence[SourceView]) -> list[str]:
    source = evidence_source(spec, sources)
    if source is None:
        return []
    return [ref for ref, _ in source.refs(spec.get("select") or "paragraph")]


# --- rules about quizzes --------------------------------------------------------------------


def accommodation_for(quiz_id: int, user_id: int) -> Accommodation | None:
    return db.session.scalar(
        select(Accommodation).where(
            Accommodation.quiz_id == quiz_id, Accommodation.user_id == user_id
        )
    )


def close_time(quiz: Quiz, accommodation: Accommodation | None) -> datetime | None:
    return deadlines.effective_close(
        quiz.closes_at, accommodation.closes_at if accommodation else None
    )


def attempts_limit(quiz: Quiz, accommodation: Accommodation | None) -> int | None:
    """How many attempts the student may make; None means unlimited."""
    if quiz.attempts_allowed == 0:
        return None
    return quiz.attempts_allowed + (accommodation.extra_attempts if accommodation else 0)


def open_attempt(quiz_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz_id,
            Attempt.user_id == user_id,
            Attempt.state == AttemptState.IN_PROGRESS,
        )
    )


def _counted_attempts(quiz_id: int, user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(
                Attempt.quiz_id == quiz_id,
                Attempt.user_id == user_id,
                Attempt.is_preview.is_(False),
            )
        )
        or 0
    )


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
    used = 0 if preview else _counted_attempts(quiz.id, user.id)
    existing = open_attempt(quiz.id, user.id)
    if existing is not None:
        finalise_if_overdue(existing, now)
        return existing
    accommodation = None if preview else accommodation_for(quiz.id, user.id)
    if not preview:
        reason = why_not_start(quiz, accommodation, used, now)
        if reason:
            raise NotAvailable(reason)
    number = (
        db.session.scalar(
            select(func.max(Attempt.number)).where(
                Attempt.quiz_id == quiz.id, Attempt.user_id == user.id
            )
        )
        or 0
    ) + 1
    deadline = deadlines.compute_deadline(
        now,
        quiz.time_limit_minutes,
        None if preview else close_time(quiz, accommodation),
        multiplier=accommodation.time_multiplier if accommodation else 1.0,
        extra_minutes=accommodation.extra_minutes if accommodation else 0,
    )
    seed = secrets.randbelow(2**31 - 1)
    try:
        with db.session.begin_nested():
            attempt = Attempt(
                quiz_id=quiz.id,
                user_id=user.id,
                number=number,
                state=AttemptState.IN_PROGRESS,
                is_preview=preview,
                seed=seed,
                started_at=now,
                deadline_at=deadline,
            )
            db.session.add(attempt)
            db.session.flush()
            count = lay_out(attempt, quiz)
            if count == 0:
                raise NotAvailable("This quiz has no questions yet.")
    except IntegrityError:
        # Another tab or device started the attempt at the same moment: resume theirs.
        winner = open_attempt(quiz.id, user.id)
        if winner is None:
            raise
        return winner
    return attempt


def lay_out(attempt: Attempt, quiz: Quiz) -> int:
    """Create the attempt's empty responses: questions drawn and shuffled with the attempt's
    seed (so the same attempt always gets the same layout), orders stored per response."""
    rng = random.Random(attempt.seed)  # shuffling, not secrecy
    slots = db.session.scalars(
        select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)
    ).all()
    latest = CURRENT_VERSION
    fixed_ids = [s.question_id for s in slots if s.question_id is not None]
    fixed: dict[int, QuestionVersion] = {}
    if fixed_ids:
        fixed = {
            qv.question_id: qv
            for qv in db.session.scalars(
                select(QuestionVersion).join(Question, latest).where(Question.id.in_(fixed_ids))
            )
        }
    used = set(fixed)
    excluded = quizzes.excluded_by_id()
    # Points per drawn question, by the rule of app.services.quiz_maximum (scaled when they differ).
    each: dict[int, float] = {}
    entries: list[tuple[QuizSlot, QuestionVersion]] = []
    for slot in slots:
        if slot.question_id is not None:
            if slot.question_id in fixed:
                entries.append((slot, fixed[slot.question_id]))
            continue
        stmt = (
            select(QuestionVersion)
            .join(Question, latest)
            .where(Question.bank_id == slot.draw_bank_id, Question.retired_at.is_(None))
            .order_by(Question.id)
        )
        if slot.draw_skill:
            stmt = stmt.where(QuestionVersion.skill == slot.draw_skill)
        if slot.draw_difficulty:
            stmt = stmt.where(QuestionVersion.difficulty == slot.draw_difficulty)
        if slot.draw_type:
            stmt = stmt.where(QuestionVersion.type == slot.draw_type)
        candidates = {qv.question_id: qv for qv in db.session.scalars(stmt)}
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
    for i, (slot, qv) in enumerate(entries, start=1):
        _SPECS.put(qv.id, qv.spec)
        points = slot.points if slot.points is not None else each.get(slot.id, qv.points)
        total += points
        db.session.add(
            Response(
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
        )
    attempt.max_score = round_points(total)
    db.session.flush()
    return len(entries)


# --- save ---------------------------------------------------------------------------------------


class AttemptRow(NamedTuple):
    """What a save needs of its attempt, read under the row lock without building an ORM
    object (``authz.own_attempt_row``): the autosave is the hottest write."""

    id: int
    user_id: int
    quiz_id: int
    state: str
    deadline_at: datetime | None


ATTEMPT_ROW_FOR_UPDATE = (
    select(Attempt.id, Attempt.user_id, Attempt.quiz_id, Attempt.state, Attempt.deadline_at)
    .where(Attempt.id == bindparam("attempt_id"))
    .with_for_update()
)


class AttemptPage(NamedTuple):
    """The quiz page's view of an attempt and its quiz, read in one plain query
    (``authz.own_attempt_page``): the page is the most requested one of an exam."""

    id: int
    user_id: int
    quiz_id: int
    quiz_title: str
    number: int
    is_preview: bool
    state: str
    deadline_at: datetime | None
    started_at: datetime
    time_limit_minutes: int | None = None  # the quiz's: None for an untimed quiz (no timer)

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptPage:
        return cls(
            attempt.id,
            attempt.user_id,
            attempt.quiz_id,
            attempt.quiz.title,
            attempt.number,
            attempt.is_preview,
            attempt.state,
            attempt.deadline_at,
            attempt.started_at,
            attempt.quiz.time_limit_minutes,
        )


ATTEMPT_PAGE = (
    select(*(getattr(Attempt, f) for f in AttemptPage._fields[:3]), Quiz.title)
    .add_columns(*(getattr(Attempt, f) for f in AttemptPage._fields[4:9]))
    .add_columns(Quiz.time_limit_minutes)
    .join(Quiz, Quiz.id == Attempt.quiz_id)
    .where(Attempt.id == bindparam("attempt_id"))
)


def _lock(attempt: Attempt | AttemptRow) -> None:
    """Re-read the attempt under a row lock, so saves and submits of it happen one at a time.

    A request that deferred SQLite's write lock (the autosave) takes it here. If the caller
    already read it under the lock in this transaction (``authz.own_attempt(lock=True)``), that
    read is current and is used as it is."""
    if ("attempt", attempt.id) in locked_rows():
        return
    assert isinstance(attempt, Attempt), "an AttemptRow is read under the lock"
    take_deferred_write_lock()
    db.session.refresh(attempt, with_for_update=True)
    locked_rows().add(("attempt", attempt.id))


def _check_open(attempt: Attempt | AttemptRow, now: datetime) -> None:
    if attempt.state != AttemptState.IN_PROGRESS:
        raise AttemptClosed("This attempt has been submitted; answers can no longer be changed.")
    if deadlines.is_overdue(attempt.deadline_at, now, grace_seconds()):
        if isinstance(attempt, AttemptRow):
            attempt = db.session.get(Attempt, attempt.id)  # already locked by this transaction
            assert attempt is not None
        _finalise(attempt, now, "timer")
        raise AttemptClosed(
            "Time is up: this attempt was submitted with the answers saved before the deadline."
        )


def lock_open(attempt: Attempt | AttemptRow, now: datetime) -> None:
    """Lock the attempt for a change and refuse it once submitted or out of time (for the
    reading aids kept with an attempt: flags and highlights)."""
    _lock(attempt)
    _check_open(attempt, now)


@dataclass(frozen=True)
class Saved:
    """What a save stored (the autosave's reply)."""

    position: int
    value: Any
    seq: int
    saved_at: datetime | None
    state: str


_responses = Response.__table__
# The autosave is the hottest write: plain statements, built once, no ORM unit of work.
_SAVE_READ = select(
    _responses.c.id,
    _responses.c.question_version_id,
    _responses.c.layout,
    _responses.c.value,
    _responses.c.seq,
    _responses.c.saved_at,
    _responses.c.state,
    _responses.c.saved_by,
).where(
    _responses.c.attempt_id == bindparam("attempt_id"),
    _responses.c.position == bindparam("position"),
)
_SAVE_WRITE = (
    _responses.update()
    .where(_responses.c.id == bindparam("response_id"))
    .values(
        value=bindparam("new_value", type_=_responses.c.value.type),
        seq=bindparam("new_seq"),
        saved_at=bindparam("new_saved_at", type_=_responses.c.saved_at.type),
        state=bindparam("new_state"),
        saved_by=bindparam("new_saved_by"),
    )
)

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
    attempt: Attempt | AttemptRow,
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
    _lock(attempt)
    _check_open(attempt, now)
    row = db.session.execute(_SAVE_READ, {"attempt_id": attempt.id, "position": position}).first()
    if row is None:
        raise UnknownQuestion("There is no such question in this attempt.")
    spec = specs_for([row.question_version_id])[row.question_version_id]
    refs = (
        evidence_refs(spec, quiz_sources(attempt.quiz_id, question_sources(spec)))
        if spec["type"] == "evidence"
        else ()
    )
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
    db.session.execute(
        _SAVE_WRITE,
        {
            "response_id": row.id,
            "new_value": cleaned,
            "new_seq": seq,
            "new_saved_at": now,
            "new_state": state,
            "new_saved_by": saved_by,
        },
    )
    loaded = db.session.identity_map.get(identity_key(Response, row.id))
    if loaded is not None:
        db.session.expire(loaded)  # a Response object read earlier must not show the old answer
    return Saved(position, cleaned, seq, now, state)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer(attempt: Attempt, position: int, value: Any, now: datetime) -> Saved:
    """Save ``value`` as the newest answer to question ``position`` (for scripts and the demo,
    which have no tab to keep a sequence number)."""
    current = db.session.scalar(
        select(Response.seq).where(Response.attempt_id == attempt.id, Response.position == position)
    )
    if current is None:
        raise UnknownQuestion("There is no such question in this attempt.")
    return save_response(attempt, position, value, current + 1, now, page_ids=False)


# --- submit -----------------------------------------------------------------------------------


def submitted_by(attempt: Attempt, now: datetime) -> str:
    """How a submit by the student at ``now`` ended the attempt: "timer" when its time was up,
    else "student" (never taken from the page, which could claim either)."""
    return "timer" if deadlines.ended_by_time(attempt.deadline_at, now) else "student"


def submit(attempt: Attempt, now: datetime, by: str = "student") -> Attempt:
    """Finalise the attempt once: grade the saved answers and total them.

    Idempotent: submitting a submitted attempt returns it unchanged, so double clicks, two tabs
    and retries all see the same result. If grading raises, everything the submit did is rolled
    back, the attempt is flagged for the instructor and GradingFailed is raised; the caller
    should commit (to keep the flag) and tell the student their answers are safe.
    """
    _lock(attempt)
    if attempt.state == AttemptState.SUBMITTED:
        return attempt
    _finalise(attempt, now, by)
    return attempt


_GRADE_READ = (
    select(
        _responses.c.id,
        _responses.c.question_version_id,
        _responses.c.value,
        _responses.c.max_points,
        _responses.c.manual_score,
        _responses.c.override_score,
    )
    .where(_responses.c.attempt_id == bindparam("attempt_id"))
    .order_by(_responses.c.position)
)
_GRADE_WRITE = (
    _responses.update()
    .where(_responses.c.id == bindparam("response_id"))
    .values(
        auto_score=bindparam("new_auto_score"),
        state=bindparam("new_state"),
        feedback=bindparam("new_feedback", type_=_responses.c.feedback.type),
        score=bindparam("new_score"),
    )
)


def _finalise(attempt: Attempt, now: datetime, by: str) -> None:
    """Grade every saved answer, then write the grades and totals in a few statements.

    Grading runs before anything is written, so a grader that raises leaves the attempt as it
    was (answers kept) and only flags it."""
    rows = db.session.execute(_GRADE_READ, {"attempt_id": attempt.id}).all()
    specs = specs_for(r.question_version_id for r in rows)
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
    if writes:
        db.session.execute(_GRADE_WRITE, writes)
    for r in rows:  # Response objects read earlier must not show the ungraded state
        loaded = db.session.identity_map.get(identity_key(Response, r.id))
        if loaded is not None:
            db.session.expire(loaded)
    db.session.expire(attempt, ["responses"])
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


def is_overdue(attempt: Attempt | AttemptPage, now: datetime) -> bool:
    return attempt.state == AttemptState.IN_PROGRESS and deadlines.is_overdue(
        attempt.deadline_at, now, grace_seconds()
    )


def finalise_if_overdue(attempt: Attempt, now: datetime) -> bool:
    """Lazily submit an open attempt past its deadline and grace; True when it did.

    A grading failure leaves the attempt open and flagged (and returns False).
    """
    if not is_overdue(attempt, now):
        return False
    try:
        submit(attempt, now, by="timer")
    except GradingFailed:
        return False
    return attempt.state == AttemptState.SUBMITTED


def close_overdue(now: datetime) -> list[int]:
    """Finalise every open attempt past its deadline and grace (the cron sweeper).

    Idempotent: an attempt is finalised once, with the answers saved so far; running twice, or
    beside a student's own submit, changes nothing more. Returns the ids it finalised.
    """
    cutoff = now - timedelta(seconds=grace_seconds())
    cutoff_ids = db.session.scalars(
        select(Attempt.id)
        .where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at < cutoff)
        .order_by(Attempt.id)
    ).all()
    closed: list[int] = []
    for attempt_id in cutoff_ids:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None or not is_overdue(attempt, now):
            continue
        _lock(attempt)
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


# What the quiz page needs of every response to decide whether its questions block can come
# from the cache: no answers, layouts or specs are read (or decoded).
_RESPONSE_STATES = (
    select(
        _responses.c.position,
        _responses.c.page,
        _responses.c.question_version_id,
        _responses.c.seq,
        _responses.c.state,
        _responses.c.flagged,
    )
    .where(_responses.c.attempt_id == bindparam("attempt_id"))
    .order_by(_responses.c.position)
)


def response_states(attempt_id: int) -> Sequence[Any]:
    """(position, page, question_version_id, seq, state, flagged) of each response, in order."""
    return db.session.execute(_RESPONSE_STATES, {"attempt_id": attempt_id}).all()


def responses_of(attempt: Attempt | AttemptPage) -> list[Response]:
    return list(
        db.session.scalars(
            select(Response).where(Response.attempt_id == attempt.id).order_by(Response.position)
        )
    )


def overdue_attempts_of(user_id: int, course_id: int, now: datetime) -> list[Attempt]:
    """The user's open attempts in a course whose time (and grace) has run out."""
    open_ones = db.session.scalars(
        select(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.user_id == user_id,
            Quiz.course_id == course_id,
            Attempt.state == AttemptState.IN_PROGRESS,
            Attempt.deadline_at.is_not(None),
        )
    ).all()
    return [a for a in open_ones if is_overdue(a, now)]
