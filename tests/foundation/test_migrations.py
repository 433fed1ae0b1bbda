"""Migrations bring an empty SQLite or PostgreSQL database to exactly the models' schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests.conftest import PG_ADMIN_URL, TEST_CONFIG, require_postgres


def _empty_database(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}", None
    require_postgres()
    name = f"hustings_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", name


@pytest.mark.both_dbs
def test_upgrade_empty_database_to_head_matches_models(backend, tmp_path):
    url, pg_name = _empty_database(backend, tmp_path)
    try:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            upgrade()  # a second run is a no-op
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": False})
                diff = compare_metadata(context, db.metadata)
            db.engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        if pg_name:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
