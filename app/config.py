"""Configuration: defaults here, then ``instance/config.py``, then the environment.

The environment wins so that one image can be deployed anywhere by setting variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class Defaults:
    """Settings for the embedded default: SQLite in ``instance/``, limits in memory."""

    SECRET_KEY: str | None = None  # generated into instance/ on first start when unset
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'hustings.sqlite'}"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins (app.services.login_throttle, in the database): per account and address, a
    # generous
    # ceiling per address (a lab behind one address), and slowing, not locking, an account.
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    LOGIN_FAILURES_PER_ADDRESS = 300
    LOGIN_FAILURE_WINDOW_SECONDS = 300
    LOGIN_SLOW_ACCOUNT_AFTER = 10
    LOGIN_SLOW_MAX_SECONDS = 30
    # How many proxies in front of the app may set X-Forwarded-For/-Proto/-Host; 0 trusts none.
    TRUSTED_PROXIES = 0
    # The address students use, e.g. https://quiz.example.ac.uk: links in emails and on the
    # roster page are built from it, never from the request's Host header.
    PUBLIC_URL: str | None = None
    # Host names the app answers to (Flask refuses others with 400); None accepts any.
    TRUSTED_HOSTS: list[str] | None = None
    # Outgoing mail (password resets, invitations); without SMTP_HOST no mail is sent and
    # instructors hand out links instead.
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_SECURITY = "starttls"  # starttls, ssl, or none (a relay on the same machine)
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    MAIL_FROM: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "hustings_session"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # The cookie is signed once at login and lasts 12 hours from then; re-signing it on every
    # request cost more than a third of a hello world. The login itself is checked server-side
    # (app.services.accounts) on each request, so logout and password changes still end it at once.
    SESSION_REFRESH_EACH_REQUEST = False
    # CSRF tokens live as long as the session: a long exam's final submit must not fail.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # Seconds after the deadline during which answers still in flight are accepted.
    ATTEMPT_GRACE_SECONDS = 60
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2
    QUESTION_BANKS = str(ROOT / "question_banks")
    HSTS = True
    # Instructors (by email) who may register LMS platforms on the LTI page.
    LTI_ADMINS: ClassVar[list[str]] = []


def environment_overrides(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Map environment variables onto config keys (the last and strongest layer)."""
    out: dict[str, Any] = {}
    url = environ.get("DATABASE_URL")
    if url:
        out["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if environ.get("SECRET_KEY"):
        out["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("REDIS_URL"):
        out["REDIS_URL"] = environ["REDIS_URL"]
        out["RATELIMIT_STORAGE_URI"] = environ["REDIS_URL"]
        # A hung or unreachable Redis must not hold a worker for long.
        out["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    if environ.get("SECRET_KEY_FALLBACKS"):
        # Older keys, comma-separated: sessions and forms signed with them stay valid while
        # the key is rotated (docs/deployment.md).
        out["SECRET_KEY_FALLBACKS"] = [
            k.strip() for k in environ["SECRET_KEY_FALLBACKS"].split(",") if k.strip()
        ]
    if environ.get("TRUSTED_PROXIES"):
        out["TRUSTED_PROXIES"] = int(environ["TRUSTED_PROXIES"])
    if environ.get("HUSTINGS_LTI_ADMINS"):
        out["LTI_ADMINS"] = [e.strip() for e in environ["HUSTINGS_LTI_ADMINS"].split(",")]
    if environ.get("PUBLIC_URL"):
        out["PUBLIC_URL"] = environ["PUBLIC_URL"]
    if environ.get("TRUSTED_HOSTS"):
        out["TRUSTED_HOSTS"] = [h.strip() for h in environ["TRUSTED_HOSTS"].split(",") if h.strip()]
    for name in ("SMTP_HOST", "SMTP_SECURITY", "SMTP_USERNAME", "SMTP_PASSWORD", "MAIL_FROM"):
        if environ.get(name):
            out[name] = environ[name]
    if environ.get("SMTP_PORT"):
        out["SMTP_PORT"] = int(environ["SMTP_PORT"])
    if environ.get("HUSTINGS_INSECURE_COOKIES") == "1":
        out["SESSION_COOKIE_SECURE"] = False
    # Cheap hashing for test servers and load tests (never set these in production).
    if environ.get("HUSTINGS_ARGON2_TIME_COST"):
        out["ARGON2_TIME_COST"] = int(environ["HUSTINGS_ARGON2_TIME_COST"])
    if environ.get("HUSTINGS_ARGON2_MEMORY_COST"):
        out["ARGON2_MEMORY_COST"] = int(environ["HUSTINGS_ARGON2_MEMORY_COST"])
    if environ.get("HUSTINGS_ARGON2_PARALLELISM"):
        out["ARGON2_PARALLELISM"] = int(environ["HUSTINGS_ARGON2_PARALLELISM"])
    return out


def normalise_database_url(url: str) -> str:
    """Let people paste the usual ``postgres://`` URLs; we always talk psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
