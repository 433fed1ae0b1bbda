"""The server killed mid-attempt and mid-submit, and the database briefly gone.

Answers the server acknowledged must survive anything; an attempt is either fully submitted or
still open, never half-graded; a missing database is a clear 503, never a lost answer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import requests

from app.database import writing
from app.extensions import db
from app.models import AttemptState
from app.services import attempts
from tests.support import specs
from tests.support.deployment import Deployment, quick_world, report_answers
from tests.support.gunicorn import Server, Student, attempt_id_from
from tests.support.postgres import block_postgres, unblock_postgres

pytestmark = pytest.mark.slow


def restart(dep: Deployment, dead: Server) -> Server:
    """A new server on the same database (a new port: the cookie jar is per host anyway)."""
    dead.stop()
    return dep.serve()


def test_sigkill_during_an_attempt_keeps_every_acknowledged_answer(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    _, _, student, quiz = quick_world(
        dep.make, [specs.single("k-1"), specs.short("k-2"), specs.essay("k-3")]
    )
    server = dep.serve()
    browser = Student(server)
    browser.login(student.email)
    attempt_id = attempt_id_from(browser.post(f"/quizzes/{quiz.id}/start"))
    saved = {1: "b", 2: "labourish", 3: "An essay of quite a few words, saved before the crash."}
    for position, value in saved.items():
        assert browser.save(attempt_id, position, value, 1).status_code == 200
    server.kill()

    server = restart(dep, server)
    browser.server = server
    (attempt,) = dep.attempts(quiz.id)
    assert attempt.state == AttemptState.IN_PROGRESS  # still open, nothing graded
    responses = dep.responses(attempt_id)
    found = sum(1 for p, r in responses.items() if r.value == saved[p])
    report_answers("SIGKILL of the server during an attempt", 3, 3, found)
    assert {p: r.value for p, r in responses.items()} == saved
    assert all(r.score is None for r in responses.values())
    # The student goes on where they were, with the same session cookie.
    assert browser.get(f"/attempts/{attempt_id}").status_code == 200
    assert browser.save(attempt_id, 1, "a", 2).status_code == 200
    assert browser.post(f"/attempts/{attempt_id}/submit").status_code == 302
    (attempt,) = dep.attempts(quiz.id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 1.0  # short right


def test_sigkill_during_a_submit_leaves_the_attempt_submitted_or_open_never_half_graded(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    count = 150  # many questions, so that a submit takes long enough to be cut in the middle
    question_specs = [specs.single(f"m-{i}") for i in range(1, count + 1)]
    _, _, student, quiz = quick_world(dep.make, question_specs, attempts_allowed=0)
    answers = {p: "abc"[p % 3] for p in range(1, count + 1)}
    server = dep.serve(workers=1)
    browser = Student(server)
    browser.login(student.email)

    def open_attempt() -> int:
        """An attempt with every answer saved (in-process: the server only does the submit)."""
        dep.fresh()
        now = datetime.now(UTC)
        with writing():  # this process writes beside the server: take the write lock first
            attempt = attempts.start_or_resume(quiz, student, now)
            for position, value in answers.items():
                attempts.answer(attempt, position, value, now)
            db.session.commit()
        return attempt.id

    # How long a whole submit takes here; then kill at fractions of that.
    started = time.monotonic()
    assert browser.post(f"/attempts/{open_attempt()}/submit").status_code == 302
    duration = time.monotonic() - started
    outcomes: list[str] = []
    for fraction in (0.0, 0.35, 0.65, 0.9):
        attempt_id = open_attempt()

        def submit(b: Student = browser, a: int = attempt_id) -> None:
            with contextlib.suppress(requests.RequestException):  # the server died under it
                b.post(f"/attempts/{a}/submit")

        sender = threading.Thread(target=submit)
        sender.start()
        time.sleep(duration * fraction)
        server.kill()
        sender.join(30)
        server = restart(dep, server)
        browser.server = server

        attempt = next(a for a in dep.attempts(quiz.id) if a.id == attempt_id)
        responses = dep.responses(attempt_id)
        assert {p: r.value for p, r in responses.items()} == answers, "an answer was lost"
        scored = [r.score is not None for r in responses.values()]
        if attempt.state == AttemptState.SUBMITTED:
            assert all(scored) and attempt.score == sum(r.score for r in responses.values())
            assert attempt.submitted_at is not None
            outcomes.append("submitted")
        else:
            assert attempt.state == AttemptState.IN_PROGRESS
            assert not any(scored) and attempt.submitted_at is None and attempt.score is None
            outcomes.append("open")
            # The student submits again after the restart: it works, once.
            assert browser.post(f"/attempts/{attempt_id}/submit").status_code == 302
            assert dep.attempts(quiz.id, student.id)[-1].state == AttemptState.SUBMITTED
    assert "open" in outcomes, outcomes  # at least one kill landed before the commit


def test_database_unavailable_gives_a_clear_503_to_autosave_and_the_retry_is_kept(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("postgresql")
    _, _, student, quiz = quick_world(dep.make, [specs.single("o-1"), specs.short("o-2")])
    server = dep.serve()
    browser = Student(server)
    browser.login(student.email)
    attempt_id = attempt_id_from(browser.post(f"/quizzes/{quiz.id}/start"))
    assert browser.save(attempt_id, 1, "b", 1).status_code == 200
    dep.fresh()
    block_postgres(dep.url)
    try:
        for _ in range(3):  # every worker, whatever connection it held
            r = browser.save(attempt_id, 2, "labourish", 1)
            assert r.status_code == 503, r.text[:300]
            assert r.headers["Content-Type"].startswith("application/json")
            body = r.json()
            assert body["error"] == "Service unavailable"
            assert "database is unavailable" in body["message"]
            assert "Traceback" not in r.text and "psycopg" not in r.text
        page = browser.get(f"/attempts/{attempt_id}")
        assert page.status_code == 503 and "Try again in a moment" in page.text
    finally:
        unblock_postgres(dep.url)
    # The database is back: the same save, sent again, is accepted and kept.
    r = browser.save(attempt_id, 2, "labourish", 1)
    assert r.status_code == 200, r.text[:300]
    stored = {p: x.value for p, x in dep.responses(attempt_id).items()}
    report_answers(
        "PostgreSQL unavailable, the answer sent again once back", 2, 2,
        sum(1 for p, v in {1: "b", 2: "labourish"}.items() if stored.get(p) == v),
    )  # fmt: skip
    assert stored == {1: "b", 2: "labourish"}
