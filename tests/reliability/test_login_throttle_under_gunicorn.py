"""Login throttling against real gunicorn workers (issue 22 points 2-4, issue 14 points 6-7).

Every request below is a new connection, so gunicorn spreads them over its four workers: the
counts must be shared by them (they live in the database, not in a worker's memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import factories
from tests.support.deployment import Deployment, server_errors
from tests.support.gunicorn import Student, free_port
from tests.support.postgres import block_postgres, unblock_postgres

pytestmark = pytest.mark.slow


def try_login(server, email: str, password: str) -> int:
    """One login from a fresh browser (a new connection, so any worker may answer)."""
    browser = Student(server)
    browser.get("/login")
    return browser.post("/login", {"email": email, "password": password}).status_code


def test_failed_logins_are_counted_across_four_workers_without_redis(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    student = dep.make.student()
    email = student.email
    server = dep.serve()
    assert [try_login(server, email, "wrong-password") for _ in range(5)] == [401] * 5
    assert try_login(server, email, factories.PASSWORD) == 429
    log = server.log()
    assert log.count(f"login failed account={email} ip=127.0.0.1 reason=wrong-password") == 5
    assert f"login throttled account={email} ip=127.0.0.1" in log
    assert "wrong-password" not in log.replace("reason=wrong-password", "")
    assert not server_errors(server)


def test_a_lab_of_60_behind_one_address_all_log_in_despite_typos_and_a_guesser(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    emails = [dep.make.student().email for _ in range(60)]
    server = dep.serve()
    target = emails[0]
    # one classmate guesses the target's password 30 times from the lab
    guesses = [try_login(server, target, f"guess-{i:04d}") for i in range(30)]
    assert set(guesses) == {401, 429} and guesses[:5] == [401] * 5

    def arrive(i: int) -> int:
        return try_login(server, emails[i], "a-typo-typo")

    def log_in(i: int) -> int:
        return try_login(server, emails[i], factories.PASSWORD)

    with ThreadPoolExecutor(8) as pool:
        typos = list(pool.map(arrive, range(1, 60)))
        results = list(pool.map(log_in, range(1, 60)))
    assert typos == [401] * 59
    assert results == [302] * 59, results
    assert not server_errors(server)


def test_a_database_outage_does_not_count_as_failed_logins(
    deploy: Callable[[str], Deployment],
) -> None:
    """20 tries during an outage (5 by a student, 15 by classmates, one address): all 503, and
    once the database is back nobody is throttled."""
    dep = deploy("postgresql")
    student = dep.make.student().email
    classmates = [dep.make.student().email for _ in range(15)]
    server = dep.serve()
    browsers = [Student(server) for _ in range(20)]
    for b in browsers:
        b.get("/login")
    block_postgres(dep.url)
    try:
        statuses = [
            b.post("/login", {"email": student if i < 5 else classmates[i - 5],
                              "password": factories.PASSWORD}).status_code
            for i, b in enumerate(browsers)
        ]  # fmt: skip
    finally:
        unblock_postgres(dep.url)
    assert statuses == [503] * 20
    assert try_login(server, student, factories.PASSWORD) == 302
    assert all(try_login(server, c, factories.PASSWORD) == 302 for c in classmates)


def test_redis_down_or_hung_is_a_quick_clear_503_and_login_does_not_need_it(
    deploy: Callable[[str], Deployment], tmp_path
) -> None:
    """Our own redis-server (never the shared one): stopped with SIGSTOP (hung), then killed."""
    port = free_port()
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        dep = deploy("sqlite")
        email = dep.make.student().email
        server = dep.serve(env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
        os.kill(redis_proc.pid, signal.SIGSTOP)  # hung: accepts nothing, answers nothing
        for _ in range(4):
            browser = Student(server)
            browser.get("/signup")
            started = time.monotonic()
            r = browser.post("/signup", {"join_code": "ABCDEFGH", "email": "n@example.test"})
            took = time.monotonic() - started
            assert r.status_code == 503 and "Try again in a minute" in r.text, r.text[:300]
            assert took < 4, took
        started = time.monotonic()
        status = try_login(server, email, factories.PASSWORD)
        assert status == 302, server.log()[-3000:]
        assert time.monotonic() - started < 4
        os.kill(redis_proc.pid, signal.SIGCONT)
        os.kill(redis_proc.pid, signal.SIGKILL)  # down
        redis_proc.wait(10)
        r = requests.post(server.base + "/signup", timeout=10)
        assert r.status_code in (400, 503)  # CSRF first without a token, never a 500
        browser = Student(server)
        browser.get("/signup")
        r = browser.post("/signup", {"join_code": "ABCDEFGH", "email": "n@example.test"})
        assert r.status_code == 503
    finally:
        if redis_proc.poll() is None:
            os.kill(redis_proc.pid, signal.SIGCONT)
            os.kill(redis_proc.pid, signal.SIGKILL)
            redis_proc.wait(10)
