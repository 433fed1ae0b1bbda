"""SQLite under concurrent writers: write transactions start with BEGIN IMMEDIATE."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.database import declare_write_intent
from app.extensions import db
from app.models import Course
from tests.support.config import TEST_CONFIG


def _read_then_write(app, barrier: threading.Barrier, errors: list[BaseException], immediate: bool):
    with app.app_context():
        declare_write_intent(immediate)
        try:
            barrier.wait()
            count = len(db.session.scalars(select(Course)).all())  # read first ...
            barrier.wait(timeout=5) if not immediate else None
            db.session.execute(  # ... then write: the classic lock-upgrade failure
                text("UPDATE course SET title = :t"), {"t": f"seen {count}"}
            )
            db.session.commit()
        except (OperationalError, threading.BrokenBarrierError) as exc:
            errors.append(exc)
            db.session.rollback()
        finally:
            declare_write_intent(False)
            db.session.remove()


def _run(app, immediate: bool, n: int = 2) -> list[BaseException]:
    barrier = threading.Barrier(n, timeout=10)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_read_then_write, args=(app, barrier, errors, immediate))
        for _ in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_write_transactions_do_not_fail_with_database_locked(app, make):
    make.course()
    assert _run(app, immediate=True, n=4) == []


def test_deferred_read_then_write_would_fail_without_it(app, make):
    """The control: proves the test above exercises the lock upgrade problem."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    make.course()
    errors = _run(app, immediate=False, n=2)
    assert any("locked" in str(e) for e in errors)


def test_a_connection_opened_while_the_file_was_read_only_is_replaced(tmp_path):
    """Issue 14 point 8: a worker that connected while the SQLite file was read-only answered
    503 until restarted. Now the read-only connection is dropped at its first failed write, and
    the next request, once the file is writable again, succeeds."""

    path = tmp_path / "ro.sqlite"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    read_only = {"on": False}
    with app.app_context():
        db.create_all()

        @event.listens_for(db.engine, "do_connect")
        def _open(dialect, record, cargs, cparams):
            if read_only["on"]:  # what the permissions allowed when this worker connected
                cargs[:] = [f"file:{path}?mode=ro"]
                cparams["uri"] = True

        db.engine.dispose()
        read_only["on"] = True
        row = {"title": "T", "code": "", "join_code": "ABCDEFGH"}
        with pytest.raises(OperationalError, match="readonly"):
            db.session.execute(insert(Course).values(**row))
            db.session.commit()
        db.session.rollback()
        read_only["on"] = False  # the permissions are fixed
        db.session.execute(insert(Course).values(**row))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1
        db.session.remove()
        db.engine.dispose()


def test_sqlite_commits_are_durable_before_the_reply(app):
    """Issue 14 point 12: WAL with synchronous=FULL (2), so an acknowledged answer survives a
    power loss; NORMAL (1) could lose the last commits."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
