"""Hustings: close-reading quizzes for politics courses."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, redirect, render_template, request, url_for
from flask.globals import request_ctx
from limits.errors import StorageError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import lti
from app.cli import register_cli
from app.config import INSTANCE, ROOT, Defaults, environment_overrides
from app.database import (
    configure_engine,
    declare_deferred_write,
    declare_write_intent,
    sqlite_engine_options,
)
from app.domain import passwords
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.services import mail
from app.web import BLUEPRINTS, links, question_pages, sessions
from app.web.input import (
    BAD_VALUE_MESSAGE,
    BadInput,
    BoundedIntConverter,
    Request,
    displayable_output,
    is_bad_value,
)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
NO_STORE_PREFIXES = ("/attempts/", "/teach/", "/account", "/login", "/courses/", "/quizzes/")


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: Path | None = None
) -> Flask:
    """Build the app: defaults, then instance/config.py, then environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_path=str(instance_path or INSTANCE),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.request_class = Request
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.finalize = displayable_output
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(environment_overrides(os.environ))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    _refuse_weak_secret_key(app)
    if app.debug:
        app.config["SESSION_COOKIE_SECURE"] = False
    sessions.host_only_cookie(app)
    if app.config.get("SECRET_KEY_FALLBACKS") and not app.config.get("WTF_CSRF_SECRET_KEY"):
        # Forms served before a key rotation must still submit: CSRF tokens are checked
        # against the old keys too, as Flask does for the session (newest key last, to sign).
        app.config["WTF_CSRF_SECRET_KEY"] = [
            *app.config["SECRET_KEY_FALLBACKS"],
            app.config["SECRET_KEY"],
        ]

    passwords.configure(
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_MEMORY_COST"],
        app.config["ARGON2_PARALLELISM"],
    )
    try:
        app.config["PUBLIC_URL"] = links.check_public_url(app.config.get("PUBLIC_URL"))
        mail.SmtpSettings.from_config(app.config)
    except ValueError as exc:
        raise RuntimeError(f"configuration: {exc}") from exc
    app.jinja_env.globals["external_url"] = links.external_url
    app.jinja_env.globals["has_public_url"] = links.has_public_url
    question_pages.install(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite_engine_options(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    sessions.register(app)  # before CSRF: a logged-out autosave hears 401, not a CSRF 400
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "hustings")
    limiter.init_app(app)

    _register_blueprints(app)
    lti.init_app(app, CSP)
    _register_request_hooks(app)
    _register_error_handlers(app)

    register_cli(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """Keep one random key per installation, so restarts don't log everyone out."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


MIN_SECRET_KEY_LENGTH = 32


def _refuse_weak_secret_key(app: Flask) -> None:
    """A short key can be guessed offline from one session cookie, and then any session
    forged: refuse it everywhere but tests, debug runs and ``hustings serve --demo``."""
    if app.testing or app.debug or os.environ.get("HUSTINGS_DEMO") == "1":
        return
    key = app.config["SECRET_KEY"]
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY is {len(key)} characters long; use at least {MIN_SECRET_KEY_LENGTH} "
            "random characters (python3 -c 'import secrets; print(secrets.token_hex(32))'), or "
            "unset it to use the key kept in instance/secret_key. See docs/deployment.md."
        )


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _write_intent() -> None:
        # State-changing requests take the SQLite write lock up front (see app.database).
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        view = app.view_functions.get(request.endpoint or "")
        late = writes and getattr(view, "defers_write_lock", False)
        declare_write_intent(writes and not late)
        declare_deferred_write(late)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["HSTS"] and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith(NO_STORE_PREFIXES) or g.get("no_store"):
            headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _reset_write_intent(_exc: BaseException | None) -> None:
        declare_write_intent(False)
        declare_deferred_write(False)


def _register_error_handlers(app: Flask) -> None:
    def render_error(
        status: int, title: str, message: str, reason: str | None = None
    ) -> tuple[str, int]:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            body = {"error": title, "message": message} | ({"reason": reason} if reason else {})
            return jsonify(body), status  # type: ignore[return-value]
        return render_template(
            "errors/error.html", status=status, title=title, message=message
        ), status

    messages = {
        400: ("Bad request", "The request could not be understood. Go back and try again."),
        401: ("Please log in", "You need to log in to see this page."),
        403: ("Not allowed", "You do not have access to this page."),
        404: ("Not found", "There is nothing here, or it is not yours to see."),
        405: ("Not allowed", "That action is not available here."),
        409: ("Conflict", "This changed in the meantime. Reload the page."),
        413: ("Too large", "The file or form is too large."),
        429: ("Too many attempts", "Too many attempts. Wait a few minutes and try again."),
    }

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if request_ctx.url_adapter is None:
            # A Host outside TRUSTED_HOSTS: no URL can be built, so no page with links either.
            return Response(f"{exc.code} {exc.name}\n", status=exc.code, mimetype="text/plain")
        if exc.code == 401 and not request.is_json:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        title, message = messages.get(exc.code or 500, (exc.name, exc.description or ""))
        reason = None
        if exc.code == 400 and exc.description and "CSRF" in exc.description:
            message = "Your form expired or was sent from elsewhere. Reload the page and try again."
            reason = "csrf"  # a page's script fetches a new token (auth.session_token)
        if isinstance(exc, BadInput):
            message = exc.description or message
        return render_error(exc.code or 500, title, message, reason)

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        db.session.rollback()
        if isinstance(exc, TimeoutError):
            # The client sent its request too slowly (``hustings serve --read-timeout``).
            log.warning("client too slow on %s %s", request.method, request.path)
            return render_error(
                408, "Too slow", "The request arrived too slowly. Check the connection."
            )
        if isinstance(exc, RedisError | StorageError):
            # The attempt counter (Flask-Limiter's storage) is unreachable: refuse clearly
            # rather than let an unlimited form through. Logging in and autosave never use it.
            log.error("attempt-limit storage unreachable on %s %s: %s", request.method,
                      request.path, exc)  # fmt: skip
            return render_error(
                503,
                "Service unavailable",
                "This form cannot be checked right now (the service that counts attempts is "
                "unreachable). Try again in a minute.",
            )
        if is_bad_value(exc):
            # A value the database refused (a NUL, a number beyond a column): the sender's to
            # fix, not an outage to retry.
            log.warning("refused a value on %s %s: %s", request.method, request.path, exc)
            return render_error(400, "Bad request", BAD_VALUE_MESSAGE)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, SQLAlchemyError):
            # The page must not touch the database again: the layout shows the logged-in user,
            # and loading (or refreshing) them would fail the same way and end in a bare 500.
            g._login_user = login_manager.anonymous_user()
            return render_error(
                503, "Service unavailable", "The database is unavailable. Try again in a moment."
            )
        return render_error(500, "Something went wrong", "The error has been logged.")
