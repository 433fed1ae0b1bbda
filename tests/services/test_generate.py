"""The bulk generator of a synthetic course, at tiny sizes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.domain.export import stream_csv
from app.models import Attempt, Enrolment, Quiz, Response, User
from app.services import analytics, gradebook, skill_totals
from app.services.generate import generate_course

pytestmark = pytest.mark.both_dbs


def test_generate_a_tiny_course(app, db, backend) -> None:
    made = generate_course(students=7, quizzes=3, questions_per_quiz=4, max_attempts=2, seed=1)
    db.session.commit()
    assert (made.students, made.quizzes) == (7, 3)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Enrolment) == 8  # the instructor too
    assert count(Attempt) == made.attempts > 0
    assert count(Response) == made.responses == made.attempts * 4
    # Totals are the sums of their responses; scores stay within the maximum.
    for attempt in db.session.scalars(select(Attempt)):
        assert attempt.score == pytest.approx(sum(r.score or 0 for r in attempt.responses))
        assert 0 <= attempt.score <= attempt.max_score
        assert attempt.needs_grading == any(r.state == "needs_grading" for r in attempt.responses)
    # The per-skill totals written in bulk are what grading would have written.
    table = skill_totals.TABLE
    bulk = db.session.execute(select(table).order_by(table.c.attempt_id)).all()
    assert len(bulk) == made.attempts
    skill_totals.refresh(select(Attempt.id))
    assert db.session.execute(select(table).order_by(table.c.attempt_id)).all() == [
        pytest.approx(tuple(row)) for row in bulk
    ]
    quiz = db.session.scalars(select(Quiz).order_by(Quiz.id)).first()
    analysis = analytics.item_analysis(quiz, "all")
    assert analysis.quiz.n > 0 and len(analysis.items) == 4
    headers, rows = gradebook.gradebook_table(
        db.session.get(type(quiz.course), made.course_id), "canvas"
    )
    assert "".join(stream_csv(headers, rows)).count("\r\n") == 7 + 2
    # Every student can log in with the printed password (one shared hash).
    student = db.session.scalars(select(User).where(User.role == "student")).first()
    from app.domain.passwords import verify_password

    assert verify_password(student.password_hash, made.password)


def test_generate_twice_does_not_collide(app, db) -> None:
    generate_course(students=2, quizzes=1, questions_per_quiz=1)
    generate_course(students=2, quizzes=1, questions_per_quiz=1)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 2


def test_cli_generate(runner, app, db) -> None:
    result = runner.invoke(
        args=["demo-data", "generate", "--students", "3", "--quizzes", "2", "--questions", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "3 students, 2 quizzes" in result.output and "Instructor:" in result.output
    bad = runner.invoke(args=["demo-data", "generate", "--students", "-1"])
    assert bad.exit_code == 2


def test_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        generate_course(students=1, quizzes=1, questions_per_quiz=0)
