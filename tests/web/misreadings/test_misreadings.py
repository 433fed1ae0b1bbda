"""Misreading labels counted: the pure tally, and the instructor's page for a quiz (with the
attacks that apply: other instructors and students get 404, labels and names are escaped)."""

from __future__ import annotations

from copy import deepcopy

import pytest

from app.domain.banks.misreadings import Answer, tally, wrong_labels
from app.extensions import db
from tests.support.attempt_data import add_version, build_world, essay_spec, make_attempt
from tests.support.factories import single_choice_spec

SINGLE = {
    "id": "q1",
    "type": "single",
    "options": [
        {"id": "a", "text": "A", "correct": False, "misreading": "wrong-speaker"},
        {"id": "b", "text": "B", "correct": True},
        {"id": "c", "text": "C", "correct": False, "misreading": "too-literal"},
        {"id": "d", "text": "D", "correct": False},
    ],
}
MULTIPLE = {
    "id": "q2",
    "type": "multiple",
    "options": [
        {"id": "a", "text": "A", "correct": True},
        {"id": "b", "text": "B", "correct": False, "misreading": "wrong-speaker"},
        {"id": "c", "text": "C", "correct": False, "misreading": "half-answer"},
    ],
}


def test_wrong_labels_of_an_answer() -> None:
    assert wrong_labels(SINGLE, "a") == ["wrong-speaker"]
    assert wrong_labels(SINGLE, "b") == []
    assert wrong_labels(SINGLE, "d") == [""]  # wrong, but the option has no label
    assert wrong_labels(SINGLE, None) == [] and wrong_labels(SINGLE, ["a"]) == []
    assert wrong_labels(MULTIPLE, ["a", "b", "c", "b"]) == ["wrong-speaker", "half-answer"]
    assert wrong_labels(MULTIPLE, "b") == []  # a malformed stored value counts as nothing
    assert wrong_labels({"type": "essay"}, "text") == []


def test_tally_gives_the_headline_and_breakdowns() -> None:
    answers = [
        Answer(1, "q1", SINGLE, "a"),
        Answer(2, "q1", SINGLE, "a"),
        Answer(3, "q1", SINGLE, "c"),
        Answer(3, "q1", SINGLE, "b"),
        Answer(1, "q2", MULTIPLE, ["a", "b"]),
        Answer(2, "q2", MULTIPLE, ["c"]),
        Answer(2, "q1", SINGLE, "d"),
    ]
    report = tally(answers)
    assert report.answers == 7 and report.overall.wrong == 6
    assert report.overall.ranked() == [
        ("wrong-speaker", 3),
        ("half-answer", 1),
        ("too-literal", 1),
        ("", 1),
    ]
    assert report.headline() == "50 % of wrong answers took someone else's view for the author's."
    assert report.by_question["q1"].wrong == 4 and report.by_question["q2"].wrong == 2
    assert report.by_student[2].wrong == 3 and report.by_student[2].labels[""] == 1
    assert report.by_student[1].labels["wrong-speaker"] == 2
    assert tally([]).headline() is None


@pytest.fixture
def w(make):
    world = build_world(make)
    labelled = single_choice_spec("q-single", points=1.0)
    labelled = deepcopy(labelled)
    for option in labelled["options"]:
        if not option["correct"]:
            option["misreading"] = "wrong-speaker"
    labelled["options"][0]["misreading"] = "too-literal"
    add_version(world.single, labelled)
    spec = deepcopy(essay_spec("q-essay"))
    spec["rubric"][0]["levels"] = [
        {"points": 0.0, "descriptor": "None."},
        {"points": 1.0, "descriptor": "Some <em>claim</em>."},
        {"points": 2.0, "descriptor": "A clear claim."},
    ]
    add_version(world.essay, spec)
    world.student.name = "<b>Amira</b>"
    db.session.commit()
    return world


def test_the_page_counts_the_class_misreadings_and_essay_levels(w, make, login_as, client):
    wrong = next(
        o["id"]
        for o in w.single.versions[-1].spec["options"]
        if not o["correct"] and o.get("misreading") == "wrong-speaker"
    )
    first = make_attempt(w.quiz, w.student, [(w.single, wrong), (w.essay, "x")])
    make_attempt(w.quiz, w.other_student, [(w.single, wrong), (w.essay, "y")])
    essay = next(r for r in first.responses if r.question_version.type == "essay")
    essay.rubric_scores, essay.rubric_levels = {"Claim": 1.0, "Evidence": 1.0}, {"Claim": 1.0}
    db.session.commit()
    login_as(w.teacher)
    page = client.get(f"/teach/quizzes/{w.quiz.id}/misreadings")
    assert page.status_code == 200
    body = page.data.decode()
    assert "100 % of wrong answers took someone else&#39;s view for the author&#39;s." in body or (
        "100 % of wrong answers took someone else's view for the author's." in body
    )
    assert "Wrong speaker (whose view?)" in body
    assert f"/teach/banks/{w.bank.slug}/questions/q-single" in body  # linked to the item
    assert "&lt;b&gt;Amira&lt;/b&gt;" in body and "<b>Amira</b>" not in body
    assert "Essays: answers per rubric level" in body and "Some <em>claim</em>." in body
    assert (
        "Misreadings and rubric levels"
        in client.get(f"/teach/quizzes/{w.quiz.id}/items").data.decode()
    )


def test_the_page_is_empty_but_explained_without_attempts(w, login_as, client):
    login_as(w.teacher)
    body = client.get(f"/teach/quizzes/{w.quiz.id}/misreadings").data.decode()
    assert "No wrong answers to single- or multiple-choice questions yet" in body


@pytest.mark.parametrize("who", ["student", "outsider", "outsider_student"])
def test_nobody_else_sees_the_page(w, login_as, client, who):
    login_as(getattr(w, who))
    assert client.get(f"/teach/quizzes/{w.quiz.id}/misreadings").status_code == 404
