"""A deployment for the fault tests: data made in-process on an empty database, then served
by real gunicorn workers; and the ledger of answers sent, acknowledged and found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Response
from tests.support import factories
from tests.support.gunicorn import Server


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
