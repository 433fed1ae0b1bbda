"""Dispose the request app's engine after each test: the shared ``web_app`` fixture leaves
its pool open, which on PostgreSQL ends in a ResourceWarning (an error under our settings)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.extensions import db as _db


@pytest.fixture(autouse=True)
def _dispose_web_engine(request: pytest.FixtureRequest) -> Iterator[None]:
    web_app = request.getfixturevalue("web_app") if "web_app" in request.fixturenames else None
    yield
    if web_app is not None:
        with web_app.app_context():
            _db.engine.dispose()
