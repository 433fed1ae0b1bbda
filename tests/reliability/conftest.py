"""Fixtures of the fault tests: a real deployment (data made in-process, then gunicorn)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from tests.support import factories
from tests.support.deployment import ANSWER_LEDGER, Deployment
from tests.support.gunicorn import data_app, database_url


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[Callable[[str], Deployment]]:
    """``deploy("sqlite" | "postgresql")`` → an empty database with the schema and an app
    context on it; call ``.serve()`` once the data is made. Everything is torn down after."""
    stack = ExitStack()
    made: list[Deployment] = []

    def _deploy(backend: str) -> Deployment:
        tmp = tmp_path / f"{backend}-{len(made)}"
        tmp.mkdir()
        url = stack.enter_context(database_url(backend, tmp))
        secret = secrets.token_hex(16)
        app = data_app(url, secret, tmp / "instance")
        ctx = app.app_context()
        ctx.push()
        dep = Deployment(backend, url, app, factories.Factory(db), tmp, secret)
        made.append(dep)

        def _teardown() -> None:
            for server in dep.servers:
                server.stop()
            db.session.remove()
            db.engine.dispose()
            ctx.pop()

        stack.callback(_teardown)
        return dep

    with stack:
        yield _deploy


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ANSWER_LEDGER:
        return
    write = terminalreporter.write_line
    terminalreporter.section("answers: sent / acknowledged / found in the database")
    for scenario, sent, acknowledged, found in ANSWER_LEDGER:
        write(f"{sent:6d} {acknowledged:6d} {found:6d}  {scenario}")
