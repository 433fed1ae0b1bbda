"""LTI routes: the tool's keys and configuration, OIDC login, launch, deep linking, the
platform registrations page and each course's LMS page. Views load and authorise, call one
service, commit; protocol errors end on a page that says what went wrong and what to do."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app import authz
from app.database import ensure_write_transaction
from app.extensions import csrf, db
from app.lti import grades, keys, platforms, provision
from app.lti import roster as lti_roster
from app.lti.forms import PlatformForm
from app.lti.framing import FRAME_KEY, csp_for
from app.lti.launch import (
    DatabaseLaunchStorage,
    HustingsMessageLaunch,
    HustingsOIDCLogin,
    LaunchRefused,
    forget_expired,
    start_state_for_login,
)
from app.models import (
    LtiContext,
    LtiGradeSync,
    LtiPlatform,
    LtiResourceLink,
    Quiz,
    Role,
    User,
)
from app.services import accounts, gradebook
from app.web.forms import CsrfForm

log = logging.getLogger(__name__)
bp = Blueprint("lti", __name__)

DEEP_LINK_KEY = "lti_deep_link"
LINK_KEY = "lti_link"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def _refused(message: str, status: int = 403) -> tuple[str, int]:
    return render_template("lti/refused.html", message=message), status


# --- the tool's public face ----------------------------------------------------------------


@bp.route("/lti/jwks")
def jwks() -> Response:
    """The public keys (made when the first platform is registered; none before)."""
    return jsonify(keys.jwks())


def tool_urls() -> dict[str, str]:
    return {
        "login": url_for("lti.login", _external=True),
        "launch": url_for("lti.launch", _external=True),
        "deep_linking": url_for("lti.launch", _external=True),
        "jwks": url_for("lti.jwks", _external=True),
        "config": url_for("lti.canvas_config", _external=True),
    }


@bp.route("/lti/config.json")
def canvas_config() -> Response:
    """The tool's configuration in the JSON form Canvas's developer key page accepts."""
    urls = tool_urls()
    domain = urlsplit(urls["launch"]).netloc
    return jsonify(
        {
            "title": "Hustings",
            "description": "Close-reading quizzes for politics courses",
            "oidc_initiation_url": urls["login"],
            "target_link_uri": urls["launch"],
            "public_jwk_url": urls["jwks"],
            "scopes": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            ],
            "extensions": [
                {
                    "platform": "canvas.instructure.com",
                    "domain": domain,
                    "privacy_level": "public",
                    "settings": {
                        "placements": [
                            {
                                "placement": "assignment_selection",
                                "message_type": "LtiDeepLinkingRequest",
                                "target_link_uri": urls["deep_linking"],
                            },
                            {
                                "placement": "link_selection",
                                "message_type": "LtiDeepLinkingRequest",
                                "target_link_uri": urls["deep_linking"],
                            },
                        ]
                    },
                }
            ],
            "custom_fields": {},
        }
    )


# --- login and launch ----------------------------------------------------------------------


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> Any:
    """OIDC third-party initiated login: remember a state and a nonce, send the browser back."""
    ensure_write_transaction()
    storage = DatabaseLaunchStorage()
    forget_expired()
    oidc = HustingsOIDCLogin(FlaskRequest(), storage)
    try:
        redirect_obj = oidc.get_redirect_object(url_for("lti.launch", _external=True))
    except (OIDCException, LtiException) as exc:
        db.session.rollback()
        return _refused(
            f"The LMS's login request was refused: {exc}. If this LMS is new, ask your "
            "Hustings administrator to register it (issuer and client id).",
            400,
        )
    start_state_for_login(storage, redirect_obj.get_redirect_url())
    db.session.commit()
    return redirect_obj.do_redirect()


def _begin_session(user: User, frame_origins: list[str]) -> None:
    session.clear()  # a fresh session on login: nothing planted before it survives
    user.login_token = accounts.start_login_session(user)
    login_user(user)
    session.permanent = True
    session[FRAME_KEY] = frame_origins


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch() -> Any:
    storage = DatabaseLaunchStorage()
    message = HustingsMessageLaunch(FlaskRequest(), storage)
    try:
        message.validate()
        claims: dict[str, Any] = dict(message.get_launch_data())
        platform = message.platform
        deep_linking = message.is_deep_link_launch()
        if not deep_linking and not message.is_resource_launch():
            raise LaunchRefused("Hustings only opens resource links and deep linking requests.")
        launched = provision.provision(platform, claims, deep_linking=deep_linking)
    except (LaunchRefused, LtiException, provision.ProvisionError) as exc:
        db.session.rollback()
        message.burn()
        db.session.commit()
        status = exc.status if isinstance(exc, LaunchRefused) else 403
        text = exc.message if isinstance(exc, LaunchRefused) else str(exc)
        log.info("LTI launch refused: %s", text)
        return _refused(text, status)
    _begin_session(launched.user, platforms.frame_origins(platform))
    if deep_linking:
        session[DEEP_LINK_KEY] = {
            "launch": message.get_launch_id(),
            "context": launched.context.id,
        }
        db.session.commit()
        return redirect(url_for("lti.deep_link"))
    link = launched.link
    if link is None:
        link_claim = claims.get(provision.RESOURCE_LINK) or {}
        session[LINK_KEY] = {
            "context": launched.context.id,
            "link": provision.clean(link_claim.get("id"), 255),
            "title": provision.clean(link_claim.get("title"), 300),
        }
        db.session.commit()
        if launched.role == Role.INSTRUCTOR:
            return redirect(url_for("lti.choose_link"))
        return _refused(
            "Your instructor has not chosen a Hustings quiz for this link yet. Try again later.",
            409,
        )
    db.session.commit()
    if launched.role == Role.INSTRUCTOR:
        return redirect(url_for("builder.settings", quiz_id=link.quiz_id))
    return redirect(url_for("student.quiz", quiz_id=link.quiz_id))


# --- choosing quizzes: deep linking and unlinked placements --------------------------------


def _course_quizzes(course_id: int) -> list[tuple[Quiz, float]]:
    """The course's quizzes with their points possible (a handful of queries, not one per quiz)."""
    quizzes = list(
        db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.id))
    )
    columns = gradebook.quiz_columns(quizzes)
    return [(quiz, column.max_points) for quiz, column in zip(quizzes, columns, strict=True)]


