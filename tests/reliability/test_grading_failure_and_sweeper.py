"""Faults inside the app: one question's grader raising mid-submit, and students who leave.

In-process (the ``client`` serves the real views); the services' own unit tests are in
tests/services/test_attempts.py, these go through the submit page and the sweeper's timing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Attempt, AttemptState, GradeChange, Response
from app.services import attempts, scores
from tests.support import specs
from tests.support.quiz_setup import build

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def _responses(attempt_id: int) -> list[Response]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Response).where(Response.attempt_id == attempt_id).order_by(Response.position)
        )
    )


def test_one_question_raising_during_submit_rolls_back_the_whole_submit_logs_and_flags(
    make: Any, client: Any, login_as: Any, monkeypatch: Any, caplog: Any
) -> None:
    s = build(make, [specs.single("g-1"), specs.single("g-2"), specs.single("g-3")])
    login_as(s.student)
    attempt_id = int(client.post(f"/quizzes/{s.quiz.id}/start").headers["Location"].split("/")[-1])
    for position in (1, 2, 3):
        assert (
            client.post(
                f"/attempts/{attempt_id}/responses/{position}", json={"value": "b", "seq": 1}
            ).status_code
            == 200
        )
    real = scores.auto_mark

    def flaky(spec: dict[str, Any], value: Any, max_points: float) -> Any:
        if spec["id"] == "g-2":  # question 1 is already graded when this raises
            raise ZeroDivisionError("grader bug in g-2")
        return real(spec, value, max_points)

    monkeypatch.setattr(attempts, "auto_mark", flaky)
    # The suite's stamp() ran alembic's logging setup, which disables existing loggers (the
    # served app turns them back on: test_serve_keeps_the_app_loggers_on below).
    monkeypatch.setattr(logging.getLogger("app.services.attempts"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="app.services.attempts"):
        r = client.post(f"/attempts/{attempt_id}/submit")
    assert r.status_code == 503
    page = r.get_data(as_text=True)
    assert "Your answers are saved" in page and "ZeroDivisionError" not in page
    assert any(f"grading attempt {attempt_id} failed" in m for m in caplog.messages)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.submitted_at is None
    assert "grader bug in g-2" in (attempt.flagged or "")
    assert attempt.score is None and attempt.auto_score is None
    rows = _responses(attempt_id)
    assert [r.value for r in rows] == ["b", "b", "b"]  # answers kept
    assert all(r.auto_score is None and r.score is None for r in rows)  # g-1 rolled back too

    monkeypatch.setattr(attempts, "auto_mark", real)  # the bug is fixed
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.flagged is None
    assert attempt.score == 3.0


def test_sweeper_finalises_an_abandoned_attempt_at_the_deadline_with_the_saved_answers_once(
    make: Any, app: Any
) -> None:
    s = build(make, [specs.single("w-1"), specs.single("w-2")], time_limit_minutes=30)
    attempt = attempts.start_or_resume(s.quiz, s.student, NOW)
    db.session.commit()
    attempts.answer(attempt, 1, "b", NOW + timedelta(minutes=3))  # then the student leaves
    db.session.commit()
    deadline = attempt.deadline_at
    assert deadline == NOW + timedelta(minutes=30)
    grace = timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"])

    # Not before the deadline and its grace (answers may still be in flight).
    assert attempts.close_overdue(deadline - timedelta(seconds=1)) == []
    assert attempts.close_overdue(deadline + grace - timedelta(seconds=1)) == []
    db.session.commit()
    assert db.session.get(Attempt, attempt.id).state == AttemptState.IN_PROGRESS

    sweep_at = deadline + grace + timedelta(seconds=1)
    assert attempts.close_overdue(sweep_at) == [attempt.id]
    db.session.commit()
    done = db.session.get(Attempt, attempt.id)
    assert done.state == AttemptState.SUBMITTED and done.submitted_by == "sweeper"
    assert done.score == 1.0  # graded on the answer saved before the student left
    assert [r.value for r in _responses(attempt.id)] == ["b", None]
    before = (done.submitted_at, done.score, [(r.score, r.state) for r in _responses(attempt.id)])
    changes = db.session.scalar(select(func.count()).select_from(GradeChange))

    # Running again (cron overlap, a second machine) changes nothing.
    for later in (sweep_at, sweep_at + timedelta(hours=5)):
        assert attempts.close_overdue(later) == []
        db.session.commit()
    done = db.session.get(Attempt, attempt.id)
    after = (done.submitted_at, done.score, [(r.score, r.state) for r in _responses(attempt.id)])
    assert after == before
    assert db.session.scalar(select(func.count()).select_from(GradeChange)) == changes
    # And the student's tab, coming back late, cannot change it.
    try:
        attempts.save_response(done, 2, "b", 99, sweep_at, page_ids=False)
    except attempts.AttemptClosed:
        db.session.rollback()
    else:
        raise AssertionError("a save after the sweep was accepted")
    assert [r.value for r in _responses(attempt.id)] == ["b", None]


def test_serve_keeps_the_app_loggers_on_after_upgrading_the_schema(tmp_path: Any) -> None:
    """`hustings serve` upgrades first; alembic's fileConfig must not silence our error logs."""
    from app import create_app
    from app.cli import bring_schema_up_to_date
    from tests.support.config import TEST_CONFIG

    logging.getLogger("app.services.attempts").disabled = False
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'up.sqlite'}"},
        instance_path=tmp_path,
    )
    with app.app_context():
        bring_schema_up_to_date()
        db.engine.dispose()
    assert not logging.getLogger("app.services.attempts").disabled
    assert not logging.getLogger("app").disabled
