"""Absolute links for emails and pages, built from the configured PUBLIC_URL.

Never from the request's ``Host`` header: a link to ``http://evil.example/…`` built from a
forged header and handed to students (or emailed with a reset token) is a phishing kit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask.globals import request_ctx


class PublicUrlError(ValueError):
    """PUBLIC_URL is not an http(s) address."""


def check_public_url(value: str | None) -> str | None:
    """The configured PUBLIC_URL without a trailing slash, or :class:`PublicUrlError`."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise PublicUrlError(
            f"PUBLIC_URL={value!r} must be the site's address, like https://quiz.example.ac.uk"
        )
    return value.rstrip("/")


def has_public_url() -> bool:
    return bool(current_app.config.get("PUBLIC_URL"))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint`` under PUBLIC_URL.

    Without PUBLIC_URL: under the request's host only when TRUSTED_HOSTS restricts it, else a
    path (the page shows it with a note to set PUBLIC_URL).
    """
    base = current_app.config.get("PUBLIC_URL")
    if base:
        parts = urlsplit(base)
        adapter = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
        return adapter.build(endpoint, values, force_external=True)
    if current_app.config.get("TRUSTED_HOSTS") and request_ctx:
        return request.host_url.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, **values)
