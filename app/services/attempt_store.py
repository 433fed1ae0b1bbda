"""The attempt store: the statements, locks and caches of the exam's hot path, in one module.

Starting, saving, submitting and rendering an attempt read and write the database only through
here; the rules (who may start, what a save must carry, how a submit grades) live in
``app.services.attempts``, ownership in ``app.authz``, pages in ``app.web.student``.

- **One attempt type.** ``AttemptRecord`` is the attempt as the hot path knows it: the attempt
  and its quiz's title and time limit, read by one plain statement (no ORM object), with or
  without the row lock. The ORM ``Attempt`` stays the table's mapping, for the pages that show
  scores and for scripts; the store accepts it wherever it accepts a record.
- **Locks.** Saves and submits of one attempt are serialised by locking its row (``FOR UPDATE``
  on PostgreSQL; on SQLite the write transaction itself, ``BEGIN IMMEDIATE``, see
  ``app.database``). A request that deferred SQLite's write lock (the autosave, the submit) takes
  it when the attempt is read under the lock; an attempt locked once in a transaction is not
  locked and read again. Only this module uses ``app.database``'s lock bookkeeping.
- **Caches**, per process: question specs by version id and articles by content hash (rows that
  never change once written), and rendered fragments of the quiz page keyed by everything they
  show. ``clear_caches()`` empties them all; ``clear_page_cache()`` and
  ``configure_page_cache()`` clear and bound the fragments.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from app.database import ensure_write_transaction, locked_rows, take_deferred_write_lock
from app.domain.attempt_view import SourceView, note_view, source_view
from app.domain.quiz_articles import articles_to_show, needed_sources
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
)

# --- the attempt ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """An attempt as the hot path knows it: the quiz page, the autosave and the submit's
    checks need nothing more, and reading it as a plain row is cheaper than an ORM object.

    ``locked``: read under the row lock (valid for the transaction that read it)."""

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
    locked: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRecord:
        """The record of an attempt already loaded as an ORM object (reads its quiz)."""
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
            locked=("attempt", attempt.id) in locked_rows(),
        )


AnyAttempt = Attempt | AttemptRecord

_RECORD = (
    select(
        Attempt.id,
        Attempt.user_id,
        Attempt.quiz_id,
        Quiz.title,
        Attempt.number,
        Attempt.is_preview,
        Attempt.state,
        Attempt.deadline_at,
        Attempt.started_at,
        Quiz.time_limit_minutes,
    )
    .join(Quiz, Quiz.id == Attempt.quiz_id)
    .where(Attempt.id == bindparam("attempt_id"))
)
# Only the attempt's row is locked, never its quiz's (every student of the quiz shares it).
_RECORD_FOR_UPDATE = _RECORD.with_for_update(of=Attempt)


def record(attempt_id: int, *, lock: bool = False) -> AttemptRecord | None:
    """The attempt as a record, or None. ``lock``: read it under the row lock (taking a
    deferred write lock first), for a request that changes it."""
    if lock:
        take_deferred_write_lock()
        row = db.session.execute(_RECORD_FOR_UPDATE, {"attempt_id": attempt_id}).first()
        if row is not None:
            locked_rows().add(("attempt", row.id))
    else:
        row = db.session.execute(_RECORD, {"attempt_id": attempt_id}).first()
    return None if row is None else AttemptRecord(*row, locked=lock)


def model(attempt_id: int, *, lock: bool = False) -> Attempt | None:
    """The attempt as an ORM object with its quiz (pages that show scores), or None.

    ``lock``: read it under the row lock (taking a deferred write lock first)."""
    if not lock:
        return db.session.get(Attempt, attempt_id, options=[joinedload(Attempt.quiz)])
    take_deferred_write_lock()
    attempt = db.session.get(Attempt, attempt_id, with_for_update=True, populate_existing=True)
    if attempt is not None:
        locked_rows().add(("attempt", attempt.id))
    return attempt


def lock(attempt: AnyAttempt) -> AnyAttempt:
    """The attempt read again under the row lock, so saves and submits of it happen one at a
    time; an ORM object is refreshed in place, a record comes back new. An attempt already
    read under the lock in this transaction is returned as it is (no second read)."""
    key = ("attempt", attempt.id)
    if isinstance(attempt, AttemptRecord):
        if attempt.locked and key in locked_rows():
            return attempt
        found = record(attempt.id, lock=True)
        assert found is not None, "attempts are never deleted"
        return found
    if key in locked_rows():
        return attempt
    take_deferred_write_lock()
    db.session.refresh(attempt, with_for_update=True)
    locked_rows().add(key)
    return attempt


def model_of(attempt: AnyAttempt) -> Attempt:
    """The ORM object of an attempt (to write its totals); no query when it is loaded."""
    if isinstance(attempt, Attempt):
        return attempt
    found = db.session.get(Attempt, attempt.id)
    assert found is not None, "attempts are never deleted"
    return found


def write_mode() -> None:
    """Switch a read-only request to writing before it changes an attempt (a lazy
    finalisation seen by a page): on SQLite the read transaction ends and the next statement
    takes the write lock; objects read before must be read again (``lock`` does)."""
    ensure_write_transaction()


# --- starting -------------------------------------------------------------------------------


def counted_attempts(quiz_id: int, user_id: int) -> int:
    """Attempts that count against the limit (previews never do)."""
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


def open_attempt(quiz_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz_id,
            Attempt.user_id == user_id,
            Attempt.state == AttemptState.IN_PROGRESS,
        )
    )


def next_number(quiz_id: int, user_id: int) -> int:
    last = db.session.scalar(
        select(func.max(Attempt.number)).where(
            Attempt.quiz_id == quiz_id, Attempt.user_id == user_id
        )
    )
    return (last or 0) + 1


def insert_attempt(attempt: Attempt, lay_out: Callable[[Attempt], None]) -> Attempt:
    """Insert a new open attempt and lay it out, in a savepoint: the partial unique index
    ``uq_attempt_one_open`` lets one open attempt per student and quiz exist, so when another
    tab or device started one at the same moment, theirs is returned (resumed) instead.
    An exception from ``lay_out`` rolls the savepoint back and propagates."""
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            lay_out(attempt)
    except IntegrityError:
        winner = open_attempt(attempt.quiz_id, attempt.user_id)
        if winner is None:
            raise
        return winner
    return attempt


def accommodation(quiz_id: int, user_id: int) -> Accommodation | None:
    return db.session.scalar(
        select(Accommodation).where(
            Accommodation.quiz_id == quiz_id, Accommodation.user_id == user_id
        )
    )


def slots_of(quiz_id: int) -> Sequence[QuizSlot]:
    return db.session.scalars(
        select(QuizSlot).where(QuizSlot.quiz_id == quiz_id).order_by(QuizSlot.position)
    ).all()


def current_versions(question_ids: Sequence[int]) -> dict[int, QuestionVersion]:
    """The current version of each question, by question id."""
    if not question_ids:
        return {}
    return {
        qv.question_id: qv
        for qv in db.session.scalars(
            select(QuestionVersion)
            .join(Question, CURRENT_VERSION)
            .where(Question.id.in_(question_ids))
        )
    }


def draw_candidates(slot: QuizSlot) -> dict[int, QuestionVersion]:
    """The current versions a draw slot may pick from (unretired questions of its bank that
    match its skill, difficulty and type), by question id in id order."""
    stmt = (
        select(QuestionVersion)
        .join(Question, CURRENT_VERSION)
        .where(Question.bank_id == slot.draw_bank_id, Question.retired_at.is_(None))
        .order_by(Question.id)
    )
    if slot.draw_skill:
        stmt = stmt.where(QuestionVersion.skill == slot.draw_skill)
    if slot.draw_difficulty:
        stmt = stmt.where(QuestionVersion.difficulty == slot.draw_difficulty)
    if slot.draw_type:
        stmt = stmt.where(QuestionVersion.type == slot.draw_type)
    return {qv.question_id: qv for qv in db.session.scalars(stmt)}


def add_responses(attempt: Attempt, responses: Iterable[tuple[Response, QuestionVersion]]) -> None:
    """Store a new attempt's empty responses (and keep their specs for the first page)."""
    for response, version in responses:
        _SPECS.put(version.id, version.spec)
        db.session.add(response)
    db.session.flush()


