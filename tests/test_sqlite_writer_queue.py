"""SQLite writers queue on a lock file (app.database.WriterQueueConnection).

Writers that found the database locked used to sleep in SQLite's busy handler, in steps that
grow to 100 ms, while the lock was already free; now they wait on ``flock`` and are woken when
the writer before them commits. These tests check the queue orders writers across threads and
processes, is released by commit, rollback and close, and never makes a thread wait on itself.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import database
from app.database import WriterQueueConnection


def _connect(path: Path) -> WriterQueueConnection:
    conn = WriterQueueConnection(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "q.sqlite"
    conn = _connect(p)
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.close()
    return p


def _write(conn: WriterQueueConnection, n: int) -> None:
    conn.wait_for_writers()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (?)", (n,))


def test_a_second_writer_waits_for_the_first_to_commit(path: Path) -> None:
    first, second = _connect(path), _connect(path)
    second.execute("PRAGMA busy_timeout = 0")  # without the queue it would fail at once
    _write(first, 1)
    began: list[float] = []

    def other() -> None:
        _write(second, 2)
        began.append(time.monotonic())
        second.commit()

    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.3)
    assert not began, "the second writer began while the first held the lock"
    committed = time.monotonic()
    first.commit()
    t.join(5)
    assert began and began[0] >= committed
    assert sorted(n for (n,) in first.execute("SELECT n FROM t")) == [1, 2]
    first.close()
    second.close()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_commit_rollback_and_close_leave_the_queue(path: Path, end: str) -> None:
    first, second = _connect(path), _connect(path)
    _write(first, 1)
    getattr(first, end)()
    done = threading.Event()

    def other() -> None:
        _write(second, 2)
        second.commit()
        done.set()

    threading.Thread(target=other, daemon=True).start()
    assert done.wait(5), f"{end} did not let the next writer in"
    second.close()
    if end != "close":
        first.close()


def test_the_queue_is_shared_with_other_processes(path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path) + '-writers'!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(0.5)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        conn = _connect(path)
        start = time.monotonic()
        _write(conn, 1)
        waited = time.monotonic() - start
        conn.commit()
        conn.close()
        assert waited >= 0.2, "the writer did not wait for the other process"
    finally:
        holder.communicate(timeout=10)  # waits and closes its pipe


def test_a_thread_never_waits_on_itself_for_ever(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One thread writing through two connections (a bug) gets SQLite's busy error after the
    timeout, as it would without the queue, instead of hanging."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    first, second = _connect(path), _connect(path)
    second.execute("PRAGMA busy_timeout = 0")
    _write(first, 1)
    start = time.monotonic()
    second.wait_for_writers()
    assert 0.15 <= time.monotonic() - start < 5
    with pytest.raises(Exception, match="locked"):
        second.execute("BEGIN IMMEDIATE")
    first.commit()
    first.close()
    second.close()


def test_memory_databases_do_not_queue() -> None:
    conn = WriterQueueConnection(":memory:")
    conn.wait_for_writers()
    assert conn._queued is False
    conn.close()
