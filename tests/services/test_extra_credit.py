"""Extra credit: an override above the maximum only when marked so, recorded in the audit
trail, and exported as Canvas (rule C5: kept) and Moodle (capped unless "Unlimited grades")
take it."""

from __future__ import annotations

import pytest

from app.domain import export
from app.services import gradebook, marking
from app.services.marking import GradingError
from tests.support.class_data import add_attempt, make_quiz, spec
from tests.support.lms_import import canvas_import

pytestmark = pytest.mark.both_dbs


def test_extra_credit_is_explicit_and_reaches_the_files(make, db, backend) -> None:
    instructor = make.instructor()
    course = make.course(instructor)
    quiz, _, _ = make_quiz(make, course, [spec("x1", points=4.0)], canvas_assignment_id="55")
    student = make.student(name="Ada", student_number="S9")
    make.enrol(course, student)
    attempt = add_attempt(db, quiz, student, [("b", 4.0)])
    with pytest.raises(GradingError) as info:
        marking.override_attempt(attempt, instructor, "5", "bonus question")
    assert "Extra credit" in info.value.errors["total"]
    with pytest.raises(GradingError):  # extra credit means above the maximum
        marking.override_attempt(attempt, instructor, "3", "x", extra_credit=True)
    with pytest.raises(GradingError):  # at most twice the maximum
        marking.override_attempt(attempt, instructor, "9", "x", extra_credit=True)
    marking.override_attempt(attempt, instructor, "5", "bonus question", extra_credit=True)
    db.session.commit()
    assert attempt.score == 5.0
    assert [e.kind for e in marking.audit_trail(attempt=attempt)] == ["extra_credit"]

    report = export.ExportReport()
    text = "".join(export.stream_csv(*gradebook.quiz_table(quiz, "canvas", report=report)))
    result = canvas_import(text, {"ada": {"SIS User ID": "S9"}}, {}, {"55": 4.0})
    assert result.grades["ada"] == {"55": 5.0} and result.maxima == {"55": 4.0}
    assert report.above_maximum == 1
    report = export.ExportReport()
    text = "".join(export.stream_csv(*gradebook.quiz_table(quiz, "moodle", report=report)))
    assert text.splitlines()[-1].endswith(",5")
    assert any("Unlimited grades" in m for m in report.messages("moodle"))
