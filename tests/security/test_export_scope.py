"""CSV exports hold their own course and nothing else: no student, score or quiz of another
course leaks into a gradebook or a quiz export, even for a student enrolled in both courses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.extensions import db
from app.services import attempts
from tests.support import specs


def _take(quiz: Any, student: Any, answer: str) -> None:
    now = datetime.now(UTC)
    attempt = attempts.start_or_resume(quiz, student, now)
    attempts.answer(attempt, 1, answer, now)
    attempts.submit(attempt, now)
    db.session.commit()


def test_exports_never_include_another_courses_students_or_quizzes(
    make: Any, client: Any, login_as: Any
) -> None:
    teacher, other_teacher = make.instructor(), make.instructor()
    mine, theirs = make.course(teacher, title="Mine"), make.course(other_teacher, title="Theirs")
    ours = make.student(name="Shared Student", student_number="SHARED1")
    outsider = make.student(name="Outsider Olga", student_number="OUTSIDE9")
    make.enrol(mine, ours)
    make.enrol(theirs, ours)
    make.enrol(theirs, outsider)
    quiz = make.quiz(mine, [make.question(specs.single("x-mine"))], published=True,
                     title="My quiz")  # fmt: skip
    foreign = make.quiz(theirs, [make.question(specs.single("x-theirs"))], published=True,
                        title="Foreign quiz ZZTOP")  # fmt: skip
    _take(quiz, ours, "b")
    _take(foreign, ours, "a")
    _take(foreign, outsider, "b")
    login_as(teacher)
    for url in (
        f"/teach/quizzes/{quiz.id}/export.csv",
        f"/teach/courses/{mine.id}/gradebook.csv",
        f"/teach/courses/{mine.id}/gradebook.csv?layout=moodle",
        f"/teach/quizzes/{quiz.id}/export.csv?layout=plain",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.get_data(as_text=True)
        assert "Shared Student" in body or "SHARED1" in body, url
        assert "Outsider" not in body and "OUTSIDE9" not in body, f"{url} leaks a student"
        assert "ZZTOP" not in body, f"{url} leaks another course's quiz"
    # And the other course's exports are not reachable at all.
    assert client.get(f"/teach/quizzes/{foreign.id}/export.csv").status_code == 404
    assert client.get(f"/teach/courses/{theirs.id}/gradebook.csv").status_code == 404
