"""Access matrix for every dashboard and export route: only the course's instructors."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.class_data import add_attempt, random_class

ROUTES = [
    "/teach/courses/{course}/dashboard",
    "/teach/quizzes/{quiz}/results",
    "/teach/quizzes/{quiz}/items",
    "/teach/courses/{course}/skills",
    "/teach/courses/{course}/students/{student}",
    "/teach/attempts/{attempt}",
    "/teach/courses/{course}/exports",
    "/teach/quizzes/{quiz}/export.csv",
    "/teach/courses/{course}/gradebook.csv",
    "/teach/quizzes/{quiz}/export.csv?layout=moodle",
    "/teach/courses/{course}/gradebook.csv?layout=plain&no_bom=y",
]


@pytest.fixture
def world(make, db):
    setup = random_class(make, 3)
    other = random_class(make, 2, seed=9)
    attempt = add_attempt(
        db, setup.quiz, setup.students[1], [("b", v.points) for v in setup.versions], number=7
    )
    ids = {
        "course": setup.course.id,
        "quiz": setup.quiz.id,
        "student": setup.students[0].id,
        "attempt": attempt.id,
    }
    return setup, other, ids


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("student", 404),
        ("other_student", 404),
        ("other_instructor", 404),
        ("instructor", 200),
    ],
)
def test_access_matrix(world, client: FlaskClient, login_as, route, who, status) -> None:
    setup, other, ids = world
    users = {
        "student": setup.students[0],
        "other_student": other.students[0],
        "other_instructor": other.instructor,
        "instructor": setup.instructor,
    }
    if who != "anonymous":
        login_as(users[who])
    response = client.get(route.format(**ids))
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]
    if status == 200 and "csv" in route:
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "route",
    [
        "/teach/courses/{other_course}/students/{student}",  # their course, not this student
        "/teach/courses/{course}/students/{other_student}",  # a student of another course
        "/teach/courses/{course}/students/{instructor}",  # not a student at all
        "/teach/attempts/{other_attempt}",
        "/teach/quizzes/999999/results",
        "/teach/courses/999999/dashboard",
        "/teach/attempts/999999",
    ],
)
def test_ids_from_elsewhere_are_404(world, client, login_as, db, route) -> None:
    setup, other, ids = world
    other_attempt = add_attempt(
        db, other.quiz, other.students[0], [("b", v.points) for v in other.versions], number=5
    )
    login_as(setup.instructor)
    url = route.format(
        **ids,
        other_course=other.course.id,
        other_student=other.students[0].id,
        instructor=setup.instructor.id,
        other_attempt=other_attempt.id,
    )
    assert client.get(url).status_code == 404


def test_post_is_not_allowed(world, client, login_as) -> None:
    setup, _, ids = world
    login_as(setup.instructor)
    assert client.post(f"/teach/quizzes/{ids['quiz']}/export.csv").status_code == 405
