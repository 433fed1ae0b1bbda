"""The quiz maximum is defined once, from slots, and is the same in every file and page.

Regressions from the issue: a draw of questions worth different points without slot points
gave an export maximum no attempt could reach (the largest points seen, times the count,
while each attempt drew a mix), and an instructor's preview moved a quiz's export header."""

from __future__ import annotations

import pytest
from pytest import approx

from app.extensions import db
from app.models import Bank, QuizSlot
from app.services import analytics, gradebook, quiz_maximum
from app.services.attempts import start_or_resume, submit
from app.services.quizzes import DrawRule, QuizError, add_draw
from tests.support.class_data import spec
from tests.support.factories import now

pytestmark = pytest.mark.both_dbs


def _mixed_bank(make) -> Bank:
    bank = Bank(slug="mixed", title="Mixed points")
    db.session.add(bank)
    db.session.flush()
    for key, points in (("m1", 1.0), ("m2", 2.0), ("m3", 3.0), ("m4", 3.0)):
        make.question(spec(key, points=points), bank)
    return bank


def test_draw_points_rule() -> None:
    assert quiz_maximum.draw_points(2.5, [1, 3]) == (2.5, False)
    assert quiz_maximum.draw_points(None, [2, 2]) == (2.0, False)
    assert quiz_maximum.draw_points(None, [1, 3, 2]) == (3.0, True)
    assert quiz_maximum.draw_points(None, []) == (0.0, False)
    assert quiz_maximum.scale_to(1.5, 3.0, 2.0) == approx(1.0)
    assert quiz_maximum.scale_to(None, 3.0, 2.0) is None
    assert quiz_maximum.scale_to(4.0, 0.0, 2.0) == 4.0


def test_the_builder_asks_for_slot_points_when_a_draw_mixes_points(make, backend) -> None:
    course = make.course()
    bank = _mixed_bank(make)
    quiz = make.quiz(course, [])
    with pytest.raises(QuizError) as info:
        add_draw(quiz, DrawRule(bank.id, count=2))
    assert "worth 1, 2, 3 points" in info.value.errors["points"]
    add_draw(quiz, DrawRule(bank.id, count=2), points=2.0)
    assert quiz_maximum.quiz_maxima([quiz.id]) == {quiz.id: 4.0}


def test_an_older_mixed_draw_is_scaled_so_every_attempt_reaches_the_maximum(make, backend):
    """A draw without slot points (made before the builder asked) over questions worth 1–3:
    each drawn question is worth 3, so the maximum 6 is every attempt's maximum."""
    instructor = make.instructor()
    course = make.course(instructor)
    bank = _mixed_bank(make)
    quiz = make.quiz(course, [], attempts_allowed=0)
    db.session.add(QuizSlot(quiz_id=quiz.id, position=1, draw_bank_id=bank.id, draw_count=2))
    db.session.commit()
    assert quiz_maximum.quiz_maxima([quiz.id])[quiz.id] == 6.0
    maxima = set()
    for _ in range(6):
        student = make.student()
        make.enrol(course, student)
        attempt = start_or_resume(quiz, student, now())
        assert {r.max_points for r in attempt.responses} == {3.0}
        for r in attempt.responses:  # the right answer to whatever was drawn
            r.value = "b"
        db.session.flush()
        submit(attempt, now())
        db.session.commit()
        maxima.add(attempt.max_score)
        assert attempt.score == 6.0  # full marks reach the maximum, whatever was drawn
    assert maxima == {6.0}
    meta = gradebook.quiz_export_meta(quiz)
    assert meta.quiz.max_points == 6.0 and [q.max_points for q in meta.questions] == [6.0]


def test_a_preview_never_moves_the_maximum(make, backend) -> None:
    instructor = make.instructor()
    course = make.course(instructor)
    bank = Bank(slug="ones", title="One-pointers")
    db.session.add(bank)
    db.session.flush()
    for key in ("o1", "o2", "o3"):
        make.question(spec(key, points=1.0), bank)
    quiz = make.quiz(course, [], attempts_allowed=0)
    db.session.add(QuizSlot(quiz_id=quiz.id, position=1, draw_bank_id=bank.id, draw_count=1))
    db.session.commit()
    header_before = next(iter(gradebook.quiz_table(quiz, "plain").headers[5:6]))
    preview = start_or_resume(quiz, instructor, now(), preview=True)
    for r in preview.responses:
        r.max_points = 9.0  # whatever a preview holds, it counts nowhere
    db.session.commit()
    assert gradebook.quiz_table(quiz, "plain").headers[5] == header_before == "Grade (highest) /1"
    assert gradebook.quiz_columns([quiz])[0].max_points == 1.0
    assert analytics.item_analysis(quiz).max_total == 1.0
