"""The invariants the database itself enforces, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Accommodation,
    Attempt,
    Enrolment,
    QuestionVersion,
    Quiz,
    QuizSlot,
    Response,
    User,
)
from tests.support.factories import single_choice_spec

pytestmark = pytest.mark.both_dbs
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make, backend):
    course = make.course()
    student = make.student()
    make.enrol(course, student)
    question = make.question(single_choice_spec("q1"))
    quiz = make.quiz(course, [question], attempts_allowed=3)
    version = db.session.query(QuestionVersion).filter_by(question_id=question.id).one()
    return course, student, quiz, version


def _attempt(quiz: Quiz, user: User, number: int, state: str = "in_progress") -> Attempt:
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=number,
        state=state,
        seed=number,
        started_at=NOW,
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _refused(fn) -> None:
    with pytest.raises(IntegrityError):
        fn()
        db.session.flush()
    db.session.rollback()


def test_one_open_attempt_per_student_and_quiz(world):
    _, student, quiz, _ = world
    _attempt(quiz, student, 1)
    db.session.commit()
    _refused(lambda: _attempt(quiz, student, 2))
    # a submitted one beside an open one is fine
    _attempt(quiz, student, 2, state="submitted")
    db.session.commit()


def test_attempt_numbers_unique_per_student_and_quiz(world):
    _, student, quiz, _ = world
    _attempt(quiz, student, 1, state="submitted")
    db.session.commit()
    _refused(lambda: _attempt(quiz, student, 1, state="submitted"))


def test_one_response_per_question_per_attempt(world):
    _, student, quiz, version = world
    attempt = _attempt(quiz, student, 1)
    db.session.add(
        Response(attempt_id=attempt.id, position=1, question_version_id=version.id, max_points=1.0)
    )
    db.session.commit()
    _refused(
        lambda: db.session.add(
            Response(
                attempt_id=attempt.id, position=2, question_version_id=version.id, max_points=1.0
            )
        )
    )


def test_foreign_keys_are_enforced(world):
    _, student, _, _ = world
    _refused(
        lambda: db.session.add(Enrolment(course_id=987654, user_id=student.id, role="student"))
    )


@pytest.mark.parametrize(
    "bad",
    [
        lambda q, u: Attempt(quiz_id=q.id, user_id=u.id, number=1, state="graded", seed=1),
        lambda q, u: Accommodation(quiz_id=q.id, user_id=u.id, time_multiplier=0.5),
        lambda q, u: Accommodation(quiz_id=q.id, user_id=u.id, extra_attempts=-1),
        lambda q, u: QuizSlot(quiz_id=q.id, position=9),  # neither a question nor a draw
        lambda q, u: User(email="x@example.test", name="X", role="admin"),
    ],
    ids=["attempt-state", "time-multiplier", "extra-attempts", "slot-content", "user-role"],
)
def test_check_constraints(world, bad):
    _, student, quiz, _ = world
    _refused(lambda: db.session.add(bad(quiz, student)))


def test_quiz_settings_constraints(world):
    course, _, _, _ = world
    _refused(lambda: db.session.add(Quiz(course_id=course.id, title="x", grading_method="best")))
    _refused(lambda: db.session.add(Quiz(course_id=course.id, title="x", attempts_allowed=-1)))


def test_timestamps_are_utc_aware(world):
    _, student, quiz, _ = world
    attempt = _attempt(quiz, student, 1)
    attempt.deadline_at = NOW + timedelta(minutes=40)
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Attempt, attempt.id)
    assert again.deadline_at == NOW + timedelta(minutes=40)
    assert again.deadline_at.tzinfo is not None
    with pytest.raises(Exception, match="naive datetime"):
        again.deadline_at = datetime(2026, 1, 1)
        db.session.flush()
    db.session.rollback()
