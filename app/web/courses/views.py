"""Courses: instructors create them and manage rosters; students join and list theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import authz
from app.domain import notices
from app.domain.roster import parse_roster
from app.extensions import db
from app.models import Course, Invitation, Role, User
from app.services import accounts, attempts, courses, mail
from app.web import links, sessions
from app.web.courses.forms import CourseForm, JoinForm, RosterForm
from app.web.forms import CsrfForm

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


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers and tools that ask for /favicon.ico get the site's icon, not a 404."""
    return current_app.send_static_file("favicon.svg")


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
    return render_template("courses/teach_index.html", courses=courses.taught_by(user), form=form)


@bp.route("/teach/courses/<int:course_id>/roster", methods=["GET", "POST"])
@login_required
def roster(course_id: int) -> str | Response:
    course = authz.course_for_instructor(course_id)
    form = RosterForm()
    report = None
    if form.validate_on_submit():
        rows, problems = parse_roster(form.file.data.read())
        result = accounts.import_roster(course, rows, _me())
        emailed = _email_invitations(course, result.invited)
        db.session.commit()
        _send_all(emailed)
        report = {
            "invited": len(result.invited),
            "already": result.already,
            "emailed": len(emailed),
            "problems": sorted(problems, key=lambda p: p.line),
            "filename": form.file.data.filename,
        }
    status = 400 if report and report["problems"] else 200
    if request.method == "POST" and form.errors:
        status = 400
    return _roster_page(course, form=form, report=report, status=status)


def _roster_page(course: Course, status: int = 200, **extra: object) -> tuple[str, int]:
    extra.setdefault("form", RosterForm())
    return render_template(
        "courses/roster.html",
        course=course,
        members=courses.members_of(course),
        invitations=accounts.pending_invitations_of_course(course),
        smtp=mail.SmtpSettings.from_config(current_app.config) is not None,
        csrf_form=CsrfForm(),
        **extra,
    ), status


def _email_invitations(course: Course, invitations: list[Invitation]) -> list[mail.Mail]:
    """Fresh links for the invited, as emails to send after the commit (none without SMTP)."""
    if mail.SmtpSettings.from_config(current_app.config) is None:
        return []
    days = accounts.INVITATION_LINK_LIFETIME.days
    out = []
    for invitation in invitations:
        token = accounts.new_invitation_link(invitation)
        link = links.external_url("auth.invitation", token=token)
        out.append(notices.invitation(invitation.user.email, course.title, link, days))
    return out


def _send_all(messages: list[mail.Mail]) -> None:
    for message in messages:
        mail.send(current_app.config, message)


def _form_id(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route("/teach/courses/<int:course_id>/roster/invitation-link", methods=["POST"])
@login_required
def invitation_link(course_id: int) -> str | Response | tuple[str, int]:
    """A new link for one pending invitation of this course, shown once (the old one stops)."""
    course = authz.course_for_instructor(course_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    invitation = courses.pending_invitation(course, _form_id("invitation_id"))
    if invitation is None:
        flash("Choose a pending invitation of this course.", "error")
        return _roster_page(course, status=400)
    token = accounts.new_invitation_link(invitation)
    db.session.commit()
    return _roster_page(
        course,
        issued={
            "kind": "invitation",
            "name": invitation.roster_name,
            "email": invitation.user.email,
            "link": links.external_url("auth.invitation", token=token),
            "days": accounts.INVITATION_LINK_LIFETIME.days,
        },
    )


@bp.route("/teach/courses/<int:course_id>/roster/reset-link", methods=["POST"])
@login_required
def reset_link(course_id: int) -> str | Response | tuple[str, int]:
    """A one-time password-reset link for a student of this course, to hand over in person."""
    course = authz.course_for_instructor(course_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    student = courses.student_of(course, _form_id("user_id"))
    if student is None:
        flash("Choose a student of this course.", "error")
        return _roster_page(course, status=400)
    token = accounts.issue_password_reset(student, "instructor", issued_by=_me())
    db.session.commit()
    if token is None:
        flash(
            f"{student.name} already got {accounts.RESETS_PER_HOUR} reset links in the last "
            "hour; try again later.",
            "error",
        )
        return _roster_page(course, status=429)
    mail.send(current_app.config, notices.reset_by_instructor(student.email))
    return _roster_page(
        course,
        issued={
            "kind": "reset",
            "name": student.name,
            "email": student.email,
            "link": links.external_url("auth.reset_password", token=token),
            "hours": int(accounts.RESET_LINK_LIFETIME["instructor"].total_seconds() // 3600),
        },
    )


@bp.route("/courses/invitations", methods=["POST"])
@login_required
def answer_invitation() -> Response:
    """Accept or decline one of my pending invitations."""
    if not CsrfForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    invitation_id = _form_id("invitation_id")
    if action not in ("accept", "decline") or invitation_id is None:
        abort(400)
    invitation = courses.invitation_of(_me(), invitation_id)
    if invitation is None:
        abort(404)
    if not invitation.pending:
        flash("You already answered this invitation.", "info")
        return redirect(url_for("courses.student_index"))
    if action == "decline":
        accounts.decline_invitation(invitation)
        db.session.commit()
        flash(f"You declined the invitation to {invitation.course.title}.", "info")
        return redirect(url_for("courses.student_index"))
    try:
        accounts.accept_invitation(invitation)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(f"{exc}.", "error")
        return redirect(url_for("courses.index"))
    db.session.commit()
    flash(f"You joined {invitation.course.title}.", "success")
    return redirect(url_for("courses.student_course", course_id=invitation.course_id))


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
                accounts.join_with_code(course, user)
            except accounts.AccountError as exc:
                form.join_code.errors = [str(exc)]
            else:
                db.session.commit()
                flash(f"You joined {course.title}.", "success")
                return redirect(url_for("courses.student_course", course_id=course.id))
    status = 400 if form.errors else 200
    return render_template(
        "courses/student_index.html",
        courses=courses.courses_of(user),
        form=form,
        invitations=accounts.pending_invitations_of(user),
        csrf_form=CsrfForm(),
    ), status


@bp.route("/courses/<int:course_id>")
@login_required
def student_course(course_id: int) -> str | Response:
    course, role = authz.course_for_member(course_id)
    if role == Role.INSTRUCTOR:
        return redirect(url_for("courses.roster", course_id=course.id))
    user, now = _me(), datetime.now(UTC)
    # Attempts left open past their time are finalised as soon as they are next seen.
    if attempts.close_lapsed_in_course(user.id, course.id, now):
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