# --- saving ---------------------------------------------------------------------------------

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


def stored_answer(attempt_id: int, position: int) -> Any:
    """(id, question_version_id, layout, value, seq, saved_at, state, saved_by) of one
    response, or None when the attempt has no such question."""
    return db.session.execute(_SAVE_READ, {"attempt_id": attempt_id, "position": position}).first()


def write_answer(
    response_id: int, value: Any, seq: int, now: datetime, state: str, saved_by: str | None
) -> None:
    db.session.execute(
        _SAVE_WRITE,
        {
            "response_id": response_id,
            "new_value": value,
            "new_seq": seq,
            "new_saved_at": now,
            "new_state": state,
            "new_saved_by": saved_by,
        },
    )
    _forget_loaded_responses([response_id])  # a Response read earlier must not show the old answer


def _forget_loaded_responses(response_ids: Iterable[int]) -> None:
    for response_id in response_ids:
        loaded = db.session.identity_map.get(identity_key(Response, response_id))
        if loaded is not None:
            db.session.expire(loaded)


# --- submitting -------------------------------------------------------------------------------

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


def answers_to_grade(attempt_id: int) -> Sequence[Any]:
    """(id, question_version_id, value, max_points, manual_score, override_score) of each
    response, in order."""
    return db.session.execute(_GRADE_READ, {"attempt_id": attempt_id}).all()


def write_grades(attempt: Attempt, grades: list[dict[str, Any]]) -> None:
    """Write each response's grade (``response_id``, ``new_auto_score``, ``new_state``,
    ``new_feedback``, ``new_score``) in one executemany statement."""
    if grades:
        db.session.execute(_GRADE_WRITE, grades)
    # Response objects read earlier must not show the ungraded state.
    _forget_loaded_responses(g["response_id"] for g in grades)
    db.session.expire(attempt, ["responses"])


