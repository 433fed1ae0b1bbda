"""Grading by hand, overrides, the audit trail and the queue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.domain.grading import aggregate_attempt_scores
from app.extensions import db
from app.models import Attempt, GradeChange, Response
from app.services import marking
from app.services.marking import GradingError
from tests.support.attempt_data import build_world, make_attempt


@pytest.fixture
def w(make):
    return build_world(make)


def _essay_response(attempt: Attempt) -> Response:
    return next(r for r in attempt.responses if r.question_version.type == "essay")


def test_rubric_grade_updates_response_attempt_and_audit(w):
    attempt = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "My essay.")])
    assert attempt.needs_grading and attempt.score == 1.0 and attempt.max_score == 5.0
    response = _essay_response(attempt)
    change = marking.record_manual_grade(
        response,
        w.teacher,
        criterion_scores={"criterion_0": "1.5", "criterion_1": "2"},
        comment="Good use of <evidence>.",
    )
    db.session.commit()
    assert response.manual_score == 3.5 and response.score == 3.5
    assert response.rubric_scores == {"Claim": 1.5, "Evidence": 2.0}
    assert response.graded_by_id == w.teacher.id and response.graded_at is not None
    assert response.comment == "Good use of <evidence>."
    assert (attempt.score, attempt.needs_grading) == (4.5, False)
    assert (change.kind, change.old_score, change.new_score) == ("manual", None, 3.5)


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        ({"criterion_0": "2.5", "criterion_1": "1"}, "criterion_0", "At most 2"),
        ({"criterion_0": "-1", "criterion_1": "1"}, "criterion_0", "from 0 to 2"),
        ({"criterion_0": "1.255", "criterion_1": "1"}, "criterion_0", "2 decimal places"),
        ({"criterion_0": "one", "criterion_1": "1"}, "criterion_0", "not a number"),
        ({"criterion_0": "1"}, "criterion_1", "Enter a number"),
    ],
)
def test_bad_rubric_scores_change_nothing(w, scores, field, message):
    attempt = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "My essay.")])
    response = _essay_response(attempt)
    with pytest.raises(GradingError) as info:
        marking.record_manual_grade(response, w.teacher, criterion_scores=scores)
    assert message in info.value.errors[field]
    db.session.rollback()
    fresh = db.session.get(Response, response.id)
    assert fresh.manual_score is None and fresh.rubric_scores is None
    assert db.session.scalar(select(func.count(GradeChange.id))) == 0


def test_rubric_scaled_to_slot_points(w):
    w.quiz.slots[1].points = 8  # the essay's rubric adds up to 4
    db.session.commit()
    attempt = make_attempt(w.quiz, w.student, [(w.essay, "Essay")])
    attempt.responses[0].max_points = 8
    marking.record_manual_grade(
        attempt.responses[0], w.teacher, criterion_scores={"criterion_0": "1", "criterion_1": "2"}
    )
    assert attempt.responses[0].manual_score == 6.0


def test_short_answer_manual_review_single_score(w):
    attempt = make_attempt(w.quiz, w.student, [(w.short, "Jeremy C.")])
    response = attempt.responses[0]
    assert response.state == "needs_grading"
    with pytest.raises(GradingError) as info:
        marking.record_manual_grade(response, w.teacher, score="2.01")
    assert "score" in info.value.errors
    marking.record_manual_grade(response, w.teacher, score="1.5", comment="Close enough")
    assert response.score == 1.5 and attempt.score == 1.5


def test_auto_graded_answers_and_open_attempts_refuse_manual_grades(w):
    attempt = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "Essay")])
    with pytest.raises(GradingError, match="override"):
        marking.record_manual_grade(attempt.responses[0], w.teacher, score="1")
    open_attempt = make_attempt(w.quiz, w.other_student, [(w.essay, "draft")], submitted=False)
    with pytest.raises(GradingError, match="in progress"):
        marking.record_manual_grade(open_attempt.responses[0], w.teacher, score="1")


def test_overrides_need_reasons_and_win(w):
    attempt = make_attempt(w.quiz, w.student, [(w.single, "a"), (w.essay, "Essay")])
    single = attempt.responses[0]
    assert single.score == 0.0
    with pytest.raises(GradingError) as info:
        marking.override_response(single, w.teacher, "1", "  ")
    assert "reason" in info.value.errors
    with pytest.raises(GradingError) as info:
        marking.override_response(single, w.teacher, "1.5", "too much")
    assert "score" in info.value.errors
    with pytest.raises(GradingError) as info:
        marking.override_response(single, w.teacher, "", "nothing to clear")
    assert "score" in info.value.errors
    marking.override_response(single, w.teacher, "1", "Option a is defensible")
    assert single.score == 1.0 and attempt.score == 1.0
    marking.override_response(single, w.teacher, "", "Back to the key")
    assert single.score == 0.0 and single.override_score is None

    with pytest.raises(GradingError) as info:
        marking.override_attempt(attempt, w.teacher, "6", "above max")
    assert "total" in info.value.errors
    marking.override_attempt(attempt, w.teacher, "4.5", "Late penalty waived")
    assert attempt.score == 4.5 and attempt.score_override == 4.5
    # A later question grade does not move an overridden total.
    marking.record_manual_grade(
        attempt.responses[1], w.teacher, criterion_scores={"criterion_0": "1", "criterion_1": "1"}
    )
    assert attempt.score == 4.5 and attempt.auto_score == 2.0
    marking.override_attempt(attempt, w.teacher, None, "Undo")
    assert attempt.score == 2.0
    db.session.commit()
    trail = marking.audit_trail(attempt=attempt)
    assert [e.kind for e in trail] == [
        "attempt_override",
        "manual",
        "attempt_override",
        "override",
        "override",
    ]
    assert trail[-1].reason == "Option a is defensible" and trail[-1].changed_by == "Ada Teacher"
    assert (trail[-1].old_score, trail[-1].new_score) == (0.0, 1.0)
    assert trail[-1].question_key == "q-single"
    assert len(marking.audit_trail(quiz=w.quiz)) == 5


def test_queue_by_question_and_by_student_with_neighbours(w):
    a1 = make_attempt(w.quiz, w.other_student, [(w.essay, "Ben's"), (w.short, "who knows")])
    a2 = make_attempt(w.quiz, w.student, [(w.essay, "Amira's"), (w.short, "corbyn")])
    make_attempt(w.quiz, w.student, [(w.essay, "preview")], preview=True)
    make_attempt(w.quiz, w.other_student, [(w.essay, "draft")], submitted=False)
    by_question = marking.grading_queue(w.quiz)
    assert [(i.question_key, i.student_name) for i in by_question] == [
        ("q-essay", "Amira Student"),
        ("q-essay", "Ben Student"),
        ("q-short", "Ben Student"),
    ]
    by_student = marking.grading_queue(w.quiz, order="student")
    assert [(i.student_name, i.question_key) for i in by_student] == [
        ("Amira Student", "q-essay"),
        ("Ben Student", "q-essay"),
        ("Ben Student", "q-short"),
    ]
    first = by_question[0]
    marking.record_manual_grade(
        _essay_response(a2), w.teacher, criterion_scores={"criterion_0": "2", "criterion_1": "2"}
    )
    items = marking.grading_queue(w.quiz)
    previous, following, pending = marking.neighbours(items, first.response_id)
    assert previous is None and following.student_name == "Ben Student"
    assert pending.response_id == following.response_id
    assert len(marking.grading_queue(w.quiz, pending_only=True)) == 2
    only = marking.grading_queue(w.quiz, question_id=w.short.id)
    assert [i.response_id for i in only] == [a1.responses[1].id]


def test_grading_methods_combine_attempt_scores(w):
    """The totals kept here are what the gradebook aggregates by the quiz's grading method."""
    scores = []
    for value in ("a", "b", "a"):
        attempt = make_attempt(w.quiz, w.student, [(w.single, value)])
        scores.append(attempt.score)
    assert scores == [0.0, 1.0, 0.0]
    assert aggregate_attempt_scores("highest", scores) == 1.0
    assert aggregate_attempt_scores("last", scores) == 0.0
    assert aggregate_attempt_scores("first", scores) == 0.0
    assert aggregate_attempt_scores("average", scores) == pytest.approx(1 / 3)
    first = db.session.scalars(select(Attempt).order_by(Attempt.id)).first()
    marking.override_attempt(first, w.teacher, "1", "Misprinted option")
    assert aggregate_attempt_scores("first", [first.score, 1.0, 0.0]) == 1.0
