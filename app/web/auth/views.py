"""Login, logout, sign-up, password change and recovery, and invitation links."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from app.domain import notices
from app.domain.identities import canonical_email
from app.domain.passwords import verify_password
from app.extensions import db, limiter, login_manager
from app.models import User
from app.services import accounts, login_throttle, mail
from app.web import links, sessions
from app.web.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordForm,
    SignupForm,
)

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    user = accounts.user_for_session_token(token)
    if user is not None:
        user.login_token = token
    return user


def safe_next(target: str | None) -> str | None:
    """Accept only same-site absolute paths: no scheme, no host, no backslash tricks."""
    if not target or not target.startswith("/"):
        return None
    decoded = unquote(target)
    if decoded.startswith("//") or "\\" in decoded or any(ord(c) < 32 for c in decoded):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: User) -> str:
    return (
        url_for("courses.teach_index") if user.is_instructor else url_for("courses.student_index")
    )


def _begin_session(user: User) -> None:
    session.clear()  # a fresh session on login: nothing planted before it survives
    user.login_token = accounts.start_login_session(user)
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    """Log in, throttled through ``app.services.login_throttle`` (in the database, shared by every
    worker); each failed or throttled login is logged as ``login failed|throttled account=…
    ip=… reason=…`` (never the password)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        account = canonical_email(form.email.data or "")[:254]
        address = request.remote_addr or "unknown"
        now = datetime.now(UTC)
        policy = login_throttle.Policy.from_config(current_app.config)
        verdict = login_throttle.check(account, address, now, policy)
        if not verdict.allowed:
            sessions.log.warning(
                "login throttled account=%s ip=%s reason=%s retry_after=%d",
                account, address, verdict.reason, verdict.retry_after,
            )  # fmt: skip
            form.password.errors = [
                f"Too many failed logins. Wait {verdict.retry_after} seconds, then try again."
            ]
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(verdict.retry_after)}
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_throttle.record_success(account, address)
            _begin_session(user)
            db.session.commit()
            sessions.log.info("login ok account=%s ip=%s", account, address)
            invitations = 0 if user.is_instructor else accounts.count_pending_invitations(user)
            if invitations:
                flash(
                    f"You have {invitations} course invitation(s): accept or decline them below.",
                    "info",
                )
                return redirect(url_for("courses.student_index"))
            return redirect(safe_next(form.next.data) or home_for(user))
        login_throttle.record_failure(account, address, now, policy)
        db.session.commit()
        sessions.log.warning(
            "login failed account=%s ip=%s reason=wrong-password", account, address
        )
        form.password.errors = ["Email or password is wrong."]
    status = 200 if request.method == "GET" else 401 if form.errors.get("password") else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated and current_user.login_token:
        accounts.end_login_session(current_user.login_token)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
def end_all_sessions() -> Response:
    """Log out on every device, this one included (a lost phone, a shared computer)."""
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    ended = sessions.end_all_sessions(user.id)
    db.session.commit()
    sessions.log.info("sessions ended account=%s by=self count=%d", user.email, ended)
    logout_user()
    session.clear()
    flash(f"You are logged out on every device ({ended} open logins ended).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/session/token")
@sessions.json_endpoint
@login_required
def session_token() -> Response:
    """A fresh CSRF token for a page that outlived its session (logged in again in another
    tab): its autosave gets the new session's token here and goes on."""
    return jsonify(csrf_token=generate_csrf())


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=lambda: _email_key())
def signup() -> str | Response:
    form = SignupForm()
    if request.method == "GET" and request.args.get("code"):
        form.join_code.data = request.args["code"]
    if form.validate_on_submit():
        course = accounts.find_course_by_join_code(form.join_code.data or "")
        if course is None:
            form.join_code.errors = ["No course has this join code. Check it with your instructor."]
        else:
            try:
                user = accounts.sign_up_student(
                    course=course,
                    email=form.email.data or "",
                    name=form.name.data or "",
                    password=form.password.data or "",
                    student_number=form.student_number.data or None,
                )
            except accounts.AccountError as exc:
                db.session.rollback()
                form.email.errors = [str(exc)]
            else:
                db.session.commit()
                if user is None:
                    _tell_owner_of_signup(form.email.data or "")
                # The same answer whether or not the email already had an account.
                flash(
                    "Thank you. If this email was new, your account is ready and you are enrolled: "
                    "log in below. If it already had an account, we did not change it: log in "
                    "with your password, or reset it.",
                    "success",
                )
                return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = PasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()  # type: ignore[attr-defined]
        if not verify_password(user.password_hash, form.current.data or ""):
            form.current.errors = ["That is not your current password."]
        else:
            accounts.change_password(user, form.password.data or "")
            _begin_session(user)  # every other session ends; this one continues afresh
            db.session.commit()
            flash("Password changed. You were logged out everywhere else.", "success")
            return redirect(home_for(user))
    return render_template("auth/password.html", form=form)


def _tell_owner_of_signup(email: str) -> None:
    owner = accounts.find_user_by_email(email)
    if owner is not None:
        mail.send(
            current_app.config,
            notices.signup_for_existing_account(
                owner.email,
                links.external_url("auth.login"),
                links.external_url("auth.forgot_password"),
            ),
        )


def _email_key() -> str:
    return "reset-account:" + canonical_email(request.form.get("email", ""))[:254]


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_email_key)
def forgot_password() -> str | Response:
    """Email a reset link; the answer is the same for unknown emails."""
    form = ForgotPasswordForm()
    smtp = mail.SmtpSettings.from_config(current_app.config) is not None
    if smtp and form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data or "")
        token = accounts.issue_password_reset(user, "email") if user is not None else None
        db.session.commit()
        if user is not None and token is not None:
            minutes = int(accounts.RESET_LINK_LIFETIME["email"].total_seconds() // 60)
            link = links.external_url("auth.reset_password", token=token)
            mail.send(current_app.config, notices.password_reset(user.email, link, minutes))
        flash(
            "If an account has this email, we have sent it a link to choose a new password. "
            "It works once, for one hour. Check your spam folder too.",
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form, smtp=smtp), status


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str) -> str | Response:
    reset = accounts.reset_for_token(token)
    if reset is None:
        return render_template("auth/link_invalid.html", what="password-reset"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = accounts.use_password_reset(reset, form.password.data or "")
        db.session.commit()
        sessions.log.info(
            "password reset account=%s channel=%s; every session ended", user.email, reset.channel
        )
        logout_user()
        session.clear()
        flash("Your password is set, and every other session ended. Log in with it.", "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, email=reset.user.email), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def invitation(token: str) -> str | Response:
    """An invitation link: set the first password of a new account, or log in to accept."""
    invitation = accounts.invitation_for_token(token)
    if invitation is None:
        return render_template("auth/link_invalid.html", what="invitation"), 404
    user = invitation.user
    claimable = invitation.created_account and user.password_hash is None
    form = NewPasswordForm()
    if claimable and form.validate_on_submit():
        try:
            accounts.claim_invited_account(invitation, form.password.data or "")
        except accounts.AccountError as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
        else:
            _begin_session(user)
            db.session.commit()
            flash(f"Welcome! You are enrolled in {invitation.course.title}.", "success")
            return redirect(url_for("courses.student_course", course_id=invitation.course_id))
    status = 400 if request.method == "POST" else 200
    signed_in_as_invitee = current_user.is_authenticated and current_user.id == user.id
    return render_template(
        "auth/invitation.html",
        invitation=invitation,
        form=form if claimable else None,
        signed_in_as_invitee=signed_in_as_invitee,
    ), status
