"""Launches from a real platform: students and instructors land where they should."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Course, Enrolment, LtiContext, LtiResourceLink, LtiUser, Role, User
from tests.support import specs
from tests.support.lti_platform import INSTRUCTOR, LEARNER


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


def test_an_instructor_lands_on_the_linked_quiz_settings(lms, placed_quiz):
    client = lms.client()
    response = lms.launch(client, sub="teacher-1", roles=INSTRUCTOR)
    assert response.headers["Location"].endswith(f"/teach/quizzes/{placed_quiz.id}/settings")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_student_on_a_link_without_a_quiz_is_told_to_wait(lms, placed_quiz):
    response = lms.launch(lms.client(), sub="s-1", roles=LEARNER, resource_link_id="unset")
    assert response.status_code == 409
    assert "has not chosen a Hustings quiz" in response.get_data(as_text=True)


def test_relaunch_keeps_one_account_and_course_and_follows_lms_changes(lms, placed_quiz):
    lms.launch(lms.client(), sub="s-1", roles=LEARNER, name="Old Name")
    lms.launch(lms.client(), sub="s-1", roles=INSTRUCTOR, name="New Name")
    users = db.session.scalars(select(User).join(LtiUser).where(LtiUser.sub == "s-1")).all()
    assert len(users) == 1 and users[0].name == "New Name"
    assert users[0].role == Role.INSTRUCTOR  # a TA promoted in the LMS grades here now
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users[0].id))
    assert enrolment.role == Role.INSTRUCTOR
    assert db.session.scalar(select(func.count()).select_from(LtiContext)) == 1


def test_another_lms_course_gets_its_own_hustings_course(lms, placed_quiz):
    client = lms.client()
    lms.launch(client, sub="teacher-1", roles=INSTRUCTOR, context_id="course-2",
               context_title="Politics 202")  # fmt: skip
    titles = db.session.scalars(select(Course.title).order_by(Course.id)).all()
    assert titles == ["Politics 101", "Politics 202"]


def test_names_with_control_characters_are_cleaned(lms, placed_quiz):
    lms.launch(lms.client(), sub="s-x", roles=LEARNER, name="Eve\u202e\x07 Mallory")
    user = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == "s-x"))
    assert user.name == "Eve Mallory"
