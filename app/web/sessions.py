"""Login sessions: ending them (everywhere, or a student's by their instructor), and the rules
that keep a student's session alive and their answers safe while they take a quiz.

Every login is a ``LoginSession`` row (see ``app.services.accounts``); the signed cookie holds only
its
token, so ending the row ends the session at once on every worker. A page that saves answers in
the background must hear "you are logged out" as such — a 401 in JSON, answered before the CSRF
check (whose 400 the page would take as "this answer is refused") — so it keeps the answers and
sends them once the student has logged in again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, jsonify, request, session, url_for
from flask_login import current_user
from sqlalchemy import update

from app.extensions import db
from app.models import LoginSession, utcnow

F = TypeVar("F", bound=Callable[..., Any])

# Logins, failed and throttled logins and ended sessions, one grep-able line each.
log = logging.getLogger("hustings.auth")

LOGGED_OUT_MESSAGE = (
    "You are logged out, so your latest answers are not saved on the server yet. Log in again "
    "in another tab (keep this page open): they are kept here and sent once you are back."
)


def json_endpoint(view: F) -> F:
    """Mark a background (fetch) endpoint: a request without a live session gets a 401 JSON
    reply before anything else looks at it."""
    view.json_endpoint = True  # type: ignore[attr-defined]
    return view


def keeps_session_alive(view: F) -> F:
    """Mark a view whose use renews the session cookie's lifetime (the attempt page and its
    autosave): a long exam must not end with the 12-hour session it started in."""
    view.keeps_session_alive = True  # type: ignore[attr-defined]
    return view


def register(app: Flask) -> None:
    """Install the hooks; call before ``csrf.init_app`` so the 401 comes before CSRF."""

    @app.before_request
    def _logged_out_json() -> Any:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "json_endpoint", False) and not current_user.is_authenticated:
            return jsonify(
                error="logged_out", message=LOGGED_OUT_MESSAGE, login_url=url_for("auth.login")
            ), 401
        return None

    @app.after_request
    def _renew_cookie(response: Any) -> Any:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "keeps_session_alive", False) and current_user.is_authenticated:
            session.permanent = True
            session.modified = True  # re-signed: valid for another PERMANENT_SESSION_LIFETIME
        return response


def host_only_cookie(app: Flask) -> None:
    """Over HTTPS (Secure cookies) the session cookie gets the ``__Host-`` prefix: browsers then
    refuse it unless Secure, for this host only and path ``/``, so a sibling subdomain or a
    plain-HTTP page cannot plant or overwrite it."""
    secure = app.config["SESSION_COOKIE_SECURE"] and not app.testing
    name = app.config["SESSION_COOKIE_NAME"]
    if secure and not app.config.get("SESSION_COOKIE_DOMAIN") and not name.startswith("__Host-"):
        app.config["SESSION_COOKIE_NAME"] = "__Host-" + name
        app.config["SESSION_COOKIE_PATH"] = "/"
    elif not secure and name.startswith("__Host-"):
        app.config["SESSION_COOKIE_NAME"] = name.removeprefix("__Host-")


def end_all_sessions(user_id: int) -> int:
    """End every open login of a user (all devices, this one included); the number ended."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
