"""Launches from a real platform: students and instructors land where they should."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Enrolment, LtiContext, LtiResourceLink, LtiUser, Role, User
from tests.attempts import specs
from tests.lti.platform import INSTRUCTOR, LEARNER


def _quiz_in_lms_course(lms, make, client):
    """An instructor launch makes the course; a quiz of it, placed by its id."""
    response = lms.launch(client, sub="teacher-1", roles=INSTRUCTOR, resource_link_id="setup")
    assert response.status_code == 302, response.get_data(as_text=True)[-900:]
    assert response.headers["Location"].endswith("/lti/link")
    context = db.session.scalar(select(LtiContext))
    course = context.course
    quiz = make.quiz(course, [make.question(specs.single())], published=True)
    make.commit()
    return course, quiz


def test_student_launch_creates_account_course_and_lands_on_quiz(lms, make):
    teacher = lms.client()
    course, quiz = _quiz_in_lms_course(lms, make, teacher)
    student = lms.client()
    response = lms.launch(
        student,
        sub="student-1",
        roles=LEARNER,
        name="Grace Hopper",
        email="grace@example.edu",
        custom={"hustings_quiz": str(quiz.id)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(f"/quizzes/{quiz.id}")
    link = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == "student-1"))
    assert link.name == "Grace Hopper" and link.email == "grace@example.edu"
    assert link.role == Role.STUDENT and link.password_hash is None
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == link.id))
    assert enrolment.course_id == course.id and enrolment.role == Role.STUDENT
    page = student.get(response.headers["Location"])
    assert page.status_code == 200
    assert quiz.title in page.get_data(as_text=True)
    placed = db.session.scalar(select(LtiResourceLink))
    assert placed.quiz_id == quiz.id and placed.resource_link_id == "link-1"
