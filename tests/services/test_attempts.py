"""Attempt services: start, layout, save, stale writes, submit, deadlines, sweeper, races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.database import declare_write_intent
from app.extensions import db
from app.models import Accommodation, Attempt, Bank, QuizSlot, Response
from app.services import attempts
from tests.support import specs
from tests.support.quiz_setup import Setup, build

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def start(s: Setup, now: datetime = NOW, **kw: Any) -> Attempt:
    attempt = attempts.start_or_resume(s.quiz, s.student, now, **kw)
    db.session.commit()
    return attempt


def answer_all(attempt: Attempt, answers: dict[str, Any], now: datetime = NOW) -> None:
    for r in attempts.responses_of(attempt):
        key = r.question_version.spec["id"]
        if key in answers:
            attempts.save_response(
                attempt, r.position, answers[key], r.seq + 1, now, page_ids=False
            )
    db.session.commit()


def test_start_lays_out_every_question(setup):
    attempt = start(setup)
    responses = attempts.responses_of(attempt)
    assert [r.position for r in responses] == list(range(1, 9))
    assert all(r.value is None and r.seq == 0 for r in responses)
    assert attempt.max_score == 8.0 and attempt.number == 1
    assert responses[0].layout == {"options": ["a", "b", "c"]}  # shuffle_options=False
    assert sorted(responses[5].layout["items"]) == ["a", "b", "c"]


def test_second_start_resumes_the_same_attempt(make):
    s = build(make, time_limit_minutes=30)
    first = start(s)
    again = start(s, NOW + timedelta(minutes=5))
    assert again.id == first.id
    assert again.deadline_at == NOW + timedelta(minutes=30)  # the clock never resets


def test_shuffle_is_reproducible_per_attempt(make):
    s = build(make, shuffle_questions=True, shuffle_options=True)
    attempt = start(s)
    order = [(r.question_version_id, r.layout) for r in attempts.responses_of(attempt)]
    # Laying the same attempt out again from its seed gives the same order.
    db.session.execute(Response.__table__.delete().where(Response.attempt_id == attempt.id))
    attempts.lay_out(attempt, s.quiz)
    again = [(r.question_version_id, r.layout) for r in attempts.responses_of(attempt)]
    assert again == order


def test_random_draws_by_skill(make):
    s = build(make, [specs.single("fixed")])
    bank = db.session.scalar(select(Bank).order_by(Bank.id.desc()))
    for i in range(4):
        make.question({**specs.single(f"draw-{i}"), "skill": "inference"}, bank=bank)
    make.question({**specs.single("other-skill"), "skill": "rhetoric"}, bank=bank)
    db.session.add(
        QuizSlot(
            quiz_id=s.quiz.id,
            position=2,
            draw_bank_id=bank.id,
            draw_skill="inference",
            draw_count=2,
            points=3,
        )
    )
    db.session.commit()
    attempt = start(s)
    responses = attempts.responses_of(attempt)
    keys = [r.question_version.spec["id"] for r in responses]
    assert len(keys) == 3 and len(set(keys)) == 3
    assert all(k.startswith("draw-") for k in keys[1:])
    assert [r.max_points for r in responses] == [1.0, 3.0, 3.0]


def test_attempt_limits_and_extra_attempts(make):
    s = build(make, attempts_allowed=1)
    attempt = start(s)
    attempts.submit(attempt, NOW)
    db.session.commit()
    with pytest.raises(attempts.NotAvailable, match="used all"):
        attempts.start_or_resume(s.quiz, s.student, NOW)
    db.session.rollback()
    db.session.add(Accommodation(quiz_id=s.quiz.id, user_id=s.student.id, extra_attempts=1))
    db.session.commit()
    assert start(s).number == 2


def test_window_and_personal_close(make):
    s = build(make, opens_at=NOW + timedelta(hours=1))
    with pytest.raises(attempts.NotAvailable, match="opens"):
        attempts.start_or_resume(s.quiz, s.student, NOW)
    db.session.rollback()
    s.quiz.opens_at = None
    s.quiz.closes_at = NOW - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(attempts.NotAvailable, match="closed"):
        attempts.start_or_resume(s.quiz, s.student, NOW)
    db.session.rollback()
    db.session.add(
        Accommodation(
            quiz_id=s.quiz.id,
            user_id=s.student.id,
            closes_at=NOW + timedelta(hours=2),
            time_multiplier=2,
        )
    )
    s.quiz.time_limit_minutes = 30
    db.session.commit()
    assert start(s).deadline_at == NOW + timedelta(minutes=60)


def test_preview_ignores_window_and_never_counts(make):
    s = build(make, closes_at=NOW - timedelta(days=1))
    preview = attempts.start_or_resume(s.quiz, s.teacher, NOW, preview=True)
    db.session.commit()
    assert preview.is_preview
    rows = attempts.course_quizzes(s.course.id, s.student, NOW)
    assert rows[0].attempts == [] and rows[0].status == "closed"


def test_quiz_without_questions_cannot_start(make):
    s = build(make, [])
    with pytest.raises(attempts.NotAvailable, match="no questions"):
        attempts.start_or_resume(s.quiz, s.student, NOW)


def test_save_and_stale_writes(setup):
    attempt = start(setup)
    saved = attempts.save_response(attempt, 1, "a", 1, NOW)
    db.session.commit()
    assert (saved.value, saved.seq, saved.state) == ("a", 1, "answered")
    r = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.position == 1)
    )
    assert (r.value, r.seq, r.state, r.saved_at) == ("a", 1, "answered", NOW)
    # The same save again (a retry whose reply was lost) is fine.
    attempts.save_response(attempt, 1, "a", 1, NOW)
    # An older tab sends seq 1 with another value: refused, nothing changes.
    with pytest.raises(attempts.StaleWrite):
        attempts.save_response(attempt, 1, "c", 1, NOW)
    attempts.save_response(attempt, 1, "b", 2, NOW)
    db.session.commit()
    db.session.refresh(r)
    assert (r.value, r.seq) == ("b", 2)


@pytest.mark.parametrize("seq", [0, -1, "2", None, True, 2**40])
def test_save_needs_a_valid_seq(setup, seq):
    attempt = start(setup)
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_response(attempt, 1, "a", seq, NOW)


def test_save_unknown_position_and_bad_value(setup):
    attempt = start(setup)
    with pytest.raises(attempts.UnknownQuestion):
        attempts.save_response(attempt, 99, "a", 1, NOW)
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_response(attempt, 1, "zzz", 1, NOW)
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_response(attempt, 7, ["elsewhere:p1"], 1, NOW)
    attempts.save_response(attempt, 7, ["src:p2"], 1, NOW)


def test_submit_grades_and_is_idempotent(setup):
    attempt = start(setup)
    answer_all(attempt, specs.RIGHT)
    attempts.submit(attempt, NOW + timedelta(minutes=1))
    db.session.commit()
    assert attempt.state == "submitted" and attempt.submitted_by == "student"
    assert attempt.score == 7.0 and attempt.needs_grading  # the essay awaits a person
    first = (attempt.score, attempt.submitted_at)
    attempts.submit(attempt, NOW + timedelta(minutes=9), by="timer")
    db.session.commit()
    assert (attempt.score, attempt.submitted_at) == first
    assert attempt.submitted_by == "student"


def test_save_after_submit_is_refused_and_changes_nothing(setup):
    attempt = start(setup)
    answer_all(attempt, {"q-single": "a"})
    attempts.submit(attempt, NOW)
    db.session.commit()
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_response(attempt, 1, "b", 5, NOW)
    db.session.rollback()
    r = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.position == 1)
    )
    assert r.value == "a" and r.seq == 1


def test_deadline_grace_then_lazy_finalise(make, app):
    s = build(make, time_limit_minutes=10)
    attempt = start(s)
    deadline = attempt.deadline_at
    attempts.save_response(attempt, 1, "b", 1, deadline + timedelta(seconds=30))  # in grace
    db.session.commit()
    with pytest.raises(attempts.AttemptClosed, match="Time is up"):
        attempts.save_response(attempt, 2, ["a"], 1, deadline + timedelta(seconds=61))
    db.session.commit()
    assert attempt.state == "submitted" and attempt.submitted_by == "timer"
    assert attempt.score == 1.0  # graded with the answers saved in time


def test_grace_is_configurable(make, app):
    app.config["ATTEMPT_GRACE_SECONDS"] = 0
    s = build(make, time_limit_minutes=10)
    attempt = start(s)
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_response(attempt, 1, "b", 1, attempt.deadline_at + timedelta(seconds=1))


def test_grading_failure_rolls_back_and_flags(setup, monkeypatch):
    attempt = start(setup)
    answer_all(attempt, {"q-single": "b"})

    def boom(spec, value, max_points):
        raise RuntimeError("grader exploded")

    monkeypatch.setattr(attempts, "auto_mark", boom)
    with pytest.raises(attempts.GradingFailed):
        attempts.submit(attempt, NOW)
    db.session.commit()
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.state == "in_progress" and "grader exploded" in attempt.flagged
    assert attempt.submitted_at is None
    r = attempts.responses_of(attempt)[0]
    assert r.value == "b" and r.auto_score is None
    monkeypatch.undo()
    attempts.submit(attempt, NOW)
    db.session.commit()
    assert attempt.state == "submitted" and attempt.flagged is None


def test_sweeper_closes_overdue_once(make):
    s = build(make, time_limit_minutes=5)
    overdue = start(s)
    answer_all(overdue, {"q-single": "b"})
    other = build(make, [specs.single("other")], time_limit_minutes=60)
    fresh = start(other)
    later = NOW + timedelta(minutes=7)
    assert attempts.close_overdue(later) == [overdue.id]
    db.session.commit()
    assert attempts.close_overdue(later) == []
    db.session.refresh(overdue)
    db.session.refresh(fresh)
    assert overdue.submitted_by == "sweeper" and overdue.score == 1.0
    assert fresh.state == "in_progress"


def test_cli_close_overdue(make, runner, monkeypatch):
    s = build(make, time_limit_minutes=1)
    attempt = attempts.start_or_resume(s.quiz, s.student, datetime.now(UTC) - timedelta(hours=1))
    db.session.commit()
    result = runner.invoke(args=["attempts", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "Finalised 1 overdue attempt." in result.output
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).state == "submitted"
    assert "Finalised 0" in runner.invoke(args=["attempts", "close-overdue"]).output


def test_course_rows(make):
    s = build(make, attempts_allowed=2, closes_at=NOW + timedelta(days=1))
    row = attempts.course_quizzes(s.course.id, s.student, NOW)[0]
    assert (row.status, row.can_start, row.attempts_left) == ("open", True, 2)
    attempt = start(s)
    row = attempts.course_quizzes(s.course.id, s.student, NOW)[0]
    assert row.status == "in_progress" and row.open_attempt.id == attempt.id
    answer_all(attempt, {"q-single": "b"})
    attempts.submit(attempt, NOW)
    db.session.commit()
    row = attempts.course_quizzes(s.course.id, s.student, NOW)[0]
    assert (row.status, row.attempts_left, row.score, row.score_visible) == (
        "submitted",
        1,
        1.0,
        True,
    )
    s.quiz.review_policy = {"score": "after_close"}
    db.session.commit()
    row = attempts.course_quizzes(s.course.id, s.student, NOW)[0]
    assert row.score is None and not row.score_visible


# --- races -----------------------------------------------------------------------------------


def _in_threads(app, n: int, work) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        with app.app_context():
            declare_write_intent()
            try:
                barrier.wait()
                results[i] = work()
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                results[i] = exc
            finally:
                declare_write_intent(False)
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.both_dbs
def test_ten_simultaneous_starts_make_one_attempt(make, app, backend):
    s = build(make, attempts_allowed=1)
    quiz_id, user_id = s.quiz.id, s.student.id
    db.session.remove()

    def work() -> int:
        from app.models import Quiz, User

        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
        return attempts.start_or_resume(quiz, user, NOW).id

    results = _in_threads(app, 10, work)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(Response)) == 8


@pytest.mark.both_dbs
def test_ten_simultaneous_submits_finalise_once(make, app, backend, monkeypatch):
    s = build(make)
    attempt = start(s)
    answer_all(attempt, specs.RIGHT)
    attempt_id = attempt.id
    db.session.remove()
    calls: list[int] = []
    real = attempts._finalise

    def counting(a, now, by):
        calls.append(a.id)
        return real(a, now, by)

    monkeypatch.setattr(attempts, "_finalise", counting)

    def work() -> tuple[float, datetime]:
        a = db.session.get(Attempt, attempt_id)
        attempts.submit(a, datetime.now(UTC))
        return a.score, a.submitted_at

    results = _in_threads(app, 10, work)
    assert all(isinstance(r, tuple) for r in results), results
    assert len(set(results)) == 1 and results[0][0] == 7.0
    assert calls == [attempt_id]


def test_scripts_can_take_a_quiz_without_a_request(setup):
    """The demo loader's path: services only, no request, no sequence bookkeeping."""
    attempt = start(setup)
    for r in attempts.responses_of(attempt):
        attempts.answer(attempt, r.position, specs.RIGHT[r.question_version.spec["id"]], NOW)
    attempts.answer(attempt, 1, "a", NOW)  # changing one's mind is just another answer
    attempts.submit(attempt, NOW, by="student")
    db.session.commit()
    assert attempt.score == 6.0
    with pytest.raises(attempts.UnknownQuestion):
        attempts.answer(attempt, 42, "a", NOW)
