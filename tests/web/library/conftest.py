"""Fixtures for the library tests: a logged-in instructor and the real bank files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db as _db
from app.models import Bank
from tests.support.factories import single_choice_spec
from tests.support.library import load_real_banks


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


@pytest.fixture
def real_banks(db: Any) -> Any:
    return load_real_banks(db)


@pytest.fixture
def small_library(make: Any, db: Any) -> None:
    """Just enough rows for every library URL to name something real: two banks, a source."""
    make.source("two-coups")
    make.source("src")  # the article the factory's questions cite, so the banks export whole
    for slug, key in (("two-coups-reading", "tc-triumvirate"), ("kamikaze-reading", "km-q")):
        bank = Bank(slug=slug, title=f"Bank {slug}")
        db.session.add(bank)
        db.session.flush()
        make.question(single_choice_spec(key), bank)
