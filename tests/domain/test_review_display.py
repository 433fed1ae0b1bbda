"""What the instructor's attempt view and the review show of an answer and its mark. Pure."""

from __future__ import annotations

from app.domain.allowances import allowance
from app.domain.attempt_view import answer_display, score_source, shown_state
from tests.support import specs


def test_answers_show_the_words_the_student_saw_not_ids():
    match = answer_display(specs.matching(), {"1": "2"})
    assert match["kind"] == "pairs" and "{" not in str(match["items"])
    order = answer_display(specs.ordering(), ["c", "a", "b"])
    assert order["kind"] == "order" and order["items"][0] not in ("a", "b", "c")
    passages = answer_display(specs.evidence(), ["src:p2"], lambda ref: "The text.")
    assert passages["items"] == [("src:p2", "The text.")]
    assert answer_display(specs.single(), "b")["items"] == [("Bravo", True)]
    assert answer_display(specs.single(), None)["kind"] == "none"


def test_an_override_or_grade_decides_the_state_shown():
    assert shown_state("wrong", 0.5, 1.0, None, 0.5) == "partial"
    assert shown_state("needs_grading", 1.0, 1.0, 1.0, None) == "correct"
    assert shown_state("needs_grading", None, 1.0) == "needs_grading"
    assert score_source(None, 0.5) == "override" and score_source(1.0, None) == "manual"
    assert score_source(None, None) == "auto"


def test_an_extension_is_said_in_words():
    a = allowance(
        time_limit_minutes=40,
        attempts_allowed=2,
        quiz_closes_at=None,
        time_multiplier=1.5,
        note="shown to the student",
    )
    assert a.time_text() == "40 minutes (60 with your extension)"
    assert a.note == "shown to the student"
    assert (
        allowance(time_limit_minutes=None, attempts_allowed=1, quiz_closes_at=None).time_text()
        is None
    )
