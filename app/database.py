"""Engine behaviour that makes SQLite safe under several gunicorn workers.

SQLite in WAL mode lets readers run beside one writer. A transaction that reads and then writes
fails at once with "database is locked" when another writer got in between, whatever the busy
timeout says; so state-changing requests open their transaction with ``BEGIN IMMEDIATE``, which
waits for the write lock up front. Read-only requests keep plain deferred transactions.
"""

from __future__ import annotations

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
    taken up front, or this is not a request: CLI and tests keep their own transaction)."""
    if _deferred_write.get():
        _deferred_write.set(False)
        ensure_write_transaction()


def ensure_write_transaction() -> None:
    """Switch a read-only request to write mode before it writes (e.g. a lazy finalise).

    On SQLite a deferred transaction that has already read cannot safely upgrade, so it is rolled
    back (it only read) and the next statement opens ``BEGIN IMMEDIATE``.
    """
    if _write_intent.get():
        return
    _write_intent.set(True)
    if db.engine.dialect.name == "sqlite":
        db.session.rollback()


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
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
