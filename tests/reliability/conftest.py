"""Fixtures of the fault tests: a real deployment (data made in-process, then gunicorn)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Response
from tests import factories
from tests.reliability.server import Server, data_app, database_url


@dataclass
class Deployment:
    backend: str
    url: str
    app: Flask
    make: factories.Factory
    tmp: Path
    secret: str
    servers: list[Server] = field(default_factory=list)

    def serve(
        self,
        workers: int = 4,
        env: dict[str, str] | None = None,
        serve_args: list[str] | None = None,
    ) -> Server:
        """Start gunicorn on the data made so far (ends the test's own transaction first);
        with ``serve_args``, through ``hustings serve`` with those options."""
        db.session.commit()
        server = Server(self.url, self.secret, self.tmp, workers=workers, env=env)
        server.serve_args = serve_args
        self.servers.append(server)
        server.start()
        return server

    def fresh(self) -> None:
        """Forget what this process read, to see what the server wrote."""
        db.session.rollback()
        db.session.expire_all()

    def attempts(self, quiz_id: int, user_id: int | None = None) -> list[Attempt]:
        self.fresh()
        stmt = select(Attempt).where(Attempt.quiz_id == quiz_id).order_by(Attempt.id)
        if user_id is not None:
            stmt = stmt.where(Attempt.user_id == user_id)
        return list(db.session.scalars(stmt))

    def responses(self, attempt_id: int) -> dict[int, Response]:
        self.fresh()
        return {
            r.position: r
            for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
        }


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


def server_errors(server: Server) -> list[str]:
    """Lines of the server log that show a failure (tracebacks, locked databases)."""
    bad = ("Traceback", "database is locked", "WORKER TIMEOUT", "Internal Server Error")
    return [line for line in server.log().splitlines() if any(b in line for b in bad)]


def quick_world(make: factories.Factory, question_specs: list[dict[str, Any]], **quiz_kw: Any):
    """A teacher, a course, one student and a published quiz of ``question_specs``."""
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    source = make.source()
    questions = [make.question(s) for s in question_specs]
    quiz_kw.setdefault("shuffle_options", False)
    quiz = make.quiz(course, questions, source=source, published=True, **quiz_kw)
    return teacher, course, student, quiz


# Answers sent / acknowledged (200) / found in the database, per scenario, reported at the end
# of the run (issue 14: "the reliability suite reports, for each scenario, …").
ANSWER_LEDGER: list[tuple[str, int, int, int]] = []


def report_answers(scenario: str, sent: int, acknowledged: int, found: int) -> None:
    """Record a scenario's answer counts; an acknowledged answer not found fails the test."""
    ANSWER_LEDGER.append((scenario, sent, acknowledged, found))
    assert found >= acknowledged, f"{scenario}: {acknowledged - found} acknowledged answers lost"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ANSWER_LEDGER:
        return
    write = terminalreporter.write_line
    terminalreporter.section("answers: sent / acknowledged / found in the database")
    for scenario, sent, acknowledged, found in ANSWER_LEDGER:
        write(f"{sent:6d} {acknowledged:6d} {found:6d}  {scenario}")
