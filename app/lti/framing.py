"""Hustings inside an LMS iframe: the session cookie and the pages' frame-ancestors.

After a launch the session remembers which origins may frame it. Its cookie then goes out as
``SameSite=None; Secure; Partitioned`` (over HTTPS), the form a browser keeps for a third-party
frame, and every page allows exactly those origins in ``frame-ancestors`` instead of none.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface

FRAME_KEY = "lti_frame_origins"


def framed() -> bool:
    return bool(session.get(FRAME_KEY)) and request.is_secure


class FramedSessionInterface(SecureCookieSessionInterface):
    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if framed() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return True if framed() else super().get_cookie_partitioned(app)


def csp_for(base_csp: str, *, frame_origins: list[str], form_targets: tuple[str, ...] = ()) -> str:
    """``base_csp`` with frame-ancestors (and form-action targets) widened to the given origins."""
    parts = []
    for directive in base_csp.split(";"):
        name = directive.strip().split(" ", 1)[0]
        if name == "frame-ancestors" and frame_origins:
            directive = " frame-ancestors 'self' " + " ".join(frame_origins)
        elif name == "form-action" and form_targets:
            directive = " form-action 'self' " + " ".join(form_targets)
        parts.append(directive)
    return ";".join(parts)


def apply_headers(response: Any, base_csp: str) -> Any:
    """After each request: pages of a framed session may be framed by its platform."""
    origins = session.get(FRAME_KEY) if session else None
    headers = response.headers
    if origins and headers.get("Content-Security-Policy", base_csp) == base_csp:
        headers["Content-Security-Policy"] = csp_for(base_csp, frame_origins=origins)
        headers.pop("X-Frame-Options", None)  # frame-ancestors says who may frame
    return response
