"""Fixtures for the library tests: a logged-in instructor and the real bank files."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.domain.banks.schema import load_bank_paths
from app.extensions import db as _db
from app.models import Bank, BankSource, Paragraph, Question, QuestionVersion, Source
from app.services.bank_sync import sync_banks
from tests.factories import single_choice_spec

ROOT = Path(__file__).parents[2]
BANKS = ROOT / "question_banks"
SHARED_ARTICLES = ROOT.parent / "shared" / "articles"


@pytest.fixture(autouse=True)
def _dispose_web_engine(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the request app's pool after each test (on PostgreSQL an open pool left to the
    garbage collector is a ResourceWarning, an error under our settings)."""
    web_app = request.getfixturevalue("web_app") if "web_app" in request.fixturenames else None
    yield
    if web_app is not None:
        with web_app.app_context():
            _db.engine.dispose()


@pytest.fixture
def teacher(make: Any) -> Any:
    return make.instructor()


@pytest.fixture
def teacher_client(teacher: Any, login_as: Any, client: FlaskClient) -> FlaskClient:
    return login_as(teacher)


def upload(data: bytes | str, name: str = "bank.yaml") -> tuple[io.BytesIO, str]:
    """A file for a multipart form field."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return io.BytesIO(raw), name


def counts(db: Any) -> dict[str, int]:
    """Row counts of every library table: 'nothing changed' means these are equal."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Source, Paragraph, Bank, BankSource, Question, QuestionVersion)
    }


def snapshot(db: Any) -> list[tuple[Any, ...]]:
    """Every library row's content, to prove a refused input changed nothing at all."""
    db.session.expire_all()
    rows: list[tuple[Any, ...]] = []
    for model in (Source, Paragraph, Bank, BankSource, Question, QuestionVersion):
        for obj in db.session.scalars(select(model)):
            values = (str(getattr(obj, c.key)) for c in model.__table__.columns)
            rows.append((model.__tablename__, *values))
    return sorted(rows)


@functools.cache
def _parsed_real_banks() -> tuple[list[Any], list[Any]]:
    return load_bank_paths([BANKS])  # frozen dataclasses: safe to share between tests


def load_real_banks(db: Any) -> Any:
    """Load question_banks/ into the database, as `hustings banks load` does."""
    banks, problems = _parsed_real_banks()
    assert not [p for p in problems if p.severity == "error"], problems
    report = sync_banks(banks)
    db.session.commit()
    return report


@pytest.fixture
def real_banks(db: Any) -> Any:
    return load_real_banks(db)


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """POST a multipart form encoded in memory (the test client would spool a big body to a
    temporary file that it never closes, which filterwarnings=error turns into a failure)."""
    fields = {
        name: FileStorage(value[0], value[1]) if isinstance(value, tuple) else value
        for name, value in data.items()
    }
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def small_library(make: Any, db: Any) -> None:
    """Just enough rows for every library URL to name something real: two banks, a source."""
    make.source("two-coups")
    for slug, key in (("two-coups-reading", "tc-triumvirate"), ("kamikaze-reading", "km-q")):
        bank = Bank(slug=slug, title=f"Bank {slug}")
        db.session.add(bank)
        db.session.flush()
        make.question(single_choice_spec(key), bank)
