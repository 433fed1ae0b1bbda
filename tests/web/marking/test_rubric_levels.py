"""Levelled rubrics end to end (without a browser): the grader clicks a level per criterion and may
adjust the points; the student's review shows the level awarded; bad input gets a clear message."""

from __future__ import annotations

import re
from copy import deepcopy

import pytest
from sqlalchemy import select

from app.domain.banks import rubrics
from app.extensions import db
from app.models import Attempt, GradeChange, Response
from tests.support.attempt_data import add_version, build_world, essay_spec, make_attempt

LEVELS = [
    {"points": 0.0, "descriptor": "No claim stated."},
    {"points": 1.0, "descriptor": "A claim, <em>vaguely</em> stated."},
    {"points": 2.0, "descriptor": "The claim, precisely stated."},
]


def levelled_spec() -> dict:
    spec = deepcopy(essay_spec("q-essay"))
    spec["rubric"][0]["levels"] = deepcopy(LEVELS)  # "Claim", 2 points
    return spec


@pytest.fixture
def w(make):
    world = build_world(make)
    add_version(world.essay, levelled_spec())
    db.session.commit()
    world.attempt = make_attempt(world.quiz, world.student, [(world.essay, "My essay.")])
    return world


@pytest.fixture
def teacher(w, login_as, client):
    login_as(w.teacher)
    return client


def essay_response(w) -> Response:
    return db.session.scalars(select(Response).where(Response.attempt_id == w.attempt.id)).one()


def url(w) -> str:
    return f"/teach/quizzes/{w.quiz.id}/grading/{essay_response(w).id}"


def test_the_grading_form_shows_each_level_to_click(w, teacher):
    page = teacher.get(url(w))
    assert page.status_code == 200
    body = page.data.decode()
    assert body.count('name="level_0"') == 3 and 'type="radio"' in body
    assert "A claim, <em>vaguely</em> stated." in body  # sanitised bank HTML
    assert "Adjust the points for “Claim” (optional)" in body
    assert 'name="criterion_1"' in body  # the criterion without levels keeps its points box
    assert "css/rubrics.css" in body


def test_clicking_a_level_gives_its_points_and_records_the_level(w, teacher):
    r = teacher.post(url(w), data={"level_0": "2", "criterion_1": "1", "comment": "Clear."})
    assert r.status_code == 302
    db.session.expire_all()
    response = essay_response(w)
    assert response.rubric_scores == {"Claim": 2.0, "Evidence": 1.0}
    assert response.rubric_levels == {"Claim": 2.0}
    assert response.manual_score == 3.0
    assert db.session.get(Attempt, w.attempt.id).score == 3.0
    again = teacher.get(url(w)).data.decode()
    inputs = re.findall(r'<input[^>]*name="level_0"[^>]*>', again)
    (checked,) = [i for i in inputs if " checked" in i]
    assert 'value="2"' in checked


def test_a_grader_can_adjust_the_points_of_a_level(w, teacher):
    r = teacher.post(
        url(w),
        data={"level_0": "1", "criterion_0": "1.5", "criterion_1": "2", "comment": "Nearly."},
    )
    assert r.status_code == 302
    db.session.expire_all()
    response = essay_response(w)
    assert response.rubric_scores == {"Claim": 1.5, "Evidence": 2.0}
    assert response.rubric_levels == {"Claim": 1.0}
    assert db.session.scalar(select(GradeChange.new_score)) == 3.5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"criterion_1": "1"}, "Click a level (or enter points below it)."),
        ({"level_0": "1.5", "criterion_1": "1"}, "Choose one of the levels (0, 1, 2)."),
        ({"level_0": "x", "criterion_1": "1"}, "Choose one of the levels (0, 1, 2)."),
        ({"level_0": "2", "criterion_0": "9", "criterion_1": "1"}, "At most 2 points"),
    ],
)
def test_bad_grades_are_refused_with_a_message_and_change_nothing(w, teacher, data, message):
    r = teacher.post(url(w), data=data)
    assert r.status_code == 400
    assert message in r.data.decode()
    db.session.expire_all()
    response = essay_response(w)
    assert response.state == "needs_grading" and response.rubric_levels is None
    assert db.session.scalar(select(GradeChange.id)) is None


def test_the_students_review_shows_the_levels_awarded(w, teacher, client, login_as):
    teacher.post(url(w), data={"level_0": "1", "criterion_0": "1.5", "criterion_1": "2"})
    login_as(w.student)
    page = client.get(f"/attempts/{w.attempt.id}/result")
    assert page.status_code == 200
    body = page.data.decode()
    assert "How your answer was marked" in body
    assert "A claim, <em>vaguely</em> stated." in body
    assert "adjusted from the level" in body


def test_awarded_and_distribution_are_pure() -> None:
    rubric = levelled_spec()["rubric"]
    (claim, evidence) = rubrics.awarded(rubric, {"Claim": 1.0, "Evidence": 2.0}, {"Claim": 1.0})
    assert claim.descriptor == "A claim, <em>vaguely</em> stated." and not claim.adjusted
    assert evidence.level is None and evidence.descriptor == ""
    assert rubrics.awarded(rubric, None, None) == []
    rows = rubrics.level_distribution(
        rubric,
        [
            ({"Claim": 2.0, "Evidence": 1.0}, {"Claim": 2.0}),
            ({"Claim": 1.5, "Evidence": 1.0}, {"Claim": 1.0}),  # adjusted: counted at its level
            ({"Claim": 0.0, "Evidence": 0.0}, None),  # points only, matching the 0 level
            ({"Claim": 0.5, "Evidence": 0.0}, None),  # points only, between levels
            (None, None),  # not graded yet
        ],
    )
    claim_row = rows[0]
    assert [(p, n) for p, _text, n in claim_row.levels] == [(0.0, 1), (1.0, 1), (2.0, 1)]
    assert claim_row.ungraded_level == 1 and claim_row.graded == 4
    assert rows[1].levels == [] and rows[1].graded == 4
