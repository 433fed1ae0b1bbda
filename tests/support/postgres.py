"""The one way a test gets a PostgreSQL database of its own (and cuts it off, for outages).

The server is 127.0.0.1:5432 (``HUSTINGS_TEST_PG`` overrides the admin URL). When it does not
answer, tests skip, except under ``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest

from tests.support.config import IN_CI

PG_ADMIN_URL = os.environ.get("HUSTINGS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """Skip the test when the server is down; fail it under CI."""
    if postgres_reachable():
        return
    if IN_CI:
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable, and CI=true forbids skipping")
    pytest.skip("PostgreSQL is not reachable")


@dataclass(frozen=True)
class Database:
    name: str

    @property
    def url(self) -> str:
        """``postgresql://…``, as a deployment writes ``DATABASE_URL`` (the app normalises it)."""
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        """The same database with the psycopg 3 driver named, for ``SQLALCHEMY_DATABASE_URI``."""
        return self.url.replace("postgresql://", "postgresql+psycopg://", 1)


def create_database(prefix: str = "hustings_test") -> Database:
    """A new empty database (skips or fails as ``require_postgres`` does); drop it afterwards."""
    require_postgres()
    database = Database(f"{prefix}_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database.name}"')
    return database


def drop_database(database: Database) -> None:
    """Drop it even while connections are open or after ``block`` refused new ones."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database.name}" WITH ALLOW_CONNECTIONS true')
        conn.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@contextmanager
def temporary_database(prefix: str = "hustings_test") -> Iterator[Database]:
    database = create_database(prefix)
    try:
        yield database
    finally:
        drop_database(database)


def name_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def block_postgres(url: str) -> None:
    """Make the database unreachable: no new connections, existing ones terminated."""
    name = name_of(url)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        # CONNECTION LIMIT does not bind superusers; ALLOW_CONNECTIONS binds everyone.
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false CONNECTION LIMIT 0')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def unblock_postgres(url: str) -> None:
    name = name_of(url)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1')
