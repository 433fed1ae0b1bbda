"""Grading pages: the queue, the rubric form, overrides, audit trail and regrade; bad input and
access from anyone but the course's instructor."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attempt, GradeChange, Response
from tests.support.attempt_data import add_version, build_world, make_attempt
from tests.support.factories import single_choice_spec


@pytest.fixture
def w(make):
    world = build_world(make)
    world.a1 = make_attempt(
        world.quiz,
        world.student,
        [(world.single, "b"), (world.essay, "<script>alert(1)</script> essay")],
    )
    world.a2 = make_attempt(
        world.quiz, world.other_student, [(world.single, "c"), (world.essay, "Ben's essay")]
    )
    return world


@pytest.fixture
def teacher(w, login_as, client):
    login_as(w.teacher)
    return client


def _essay(attempt):
    return next(r for r in attempt.responses if r.question_version.type == "essay")


def _changes():
    return db.session.scalar(select(func.count(GradeChange.id)))


def test_queue_and_grade_with_next(w, teacher):
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/grading")
    assert page.status_code == 200 and b"2 of 2 answer(s)" in page.data
    assert page.data.index(b"Amira Student") < page.data.index(b"Ben Student")
    by_student = teacher.get(f"/teach/quizzes/{w.quiz.id}/grading?by=student&show=all")
    assert by_student.status_code == 200
    assert teacher.get(f"/teach/quizzes/{w.quiz.id}/grading?by=<x>").status_code == 200
    first, second = _essay(w.a1), _essay(w.a2)
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/grading/{first.id}")
    assert page.status_code == 200
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; essay" in page.data
    assert b"The author &lt;claims&gt;" in page.data  # model answer, escaped
    assert b"Claim (0\xe2\x80\x932)" in page.data and b"States the claim." in page.data
    assert b"1 of 2" in page.data
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/grading/{first.id}",
        data={"criterion_0": "2", "criterion_1": "1.5", "comment": "Well argued"},
    )
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/grading/{second.id}?by=question")
    db.session.expire_all()
    graded = db.session.get(Response, first.id)
    assert graded.manual_score == 3.5 and graded.comment == "Well argued"
    assert db.session.get(Attempt, w.a1.id).score == 4.5
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/grading/{second.id}",
        data={"criterion_0": "0", "criterion_1": "0"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/grading?by=question")
    again = teacher.get(f"/teach/quizzes/{w.quiz.id}/grading/{first.id}")
    assert b'value="1.5"' in again.data and b"Well argued" in again.data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"criterion_0": "3", "criterion_1": "1"}, b"At most 2 points"),
        ({"criterion_0": "-1", "criterion_1": "1"}, b"from 0 to 2"),
        ({"criterion_0": "1.999", "criterion_1": "1"}, b"2 decimal places"),
        ({"criterion_0": "", "criterion_1": "1"}, b"Enter a score for this criterion"),
        ({"criterion_0": "a lot", "criterion_1": "1"}, b"not a number"),
        ({"criterion_0": "1", "criterion_1": "1", "comment": "x" * 5001}, b"5000"),
    ],
)
def test_rubric_form_bad_input(w, teacher, data, message):
    response = _essay(w.a1)
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/grading/{response.id}", data=data)
    assert r.status_code == 400
    assert message in r.data
    db.session.expire_all()
    assert db.session.get(Response, response.id).manual_score is None
    assert _changes() == 0


def test_queue_filters_carry_through_next(w, teacher):
    first, second = _essay(w.a1), _essay(w.a2)
    url = f"/teach/quizzes/{w.quiz.id}/grading"
    page = teacher.get(f"{url}?student={w.other_student.id}")
    assert b"Ben Student" in page.data
    assert f"/grading/{first.id}?".encode() not in page.data
    assert teacher.get(f"{url}?student=abc&question=-1&by=student").status_code == 200
    page = teacher.get(f"{url}/{first.id}?by=student&student={w.student.id}")
    assert b"1 of 1" in page.data
    r = teacher.post(
        f"{url}/{first.id}?by=student&student={w.student.id}",
        data={"criterion_0": "1", "criterion_1": "1"},
    )
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/grading?by=student&student={w.student.id}")
    assert second.id != first.id


def test_auto_graded_response_is_not_in_the_queue(w, teacher):
    single = w.a1.responses[0]
    assert teacher.get(f"/teach/quizzes/{w.quiz.id}/grading/{single.id}").status_code == 404


def test_override_forms(w, teacher):
    single = w.a1.responses[0]
    url = f"/teach/attempts/{w.a1.id}/responses/{single.id}/override"
    page = teacher.get(f"/teach/attempts/{w.a1.id}/grades")
    assert page.status_code == 200 and b"q-single" in page.data
    for data, message in [
        ({f"r{single.id}-score": "0.5"}, b"Give a reason"),
        ({f"r{single.id}-score": "0.5", f"r{single.id}-reason": "   "}, b"Give a reason"),
        ({f"r{single.id}-score": "2", f"r{single.id}-reason": "why"}, b"At most 1"),
        ({f"r{single.id}-score": "0.123", f"r{single.id}-reason": "why"}, b"2 decimal"),
        ({f"r{single.id}-score": "", f"r{single.id}-reason": "why"}, b"Enter the new score"),
    ]:
        r = teacher.post(url, data=data)
        assert r.status_code == 400, data
        assert message in r.data, data
    assert _changes() == 0
    r = teacher.post(
        url, data={f"r{single.id}-score": "0.5", f"r{single.id}-reason": "Half right <b>really</b>"}
    )
    assert r.status_code == 302
    total_url = f"/teach/attempts/{w.a1.id}/override"
    for data, message in [
        ({"total-total": "9", "total-reason": "x"}, b"At most 5"),
        ({"total-total": "3"}, b"Give a reason"),
    ]:
        r = teacher.post(total_url, data=data)
        assert r.status_code == 400 and message in r.data
    r = teacher.post(total_url, data={"total-total": "4", "total-reason": "Bonus"})
    assert r.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(Attempt, w.a1.id)
    assert attempt.score == 4.0 and attempt.responses[0].score == 0.5
    audit = teacher.get(f"/teach/quizzes/{w.quiz.id}/audit")
    assert audit.status_code == 200
    assert b"Half right &lt;b&gt;really&lt;/b&gt;" in audit.data and b"Total override" in audit.data
    assert b"Ada Teacher" in audit.data
    history = teacher.get(f"/teach/attempts/{w.a1.id}/grades")
    assert b"Bonus" in history.data and b"Question override" in history.data


def test_response_of_another_attempt_is_404(w, teacher):
    other = _essay(w.a2)
    url = f"/teach/attempts/{w.a1.id}/responses/{other.id}/override"
    assert teacher.post(url, data={f"r{other.id}-score": "1"}).status_code == 404


def test_regrade_page_dry_run_then_apply(w, teacher):
    add_version(w.single, single_choice_spec("q-single", correct="c"))
    url = f"/teach/quizzes/{w.quiz.id}/regrade"
    page = teacher.get(url)
    assert page.status_code == 200 and b"latest version 2" in page.data
    r = teacher.post(url, data={"questions": ["q-single"], "dry_run": "y"})
    assert r.status_code == 200
    assert b"Dry run: nothing has changed yet" in r.data and b"-1" in r.data and b"+1" in r.data
    assert _changes() == 0
    assert teacher.post(url, data={"dry_run": "y"}).status_code == 400
    assert teacher.post(url, data={"questions": ["nope"], "apply": "y"}).status_code == 400
    assert _changes() == 0
    r = teacher.post(url, data={"questions": ["q-single"], "apply": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/audit")
    assert _changes() == 2
    assert b"Regrade" in teacher.get(f"/teach/quizzes/{w.quiz.id}/audit").data
    teacher.post(url, data={"questions": ["q-single"], "apply": "y"})
    assert _changes() == 2


def _routes(w):
    q, a, essay, single = w.quiz.id, w.a1.id, _essay(w.a1).id, w.a1.responses[0].id
    return [
        ("GET", f"/teach/quizzes/{q}/grading"),
        ("GET", f"/teach/quizzes/{q}/grading/{essay}"),
        ("POST", f"/teach/quizzes/{q}/grading/{essay}"),
        ("GET", f"/teach/attempts/{a}/grades"),
        ("POST", f"/teach/attempts/{a}/responses/{single}/override"),
        ("POST", f"/teach/attempts/{a}/override"),
        ("GET", f"/teach/quizzes/{q}/audit"),
        ("GET", f"/teach/quizzes/{q}/regrade"),
        ("POST", f"/teach/quizzes/{q}/regrade"),
    ]


@pytest.mark.parametrize("who", ["outsider", "student", "outsider_student"])
def test_other_people_get_404_everywhere(w, login_as, client, who):
    login_as(getattr(w, who))
    for method, url in _routes(w):
        r = client.open(
            url,
            method=method,
            data={
                "criterion_0": "2",
                "criterion_1": "2",
                "total-total": "0",
                "total-reason": "x",
                f"r{w.a1.responses[0].id}-score": "1",
                f"r{w.a1.responses[0].id}-reason": "x",
                "questions": ["q-single"],
                "apply": "y",
            },
        )
        assert r.status_code == 404, (who, method, url, r.status_code)
    assert _changes() == 0


def test_anonymous_is_sent_to_login(w, client):
    for method, url in _routes(w):
        r = client.open(url, method=method)
        assert r.status_code == 302 and "/login" in r.headers["Location"], (method, url)


def test_outsider_quiz_cannot_reach_this_quiz_responses(w, make, login_as, client):
    """An instructor of another course, using their own quiz id with our response id: 404."""
    own_quiz = make.quiz(w.other_course, [w.essay])
    login_as(w.outsider)
    r = client.get(f"/teach/quizzes/{own_quiz.id}/grading/{_essay(w.a1).id}")
    assert r.status_code == 404
    r = client.post(
        f"/teach/quizzes/{own_quiz.id}/grading/{_essay(w.a1).id}",
        data={"criterion_0": "2", "criterion_1": "2"},
    )
    assert r.status_code == 404
    assert _changes() == 0
