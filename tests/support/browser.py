"""Browser-test fixtures (a pytest plugin loaded by tests/conftest.py, so every folder shares one
Playwright and one Chromium): a live Hustings server and headless Debian Chromium.

Reuse these for any browser test (mark it ``@pytest.mark.browser``):

- ``live_server`` (function scope): the real app, CSRF **enabled**, served by werkzeug on
  ``127.0.0.1:<free port>`` from a thread, on a fresh SQLite file in ``tmp_path`` built with
  ``create_all``. It has ``.url`` (no trailing slash), ``.app``, ``.make`` (the factories of
  ``tests/factories.py`` bound to the server's database; call them directly, they commit),
  ``.db`` (the session, for assertions: call ``live_server.db.session.expire_all()`` before
  reading what the browser changed), ``.login(page, user)`` (through the real login form) and
  ``.restart()`` (stop and start the server on the same port and database: a "server restart").
- ``browser`` (session scope): Chromium at /usr/bin/chromium, headless. Never downloads one.
- ``context`` / ``page`` (function scope): a fresh browser context and a page in it.
  Use ``browser.new_context(bypass_csp=True)`` when injecting scripts such as axe-core
  (``AXE`` is its path), since the app's CSP forbids inline scripts.

Without Chromium or Playwright the tests skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.extensions import db as _db
from tests import factories
from tests.conftest import TEST_CONFIG

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
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


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    config = {
        **TEST_CONFIG,
        "TESTING": False,  # behave as in production (error pages, no test shortcuts)
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}",
    }
    app = create_app(config)
    with app.app_context():
        _db.create_all()
        server = LiveServer(app)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        _unavailable("Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


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