def _picked_quizzes(course_id: int, multiple: bool) -> list[Quiz] | str:
    raw = request.form.getlist("quiz_id")
    if not raw:
        return "Choose a quiz."
    if len(raw) > 1 and not multiple:
        return "The LMS accepts one quiz here; choose one."
    chosen = []
    for value in raw:
        quiz = db.session.get(Quiz, int(value)) if value.isdigit() else None
        if quiz is None or quiz.course_id != course_id:
            return "Choose among this course's quizzes."
        if not grades.quiz_maximum(quiz):
            return f"“{quiz.title}” has no questions yet; add questions before placing it."
        chosen.append(quiz)
    return chosen


def _content_item(quiz: Quiz, launch_url: str) -> DeepLinkResource:
    return (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(quiz.title)
        .set_custom_params({provision.QUIZ_PARAM: str(quiz.id)})
        .set_lineitem(
            LineItem()
            .set_label(quiz.title)
            .set_score_maximum(grades.quiz_maximum(quiz))
            .set_resource_id(f"hustings-quiz-{quiz.id}")
            .set_tag("hustings")
        )
    )


@bp.route("/lti/deep-link", methods=["GET", "POST"])
def deep_link() -> Any:
    """The LMS's "add external tool" picker: choose quizzes, send them back signed."""
    if not current_user.is_authenticated:
        abort(401)
    state = session.get(DEEP_LINK_KEY)
    context = db.session.get(LtiContext, state["context"]) if state else None
    storage = DatabaseLaunchStorage()
    claims = storage.get_value(state["launch"]) if state else None
    if context is None or not claims:
        return _refused(
            "No request from the LMS to add a quiz is open (it may have expired). Start again "
            "from the LMS's “add external tool” picker.",
            400,
        )
    course = authz.course_for_instructor(context.course_id)
    settings = claims.get(DL_SETTINGS) or {}
    multiple = str(settings.get("accept_multiple", "false")).lower() == "true"
    form = CsrfForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        chosen = _picked_quizzes(course.id, multiple)
        if isinstance(chosen, str):
            error = chosen
        else:
            registration = platforms.registration_for(context.platform)
            deep = DeepLink(registration, claims[provision.DEPLOYMENT], settings)
            launch_url = url_for("lti.launch", _external=True)
            token = deep.get_response_jwt([_content_item(q, launch_url) for q in chosen])
            session.pop(DEEP_LINK_KEY, None)
            storage.take(state["launch"])
            db.session.commit()
            return_url = settings["deep_link_return_url"]
            page = make_response(
                render_template("lti/deep_link_return.html", return_url=return_url, jwt=token)
            )
            parts = urlsplit(return_url)
            base = current_app.extensions["hustings_lti"]["csp"]
            page.headers["Content-Security-Policy"] = csp_for(
                base,
                frame_origins=session.get(FRAME_KEY) or [],
                form_targets=(f"{parts.scheme}://{parts.netloc}",),
            )
            return page
    elif request.method == "POST":
        error = "Your form expired. Reload the page and try again."
    return render_template(
        "lti/pick.html",
        course=course,
        quizzes=_course_quizzes(course.id),
        multiple=multiple,
        form=form,
        error=error,
        action=url_for("lti.deep_link"),
        heading="Add Hustings quizzes to your LMS course",
    ), 400 if error else 200


