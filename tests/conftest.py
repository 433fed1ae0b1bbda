"""Fixtures shared by the whole suite: app, db, client, login_as, make (factories), setup, smtp,
and the browser's (live_server, browser, context, page). Shared code is in tests/support.

Database tests run on SQLite always. Tests marked ``both_dbs`` run on PostgreSQL too when the
server at 127.0.0.1:5432 answers; with ``CI=true`` a missing server is a failure, not a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import stamp
from sqlalchemy import text

from app import create_app
from app.database import declare_write_intent
from app.extensions import db as _db
from app.services import attempt_store, mail
from tests.support import factories, postgres
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, unavailable
from tests.support.config import TEST_CONFIG
from tests.support.gunicorn import HOST, free_port
from tests.support.mail import PUBLIC_URL, Mailbox
from tests.support.quiz_setup import Setup, build
from tests.support.web import SessionSyncClient


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_dbs: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


class Databases:
    """One migrated database per backend for the whole run, emptied after each test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.urls: dict[str, str] = {}
        self.pg: list[postgres.Database] = []

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp / 'test.sqlite'}"
            else:
                database = postgres.create_database()
                self.pg.append(database)
                url = database.sqlalchemy_url
            app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                # The schema comes from the models here; the migration tests prove the
                # migrations produce the same schema.
                _db.create_all()
                stamp()  # so `hustings demo`/`serve`, which upgrade first, see an up-to-date schema
                _db.engine.dispose()
            self.urls[backend] = url
        return self.urls[backend]

    def drop(self) -> None:
        for database in self.pg:
            postgres.drop_database(database)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


def empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


def clear_process_caches() -> None:
    """Forget what workers keep per process by database id (specs, quiz pages): the next
    test reuses the ids for other rows, which a real database never does."""
    attempt_store.clear_caches()


@pytest.fixture
def app(databases: Databases, backend: str) -> Iterator[Flask]:
    url = databases.url(backend)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    declare_write_intent(False)  # CLI commands run in this thread may have left it on
    with app.app_context():
        yield app
        declare_write_intent(False)
        _db.session.rollback()
        empty_all_tables()
        clear_process_caches()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def app_config(app: Flask) -> dict[str, Any]:
    """The test config of ``app``, for tests that build a variant (CSRF on, Redis limits)."""
    return {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}


@pytest.fixture
def web_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """A second app on the same database that serves the test requests.

    ``app`` keeps an app context open for factories; requests to the same app object would
    share that context's ``g`` (and so Flask-Login's cached user) across requests. Requests
    to ``web_app`` each get their own context, as in production.
    """
    web = create_app(app_config)
    web.test_client_class = SessionSyncClient
    yield web
    with web.app_context():
        _db.engine.dispose()


@pytest.fixture
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> factories.Factory:
    return factories.Factory(_db)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Log ``client`` in as ``user`` through the real login form."""

    def _login(
        user: Any, password: str = factories.PASSWORD, c: FlaskClient | None = None
    ) -> FlaskClient:
        c = c or client
        response = c.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return _login


@pytest.fixture
def setup(make: factories.Factory) -> Setup:
    """A course, its instructor, an enrolled student and a quiz of every question type."""
    return build(make)


# --- mail: a real SMTP server on 127.0.0.1 --------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname=HOST, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        mail.OUTBOX.wait()
        controller.stop()


@pytest.fixture
def mail_app(app_config: dict[str, Any], smtp: Mailbox) -> Flask:
    """The web app with SMTP configured to the test server and a public URL."""
    web = create_app(
        {
            **app_config,
            "SMTP_HOST": HOST,
            "SMTP_PORT": smtp.port,
            "SMTP_SECURITY": "none",
            "MAIL_FROM": "quiz@example.test",
            "PUBLIC_URL": PUBLIC_URL,
        }
    )
    web.test_client_class = SessionSyncClient
    return web


# --- browser tests (helpers in tests/support/browser.py) ----------------------------------


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
        unavailable("Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}")
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
