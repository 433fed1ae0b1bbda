"""Courses: instructors create them and manage rosters; students join and list theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app import accounts, attempts, authz, sessions
from app.blueprints.courses.forms import CourseForm, JoinForm, RosterForm
from app.blueprints.student.forms import CsrfForm
from app.database import ensure_write_transaction
from app.extensions import db
from app.models import Course, Enrolment, Role, User
from app.roster import parse_roster

bp = Blueprint("courses", __name__)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _require_instructor() -> User:
    user = _me()
    if not user.is_instructor:
        abort(404)
    return user


@bp.route("/")
def index() -> Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if _me().is_instructor:
        return redirect(url_for("courses.teach_index"))
    return redirect(url_for("courses.student_index"))


@bp.route("/teach/", methods=["GET", "POST"])
@login_required
def teach_index() -> str | Response:
    user = _require_instructor()
    form = CourseForm()
    if form.validate_on_submit():
        course = accounts.create_course(user, form.title.data or "", form.code.data or "")
        db.session.commit()
        flash(f"Course created. Students join with the code {course.join_code}.", "success")
        return redirect(url_for("courses.roster", course_id=course.id))
    students = (
        select(Enrolment.course_id, func.count().label("n"))
        .where(Enrolment.role == Role.STUDENT)
        .group_by(Enrolment.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Course, func.coalesce(students.c.n, 0))
        .join(Enrolment, Enrolment.course_id == Course.id)
        .outerjoin(students, students.c.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Enrolment.role == Role.INSTRUCTOR)
        .order_by(Course.title)
    ).all()
    return render_template("courses/teach_index.html", courses=rows, form=form)


@bp.route("/teach/courses/<int:course_id>/roster", methods=["GET", "POST"])
@login_required
def roster(course_id: int) -> str | Response:
    course = authz.course_for_instructor(course_id)
    form = RosterForm()
    report = None
    if form.validate_on_submit():
        rows, problems = parse_roster(form.file.data.read())
        result = accounts.import_roster(course, rows)
        db.session.commit()
        report = {
            "created": len(result.created),
            "enrolled": len(result.enrolled),
            "already": len(result.already),
            "problems": sorted(problems + result.problems, key=lambda p: p.line),
            "filename": form.file.data.filename,
        }
    members = db.session.execute(
        select(User, Enrolment)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id)
        .order_by(Enrolment.role, User.name)
    ).all()
    status = 400 if report and report["problems"] else 200
    if request.method == "POST" and form.errors:
        status = 400
    return render_template(
        "courses/roster.html", course=course, members=members, form=form, report=report
    ), status


@bp.route("/courses/", methods=["GET", "POST"])
@login_required
def student_index() -> str | Response:
    user = _me()
    form = JoinForm()
    if form.validate_on_submit():
        course = accounts.find_course_by_join_code(form.join_code.data or "")
        if course is None:
            form.join_code.errors = ["No course has this join code. Check it with your instructor."]
        else:
            try:
                accounts.enrol(course, user)
            except accounts.AccountError as exc:
                form.join_code.errors = [str(exc)]
            else:
                db.session.commit()
                flash(f"You joined {course.title}.", "success")
                return redirect(url_for("courses.student_course", course_id=course.id))
    courses = db.session.scalars(
        select(Course)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id)
        .order_by(Course.title)
    ).all()
    status = 400 if form.errors else 200
    return render_template("courses/student_index.html", courses=courses, form=form), status


@bp.route("/courses/<int:course_id>")
@login_required
def student_course(course_id: int) -> str | Response:
    course, role = authz.course_for_member(course_id)
    if role == Role.INSTRUCTOR:
        return redirect(url_for("courses.roster", course_id=course.id))
    user, now = _me(), datetime.now(UTC)
    overdue = attempts.overdue_attempts_of(user.id, course.id, now)
    if overdue:
        # Attempts left open past their time are finalised as soon as they are next seen.
        ensure_write_transaction()
        for attempt in attempts.overdue_attempts_of(user.id, course.id, now):
            attempts.finalise_if_overdue(attempt, now)
        db.session.commit()
    rows = attempts.course_quizzes(course.id, user, now)
    return render_template("courses/student_course.html", course=course, rows=rows, form=CsrfForm())


@bp.route("/teach/courses/<int:course_id>/students/<int:user_id>/end-sessions", methods=["POST"])
@login_required
def end_student_sessions(course_id: int, user_id: int) -> Response:
    """Log a student of the course out on every device (a lost phone, a shared computer)."""
    course = authz.course_for_instructor(course_id)
    person = authz.student_in_course(course, user_id)
    ended = sessions.end_all_sessions(person.id)
    db.session.commit()
    sessions.log.info("sessions ended account=%s by=%s count=%d", person.email, _me().email, ended)
    flash(
        f"{person.name} is logged out on every device ({ended} open "
        f"{'login' if ended == 1 else 'logins'} ended). Saved answers are kept; answers "
        "still on their quiz page are sent when they log in again.",
        "success",
    )
    return redirect(url_for("dashboards.student", course_id=course.id, user_id=person.id))