@bp.route("/lti/link", methods=["GET", "POST"])
def choose_link() -> Any:
    """An LMS link that opens no quiz yet: the instructor chooses one of the course's."""
    if not current_user.is_authenticated:
        abort(401)
    state = session.get(LINK_KEY)
    context = db.session.get(LtiContext, state["context"]) if state else None
    if context is None:
        return _refused("No LMS link is waiting for a quiz. Open the link again from the LMS.", 400)
    course = authz.course_for_instructor(context.course_id)
    form = CsrfForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        chosen = _picked_quizzes(course.id, multiple=False)
        if isinstance(chosen, str):
            error = chosen
        else:
            link = provision.link_quiz(context, state["link"], chosen[0], state.get("title", ""))
            session.pop(LINK_KEY, None)
            db.session.commit()
            flash(f"The LMS link now opens “{chosen[0].title}”.", "info")
            return redirect(url_for("builder.settings", quiz_id=link.quiz_id))
    elif request.method == "POST":
        error = "Your form expired. Reload the page and try again."
    return render_template(
        "lti/pick.html",
        course=course,
        quizzes=_course_quizzes(course.id),
        multiple=False,
        form=form,
        error=error,
        action=url_for("lti.choose_link"),
        heading="Choose the quiz this LMS link opens",
    ), 400 if error else 200


# --- administration: platforms and keys ----------------------------------------------------


def _lti_admin() -> User:
    user = authz.library_instructor()
    admins = {e.strip().lower() for e in current_app.config.get("LTI_ADMINS", []) if e.strip()}
    if user.email.lower() not in admins:
        abort(404)
    return user


@bp.route("/lti/platforms", methods=["GET", "POST"])
def platforms_page() -> Any:
    _lti_admin()
    form = PlatformForm()
    status = 200
    if form.validate_on_submit():
        given = platforms.PlatformInput(
            name=form.name.data or "",
            issuer=form.issuer.data or "",
            client_id=form.client_id.data or "",
            login_url=form.login_url.data or "",
            token_url=form.token_url.data or "",
            jwks_url=form.jwks_url.data or "",
            deployment_ids=[form.deployment_ids.data or ""],
            frame_origins=form.frame_origins.data or "",
        )
        try:
            platform = platforms.register_platform(given)
        except platforms.RegistrationError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
            status = 400
        else:
            db.session.commit()
            flash(f"Registered {platform.name}.", "info")
            return redirect(url_for("lti.platforms_page"))
    elif request.method == "POST":
        status = 400
    rows = list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))
    return render_template(
        "lti/platforms.html",
        form=form,
        platforms=rows,
        urls=tool_urls(),
        keys=keys.published_keys(),
        rotate_form=CsrfForm(),
    ), status