def open_ids_due_before(cutoff: datetime) -> Sequence[int]:
    """Ids of open attempts whose deadline is before ``cutoff`` (the sweeper's list)."""
    return db.session.scalars(
        select(Attempt.id)
        .where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at < cutoff)
        .order_by(Attempt.id)
    ).all()


def open_timed_attempts(user_id: int, course_id: int) -> Sequence[Attempt]:
    """The user's open attempts with a deadline in a course (the course page's lazy sweep)."""
    return db.session.scalars(
        select(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.user_id == user_id,
            Quiz.course_id == course_id,
            Attempt.state == AttemptState.IN_PROGRESS,
            Attempt.deadline_at.is_not(None),
        )
    ).all()


# --- rendering ----------------------------------------------------------------------------------

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


def responses_of(attempt_id: int) -> list[Response]:
    return list(
        db.session.scalars(
            select(Response).where(Response.attempt_id == attempt_id).order_by(Response.position)
        )
    )


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


class FragmentCache:
    """Rendered HTML by key, least recently used out, bounded in entries and in characters.

    The quiz page is ~80 KB of markup (the article, and for evidence questions every sentence
    of it again), and rendering it was most of the page's cost. Each fragment is a pure
    function of its key (immutable question version, this attempt's layout, the saved answer
    and seq, the article text), so it is safe to keep in every process and never goes stale.
    """

    def __init__(self, entries: int, chars: int) -> None:
        self.entries, self.chars, self.used = entries, chars, 0
        self._data: OrderedDict[Any, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> str | None:
        with self._lock:
            html = self._data.get(key)
            if html is not None:
                self._data.move_to_end(key)
            return html

    def put(self, key: Any, html: str) -> None:
        with self._lock:
            if key in self._data:
                return
            self._data[key] = html
            self.used += len(html)
            self._shrink()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.used = 0

    def _shrink(self) -> None:
        while self._data and (len(self._data) > self.entries or self.used > self.chars):
            _, dropped = self._data.popitem(last=False)
            self.used -= len(dropped)


PAGE_CACHE_ENTRIES, PAGE_CACHE_CHARS = 8192, 32_000_000  # at most ~64 MB of str per worker
_FRAGMENTS = FragmentCache(entries=PAGE_CACHE_ENTRIES, chars=PAGE_CACHE_CHARS)


def clear_page_cache() -> None:
    """Forget every cached quiz-page fragment of this process.

    Keys name database ids, which a real database never reuses; call this when ids are reused
    for other rows (tables emptied between tests, a database restored under a running process).
    """
    _FRAGMENTS.clear()


def configure_page_cache(entries: int = PAGE_CACHE_ENTRIES, chars: int = PAGE_CACHE_CHARS) -> None:
    """Start an empty quiz-page cache in this process with these bounds (the defaults without
    arguments); ``0, 0`` turns caching off, so every fragment is rendered afresh (to check that
    the cache never changes a page)."""
    global _FRAGMENTS
    _FRAGMENTS = FragmentCache(entries=entries, chars=chars)


_MAX_KEYED_ANSWER = 4096  # longer answers (essays) are rendered each time, not kept


def fragment(key: tuple[Any, ...] | None, render: Callable[[], str]) -> str:
    """The HTML of ``key`` from the quiz-page cache, or ``render()`` kept under it; a None
    key (a page with a refusal on it, an essay too long to key) is rendered and not kept."""
    cache = _FRAGMENTS
    html = cache.get(key) if key is not None else None
    if html is None:
        html = render()
        if key is not None:
            cache.put(key, html)
    return html


def sources_key(sources: Sequence[SourceView]) -> tuple[int, ...]:
    return tuple(hash(s) for s in sources)  # frozen dataclasses: hashed by their whole text


def question_key(response: Response, articles: tuple[int, ...]) -> tuple[Any, ...] | None:
    """What one question's fragment is made of: its immutable version, this attempt's layout
    and points, the saved answer and its seq, its review flag, the articles' text (None for a
    long answer)."""
    value = json.dumps(response.value, sort_keys=True)
    if len(value) > _MAX_KEYED_ANSWER:
        return None
    layout = json.dumps(response.layout or {}, sort_keys=True)
    return ("q", response.question_version_id, response.position, response.max_points, layout,
            value, response.seq, bool(response.flagged), articles)  # fmt: skip


def page_key(
    attempt: AttemptRecord, page: int, states: Sequence[Any], articles: tuple[int, ...]
) -> tuple[Any, ...]:
    """What one page's questions block is made of: the attempt (its id and start time fix its
    questions, points and layouts), the page, each question's version, last accepted seq (every
    change of an answer raises its seq, and an answer is only ever stored with a seq it alone
    has) and review flag, and the articles' text."""
    return (
        "page",
        attempt.id,
        attempt.started_at,
        page,
        tuple(
            (r.position, r.question_version_id, r.seq, r.flagged) for r in states if r.page == page
        ),
        articles,
    )


def clear_caches() -> None:
    """Empty every per-process cache of the hot path (specs, articles, page fragments): for
    tests, whose databases reuse ids for other rows, which a real database never does."""
    _SPECS.clear()
    _SOURCES.clear()
    _FRAGMENTS.clear()
