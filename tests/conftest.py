"""Fixtures shared by the whole suite: app, db, client, login_as, factories.

Database tests run on SQLite always. Tests marked ``both_dbs`` run on PostgreSQL too when the
server at 127.0.0.1:5432 answers; with ``CI=true`` a missing server is a failure, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import stamp
from sqlalchemy import text

from app import create_app
from app.database import declare_write_intent
from app.extensions import db as _db
from tests import factories

pytest_plugins = ["tests.browser_support"]

PG_ADMIN_URL = os.environ.get("HUSTINGS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-" + "s" * 32,  # long enough for production checks
    "WTF_CSRF_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Flask-Limiter keeps `enabled` on its process-wide singleton: say it on every app.
    "RATELIMIT_ENABLED": True,
    "REDIS_URL": None,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_dbs: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    if postgres_reachable():
        return
    if IN_CI:
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable, and CI=true forbids skipping")
    pytest.skip("PostgreSQL is not reachable")


class Databases:
    """One migrated database per backend for the whole run, emptied after each test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.urls: dict[str, str] = {}
        self.pg_names: list[str] = []

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp / 'test.sqlite'}"
            else:
                require_postgres()
                name = f"hustings_test_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                self.pg_names.append(name)
                url = (
                    PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                    + f"/{name}"
                )
            app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                # The schema comes from the models here; tests/test_migrations.py proves the
                # migrations produce the same schema.
                _db.create_all()
                stamp()  # so `hustings demo`/`serve`, which upgrade first, see an up-to-date schema
                _db.engine.dispose()
            self.urls[backend] = url
        return self.urls[backend]

    def drop(self) -> None:
        if not self.pg_names:
            return
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.pg_names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    from app.services import attempt_store

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


class SessionSyncClient(FlaskClient):
    """Ends the test's own transaction around each request.

    On SQLite in WAL mode (and PostgreSQL's repeatable snapshots) a test that read before a
    request would otherwise keep seeing the database as it was before the request.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        _db.session.commit()
        try:
            return super().open(*args, **kwargs)
        finally:
            _db.session.commit()
            _db.session.expire_all()


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
