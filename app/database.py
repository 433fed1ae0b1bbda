"""Engine behaviour that makes SQLite safe under several gunicorn workers.

SQLite in WAL mode lets readers run beside one writer. A transaction that reads and then writes
fails at once with "database is locked" when another writer got in between, whatever the busy
timeout says; so state-changing requests open their transaction with ``BEGIN IMMEDIATE``, which
waits for the write lock up front. Read-only requests keep plain deferred transactions.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

F = TypeVar("F")

_deferred_write: ContextVar[bool] = ContextVar("hustings_deferred_write", default=False)
_write_intent: ContextVar[bool] = ContextVar("hustings_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def declare_write_intent(value: bool = True) -> None:
    """Make the next transaction on this thread/context a write transaction."""
    _write_intent.set(value)


def defer_write_lock(view: F) -> F:
    """Mark a POST view whose service takes the write lock itself, late, through
    ``take_deferred_write_lock()``: authentication and checks then run without holding SQLite's
    one write lock, which every other worker's writes wait for (the autosave's tail latency
    under an exam start). The view must not write before the service takes the lock."""
    view.defers_write_lock = True  # type: ignore[attr-defined]
    return view


def declare_deferred_write(value: bool) -> None:
    """Set per request by the app: this request's view deferred its write lock."""
    _deferred_write.set(value)


def take_deferred_write_lock() -> None:
    """Take the write lock now if this request deferred it; otherwise do nothing (the lock was
    taken up front, or this is not a request: CLI and tests keep their own transaction).

    Objects loaded before (the logged-in user) stay loaded: whatever must be current is read
    again under the lock by the caller (``with_for_update``/``populate_existing``)."""
    if _deferred_write.get():
        _deferred_write.set(False)
        _switch_to_write(keep_loaded=True)


def ensure_write_transaction() -> None:
    """Switch a read-only request to write mode before it writes (e.g. a lazy finalise).

    On SQLite a deferred transaction that has already read cannot safely upgrade, so it is rolled
    back (it only read) and the next statement opens ``BEGIN IMMEDIATE``.
    """
    _switch_to_write(keep_loaded=False)


def _switch_to_write(*, keep_loaded: bool) -> None:
    if _write_intent.get():
        return
    _write_intent.set(True)
    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if keep_loaded and not (session.new or session.dirty or session.deleted):
        # Ending a read-only transaction by commit or rollback is the same to the database;
        # commit can leave the loaded objects alone, which saves reloading them.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    else:
        session.rollback()


def locked_rows() -> set[Any]:
    """Keys of rows the current transaction holds locked (e.g. ``("attempt", 7)``), so that a
    service called after an authorised ``FOR UPDATE`` read need not lock and read again."""
    session = db.session()
    transaction = session.get_transaction()
    held = session.info.get("hustings_locked_rows")
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info["hustings_locked_rows"] = held
    return held[1]


@contextmanager
def writing() -> Iterator[None]:
    """Run a block (a CLI command, a job) as one write transaction, then restore the mode."""
    previous = _write_intent.get()
    if not previous and db.engine.dialect.name == "sqlite":
        db.session.rollback()  # end any deferred (read) transaction before taking the lock
    _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.set(previous)


def configure_engine(engine: Engine) -> None:
    """Register the per-dialect connection setup on ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself instead of pysqlite's guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before the student is told "Saved", power loss included
        # (NORMAL in WAL mode may lose the last commits). Its cost is in docs/deployment.md.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _sqlite_read_only(context: Any) -> None:
        # A connection opened while the file was read-only stays read-only for its whole life,
        # even after the permissions are fixed: treat it as lost, so the pool opens a new one
        # and the worker recovers by itself (the request that met it still answers 503).
        error = context.original_exception
        if isinstance(error, sqlite3.OperationalError) and "readonly" in str(error):
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        if not _write_intent.get():
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.dbapi_connection
        if isinstance(raw, WriterQueueConnection):
            raw.wait_for_writers()
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_WRITER_IN_PROCESS = threading.Lock()


class WriterQueueConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on a lock file first.

    SQLite makes a writer that finds the database locked sleep and retry, in steps that grow
    to 100 ms; under an exam start, workers slept while the lock was free (submits on four
    workers ran at a quarter of one worker's speed). Waiting on ``flock`` instead wakes the
    next writer the moment the previous one commits or rolls back. The lock is released only
    after COMMIT/ROLLBACK; the kernel releases it if the process dies. Writers that do not
    use this class (the sqlite3 shell) still meet SQLite's own lock and busy timeout.
    """

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = str(database)
        self._queue_fd: int | None = None
        self._queued = False
        if name and name != ":memory:" and not name.startswith("file:"):
            self._queue_fd = os.open(name + "-writers", os.O_RDWR | os.O_CREAT, 0o600)

    def wait_for_writers(self) -> None:
        if self._queue_fd is None or self._queued:
            return
        # Threads of this process queue on a lock with a timeout first, so a thread that
        # holds the queue through another connection cannot wait on itself for ever: after
        # the timeout it goes on and meets SQLite's busy timeout, as without the queue.
        if not _WRITER_IN_PROCESS.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            return
        try:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)  # blocks without holding the GIL
        except BaseException:
            _WRITER_IN_PROCESS.release()
            raise
        self._queued = True

    def _leave_queue(self) -> None:
        if self._queued:
            self._queued = False
            try:
                fcntl.flock(self._queue_fd, fcntl.LOCK_UN)  # type: ignore[arg-type]
            finally:
                _WRITER_IN_PROCESS.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None


def sqlite_engine_options(options: dict[str, Any]) -> dict[str, Any]:
    """Engine options for a SQLite file: writers queue (above); no pre-ping (a file has no
    connection to lose, and the ping cost a query on every request)."""
    out = {k: v for k, v in options.items() if k != "pool_pre_ping"}
    out["connect_args"] = {**out.get("connect_args", {}), "factory": WriterQueueConnection}
    return out
