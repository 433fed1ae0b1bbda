"""The one place that decides who may see or change what.

Every loader takes an id from the URL and returns the object only if the current user may act
on it; otherwise it aborts with 404, so ids of other people's work reveal nothing. This module
decides ownership only: attempts are read (and locked) by ``app.services.attempt_store``.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.domain import review
from app.extensions import db
from app.models import Attempt, Course, Enrolment, Quiz, Response, Role, User
from app.services import attempt_store, courses
from app.services.attempt_store import AttemptRecord


def _user() -> User:
    if not current_user.is_authenticated:
        abort(401)
    return current_user._get_current_object()  # type: ignore[attr-defined]


def course_role(user: User, course_id: int) -> str | None:
    return db.session.scalar(
        select(Enrolment.role).where(Enrolment.course_id == course_id, Enrolment.user_id == user.id)
    )


def library_instructor() -> User:
    """Any instructor: sources and banks are a library shared by the whole installation."""
    user = _user()
    if not user.is_instructor:
        abort(404)
    return user


def course_for_instructor(course_id: int) -> Course:
    user = _user()
    course = db.session.get(Course, course_id)
    if course is None or course_role(user, course_id) != Role.INSTRUCTOR:
        abort(404)
    return course


def course_for_member(course_id: int) -> tuple[Course, str]:
    """A course the user is enrolled in, with the user's role in it."""
    user = _user()
    course = db.session.get(Course, course_id)
    role = course_role(user, course_id) if course else None
    if course is None or role is None:
        abort(404)
    return course, role


def quiz_for_instructor(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    course_for_instructor(quiz.course_id)
    return quiz


def quiz_for_student(quiz_id: int) -> Quiz:
    """A published quiz of a course the student is enrolled in."""
    user = _user()
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not quiz.published or course_role(user, quiz.course_id) != Role.STUDENT:
        abort(404)
    return quiz


def quiz_for_taker(quiz_id: int) -> tuple[Quiz, bool]:
    """A quiz the user may take, and whether it is a preview: students take published quizzes
    of their courses; the course's instructors take any of its quizzes as a preview."""
    user = _user()
    quiz = db.session.get(Quiz, quiz_id)
    role = course_role(user, quiz.course_id) if quiz is not None else None
    if quiz is None or role is None or (role == Role.STUDENT and not quiz.published):
        abort(404)
    return quiz, role == Role.INSTRUCTOR


def own_attempt(attempt_id: int, *, lock: bool = False) -> Attempt:
    """The current user's own attempt with its quiz (the pages that show scores); anyone
    else's id is a 404. ``lock``: read under the row lock, for a request that changes it (the
    attempt services then use that read instead of locking again)."""
    user = _user()
    attempt = attempt_store.model(attempt_id, lock=lock)
    if attempt is None or attempt.user_id != user.id:
        abort(404)
    return attempt


def own_attempt_record(attempt_id: int, *, lock: bool = False) -> AttemptRecord:
    """The current user's own attempt as the store's plain record (the quiz page, the
    autosave); anyone else's id is a 404. ``lock``: as for ``own_attempt``."""
    user = _user()
    record = attempt_store.record(attempt_id, lock=lock)
    if record is None or record.user_id != user.id:
        abort(404)
    return record


def attempt_for_instructor(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    quiz_for_instructor(attempt.quiz_id)
    return attempt


def response_for_instructor(quiz: Quiz, response_id: int) -> Response:
    """A response of an attempt at ``quiz`` (already authorized); any other id is a 404."""
    response = db.session.get(Response, response_id)
    if response is None or response.attempt.quiz_id != quiz.id:
        abort(404)
    return response


def student_in_course(course: Course, user_id: int) -> User:
    """A student of ``course`` (for instructor pages about one student)."""
    user = courses.student_of(course, user_id)
    if user is None:
        abort(404)
    return user


def review_visibility(
    quiz: Quiz, attempt: Attempt, *, close_time: datetime | None, now: datetime
) -> review.Visibility:
    """What the current user may see of ``attempt``'s results under ``quiz``'s review policy."""
    user = _user()
    is_instructor = course_role(user, quiz.course_id) == Role.INSTRUCTOR
    if not is_instructor and attempt.user_id != user.id:
        abort(404)
    return review.visibility(
        quiz.review_policy,
        submitted=attempt.state == "submitted",
        close_time=close_time,
        now=now,
        is_instructor=is_instructor or attempt.is_preview,
    )
