"""Fixtures for the studio's pages: a logged-in instructor and the shipped banks."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.library import load_real_banks


@pytest.fixture
def teacher_client(make: Any, login_as: Any, client: FlaskClient) -> FlaskClient:
    return login_as(make.instructor())


@pytest.fixture
def real_banks(db: Any) -> Any:
    return load_real_banks(db)