@bp.route("/lti/keys/rotate", methods=["POST"])
def rotate_key() -> Response:
    _lti_admin()
    if not CsrfForm().validate_on_submit():
        abort(400)
    key = keys.rotate()
    db.session.commit()
    flash(f"Hustings now signs with key {key.kid}; the old key stays published for a week.", "info")
    return redirect(url_for("lti.platforms_page"))


# --- a course's LMS page -------------------------------------------------------------------


@bp.route("/teach/courses/<int:course_id>/lti")
def course(course_id: int) -> str:
    course = authz.course_for_instructor(course_id)
    contexts = list(db.session.scalars(select(LtiContext).where(LtiContext.course_id == course.id)))
    links = db.session.execute(
        select(LtiResourceLink, Quiz.title)
        .join(Quiz, Quiz.id == LtiResourceLink.quiz_id)
        .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
        .where(LtiContext.course_id == course.id)
        .order_by(LtiResourceLink.id)
    ).all()
    counts = dict(
        db.session.execute(
            select(LtiGradeSync.status, func.count())
            .join(LtiResourceLink, LtiResourceLink.id == LtiGradeSync.resource_link_id)
            .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
            .where(LtiContext.course_id == course.id)
            .group_by(LtiGradeSync.status)
        ).all()
    )
    failures = db.session.execute(
        select(LtiGradeSync, User.name, Quiz.title)
        .join(User, User.id == LtiGradeSync.user_id)
        .join(LtiResourceLink, LtiResourceLink.id == LtiGradeSync.resource_link_id)
        .join(Quiz, Quiz.id == LtiResourceLink.quiz_id)
        .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
        .where(LtiContext.course_id == course.id, LtiGradeSync.status == "failed")
        .order_by(LtiGradeSync.id)
        .limit(200)
    ).all()
    return render_template(
        "lti/course.html",
        course=course,
        contexts=contexts,
        links=links,
        counts=counts,
        failures=failures,
        form=CsrfForm(),
    )


@bp.route("/teach/courses/<int:course_id>/lti/roster", methods=["POST"])
def sync_roster(course_id: int) -> Response:
    course = authz.course_for_instructor(course_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    contexts = list(db.session.scalars(select(LtiContext).where(LtiContext.course_id == course.id)))
    if not contexts:
        flash(
            "This course is not linked to an LMS course yet: launch Hustings from it once.", "error"
        )
        return redirect(url_for("lti.course", course_id=course.id))
    for context in contexts:
        try:
            result = lti_roster.sync_roster(context)
        except lti_roster.RosterSyncError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("lti.course", course_id=course.id))
        flash(
            f"Roster of {context.title}: {result.students} student(s) and "
            f"{result.instructors} instructor(s) enrolled"
            + (
                f"; skipped {len(result.skipped)}: " + "; ".join(result.skipped[:10])
                if result.skipped
                else ""
            )
            + ".",
            "info",
        )
    db.session.commit()
    return redirect(url_for("lti.course", course_id=course.id))


@bp.route("/teach/courses/<int:course_id>/lti/retry", methods=["POST"])
def retry(course_id: int) -> Response:
    course = authz.course_for_instructor(course_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    ids = grades.retry_now(course.id)
    sent, failed = grades.send_due(ids=ids) if ids else (0, 0)
    db.session.commit()
    flash(f"Retried {len(ids)} grade(s): {sent} sent, {failed} still failing.", "info")
    return redirect(url_for("lti.course", course_id=course.id))
