"""Scale-out: two ``hustings serve`` instances on different ports, one PostgreSQL, one Redis.

Shows what docs/deployment.md promises: app processes keep nothing per user, so a student can
start an attempt on one machine and go on (save, submit, see the result) on another, and the
login throttle counts failures on every instance together. With CI=true a missing PostgreSQL or
Redis fails the test instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from bench import client, fixture
from tests.support.config import IN_CI
from tests.support.paths import ROOT
from tests.support.postgres import temporary_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS_URL = "redis://127.0.0.1:6379/14"


def require_redis() -> redis.Redis:
    conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail("Redis at 127.0.0.1:6379 is not reachable, and CI=true forbids skipping")
        pytest.skip("Redis is not reachable")
    return conn


def run(coro: Any) -> Any:
    """Run ``coro`` on a loop of its own thread: Playwright's sync API (the browser tests'
    session fixture) keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Instance:
    """One ``hustings serve`` (gunicorn) on a free port of 127.0.0.1, stopped by its PID."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # The `hustings` console script's entry point, serving this checkout's app.
        cmd = [
            sys.executable,
            "-c",
            "import sys; from app.cli.console import main; sys.exit(main())",
        ]
        cmd += ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        self.name, self.log = name, log
        self.handle = log.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if run(client.request(self.port, "GET", "/login", timeout=5)).status == 200:
                    return
            except (OSError, client.HTTPError, TimeoutError):
                pass
            time.sleep(0.3)
        pytest.fail(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.handle.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_database("hustings_scale") as database:
        yield database.url


@pytest.fixture
def deployment(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The course on the shared database, and two instances in front of it."""
    from app import create_app
    from app.config import normalise_database_url
    from app.extensions import db

    limits = require_redis()
    limits.flushdb()
    secret = secrets.token_hex(32)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": normalise_database_url(pg_url), "SECRET_KEY": secret,
         "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1},
        instance_path=tmp_path / "instance",
    )  # fmt: skip
    with app.app_context():
        fixture.create_schema()
        fixture.load_shipped_banks()
        course = fixture.build_course(1, {"exam": 1}, label="scale")
        db.session.remove()
        db.engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG",)}
    env.update(
        DATABASE_URL=pg_url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=secret,  # every machine signs sessions with the same key
        HUSTINGS_INSECURE_COOKIES="1",  # plain HTTP on loopback
    )
    instances = [Instance(n, env, tmp_path / f"{n}.log") for n in ("a", "b")]
    try:
        for instance in instances:
            instance.wait_ready()
        yield {"a": instances[0], "b": instances[1], "course": course, "app": app}
    finally:
        for instance in instances:
            instance.stop()
        limits.flushdb()


def test_attempt_started_on_one_instance_continues_on_the_other(
    deployment: dict[str, Any],
) -> None:
    a, b = deployment["a"], deployment["b"]
    course: fixture.BenchCourse = deployment["course"]
    quiz = course.quizzes["exam"][0]
    _, email = course.students[0]
    on_a = client.Browser(a.port)
    run(on_a.login(email, fixture.PASSWORD))

    # An anonymous request served next by the same worker is not that student.
    anonymous = run(client.request(a.port, "GET", "/courses/"))
    assert anonymous.status == 302 and "/login" in (anonymous.header("location") or "")

    assert run(on_a.get(f"/courses/{course.course_id}")).status == 200
    started = run(on_a.post_form(f"/quizzes/{quiz.id}/start", {}))
    assert started.status == 302, started.body[:300]
    attempt_id = int((started.header("location") or "").rstrip("/").rsplit("/", 1)[1])
    assert run(on_a.get(f"/attempts/{attempt_id}")).status == 200

    # The same browser (cookie) now reaches instance B: same session, same attempt.
    on_b = client.Browser(b.port, cookie=on_a.cookie, csrf=on_a.csrf)
    page = run(on_b.get(f"/attempts/{attempt_id}"))
    assert page.status == 200
    answers = {}
    for position in (1, 2, 10):
        value = fixture.answer_for(quiz.specs[position - 1], position)
        reply = run(on_b.post_json(f"/attempts/{attempt_id}/responses/{position}",
                                   {"value": value, "seq": 1}))  # fmt: skip
        assert reply.status == 200, reply.body[:300]
        answers[position] = value
    # A stale save from the first tab, on the other instance, is refused there too.
    on_a.cookie = on_b.cookie
    older = fixture.answer_for(quiz.specs[9], 3)
    stale = run(on_a.post_json(f"/attempts/{attempt_id}/responses/10", {"value": older, "seq": 1}))
    assert stale.status == 409
    newer = fixture.answer_for(quiz.specs[9], 4)
    reply = run(on_a.post_json(f"/attempts/{attempt_id}/responses/10", {"value": newer, "seq": 2}))
    assert reply.status == 200
    answers[10] = newer

    on_b.cookie = on_a.cookie
    assert run(on_b.get(f"/attempts/{attempt_id}/submit")).status == 200
    assert run(on_b.post_form(f"/attempts/{attempt_id}/submit", {})).status == 302
    on_a.cookie = on_b.cookie
    assert run(on_a.get(f"/attempts/{attempt_id}/result")).status == 200

    from sqlalchemy import select

    from app.extensions import db
    from app.models import Attempt, Response

    with deployment["app"].app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.state == "submitted"
        stored = dict(
            db.session.execute(
                select(Response.position, Response.value).where(Response.attempt_id == attempt_id)
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    for position, value in answers.items():
        assert stored[position] == value


def test_login_throttle_is_shared_by_the_instances(deployment: dict[str, Any]) -> None:
    a, b = deployment["a"], deployment["b"]
    _, email = deployment["course"].students[0]

    async def fail_on(port: int) -> int:
        browser = client.Browser(port)
        await browser.get("/login")
        reply = await browser.post_form("/login", {"email": email, "password": "wrong-password"})
        return reply.status

    # LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS is 5 per 5 minutes; the first five happen on A.
    assert [run(fail_on(a.port)) for _ in range(5)] == [401] * 5
    assert run(fail_on(b.port)) == 429
    # And the right password on B is refused too while the account is throttled.
    browser = client.Browser(b.port)
    run(browser.get("/login"))
    reply = run(browser.post_form("/login", {"email": email, "password": fixture.PASSWORD}))
    assert reply.status == 429
