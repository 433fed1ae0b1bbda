"""What the course pages read: an instructor's courses, a student's, a roster's members, and
the invitations and students a roster form may name (ids from a form are never trusted: each is
looked up within the course, or the user, it must belong to)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select

from app.extensions import db
from app.models import Course, Enrolment, Invitation, Role, User


def taught_by(user: User) -> Sequence[Row[tuple[Course, int]]]:
    """The courses ``user`` teaches, by title, each with its number of students (one query)."""
    students = (
        select(Enrolment.course_id, func.count().label("n"))
        .where(Enrolment.role == Role.STUDENT)
        .group_by(Enrolment.course_id)
        .subquery()
    )
    return db.session.execute(
        select(Course, func.coalesce(students.c.n, 0))
        .join(Enrolment, Enrolment.course_id == Course.id)
        .outerjoin(students, students.c.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Enrolment.role == Role.INSTRUCTOR)
        .order_by(Course.title)
    ).all()


def courses_of(user: User) -> Sequence[Course]:
    """Every course ``user`` is enrolled in, in any role, by title."""
    return db.session.scalars(
        select(Course)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id)
        .order_by(Course.title)
    ).all()


def members_of(course: Course) -> Sequence[Row[tuple[User, Enrolment]]]:
    """(user, enrolment) of everyone in ``course``, by role then name."""
    return db.session.execute(
        select(User, Enrolment)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id)
        .order_by(Enrolment.role, User.name)
    ).all()


def pending_invitation(course: Course, invitation_id: int | None) -> Invitation | None:
    """A not yet accepted invitation to ``course``, or None for any other id."""
    if invitation_id is None:
        return None
    return db.session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.course_id == course.id,
            Invitation.accepted_at.is_(None),
        )
    )


def invitation_of(user: User, invitation_id: int) -> Invitation | None:
    """One of ``user``'s own invitations (answered or not), or None for any other id."""
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.user_id == user.id)
    )


def student_of(course: Course, user_id: int | None) -> User | None:
    """A student of ``course``, or None for any other id (instructors included)."""
    if user_id is None:
        return None
    return db.session.scalar(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            User.id == user_id,
            Enrolment.course_id == course.id,
            Enrolment.role == Role.STUDENT,
        )
    )
