"""Browser tests' helpers: a live Hustings server on a thread, Chromium's whereabouts, axe-core,
and the steps of taking a quiz in a page.

The fixtures that use them (``live_server``, ``browser``, ``context``, ``page``) are in
tests/conftest.py, defined once for the whole suite: Playwright's sync API allows one instance
per thread. Mark a browser test ``@pytest.mark.browser``.

- ``live_server`` (function scope): the real app, CSRF **enabled**, served by werkzeug on
  ``127.0.0.1:<free port>`` from a thread, on a fresh SQLite file in ``tmp_path`` built with
  ``create_all``. It has ``.url`` (no trailing slash), ``.app``, ``.make`` (the factories of
  ``tests/support/factories.py`` bound to the server's database; call them directly, they
  commit), ``.db`` (the session, for assertions: call ``fresh(live_server)`` before reading what
  the browser changed), ``.login(page, user)`` (through the real login form) and ``.restart()``
  (stop and start the server on the same port and database: a "server restart").
- ``browser`` (session scope): Chromium at /usr/bin/chromium, headless. Never downloads one.
- ``context`` / ``page`` (function scope): a fresh browser context and a page in it.
  Use ``browser.new_context(bypass_csp=True)`` when injecting scripts such as axe-core
  (``run_axe``), since the app's CSP forbids inline scripts.

Without Chromium or Playwright the tests skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from app.extensions import db as _db
from app.models import Attempt, Response
from tests.support import factories
from tests.support.config import IN_CI
from tests.support.quiz_setup import Setup

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-4.14.1.min.js"


def unavailable(reason: str) -> None:
    """Skip, or fail under CI: browser tests must run there."""
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true forbids skipping browser tests")
    pytest.skip(reason)


class LiveServer:
    """The app served over HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.db = _db
        self.make = factories.Factory(_db)
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def restart(self) -> None:
        """Stop and start again (same port, same database): nothing in memory survives but
        the in-process caches, which only hold immutable things."""
        self.stop()
        self.start()

    def login(self, page: Any, user: Any, password: str = factories.PASSWORD) -> None:
        page.goto(self.url + "/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page (needs ``bypass_csp=True``)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return list(result)


def fresh(live: LiveServer) -> None:
    """End the test's read transaction so it sees what the browser changed since."""
    live.db.session.rollback()
    live.db.session.expire_all()


def values(live: LiveServer, attempt_id: int) -> dict[str, Any]:
    """The stored answers of an attempt, by question id."""
    fresh(live)
    rows = live.db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
    return {r.question_version.spec["id"]: r.value for r in rows}


def attempt_of(live: LiveServer, s: Setup) -> Attempt:
    fresh(live)
    return live.db.session.scalar(select(Attempt).where(Attempt.quiz_id == s.quiz.id))


def open_quiz(live: LiveServer, page: Any, s: Setup) -> int:
    """Log the student in, start (or resume) the quiz from the course page; the attempt id."""
    live.login(page, s.student)
    page.goto(f"{live.url}/courses/{s.course.id}")
    page.get_by_role("button", name=re.compile(r"^(Start|Resume)")).first.click()
    page.wait_for_url(re.compile(r"/(attempts/\d+$|quizzes/\d+)"))
    if "/quizzes/" in page.url:  # a timed quiz: the quiz page confirms before the timer starts
        page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


class Positions(dict):
    """Question id → position, plus each question's per-attempt aliases (matching choices and
    ordering items are named on the page by aliases, never by their spec ids)."""

    alias: dict[str, dict[str, str]]


def qid_position(live: LiveServer, attempt_id: int) -> Positions:
    fresh(live)
    rows = list(live.db.session.scalars(select(Response).where(Response.attempt_id == attempt_id)))
    pos = Positions({r.question_version.spec["id"]: r.position for r in rows})
    pos.alias = {r.question_version.spec["id"]: (r.layout or {}).get("alias", {}) for r in rows}
    return pos


def wait_saved(page: Any, timeout: float | None = None) -> None:
    """Until the page says every answer reached the server (and none waits in localStorage)."""
    page.wait_for_function(
        # "Saved 14:05 CET" ("Saved 02:05 PM UTC" in en-US): the zone is named, like every
        # other time on the page
        "() => /^Saved \\d\\d:\\d\\d( [AP]M)? [A-Z][A-Za-z0-9+:-]*$/"
        ".test(document.getElementById('save-status').textContent)"
        " && !localStorage.length",
        timeout=timeout,
    )
