"""Security headers on every page; error pages in the site's look, never a trace or debugger."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import select

from app import create_app
from app.extensions import db as ext_db
from app.models import Course

SCRIPT_INLINE = "'unsafe-inline'"


def test_security_headers_on_pages(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert SCRIPT_INLINE not in script_src and "'self'" in script_src
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP here


def test_hsts_when_served_over_https(client):
    r = client.get("/login", base_url="https://hustings.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_store_on_account_and_teaching_pages(make, client, login_as):
    teacher = make.instructor()
    login_as(teacher)
    assert client.get("/teach/").headers["Cache-Control"] == "no-store"
    assert client.get("/account/password").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(make, client):
    student = make.student()
    r = client.post("/login", data={"email": student.email, "password": "correct horse battery"})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_outside_development(tmp_path, monkeypatch):
    monkeypatch.delenv("HUSTINGS_INSECURE_COOKIES", raising=False)
    assert create_app({"SECRET_KEY": "x" * 32}, instance_path=tmp_path).config[
        "SESSION_COOKIE_SECURE"
    ]


def test_not_found_page_in_site_look(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert b"Not found" in r.data and b"Hustings" in r.data


def test_anonymous_is_sent_to_login_with_next(client):
    r = client.get("/teach/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=/teach/")


@pytest.fixture
def failing_app(app_config):
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/_boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.route("/_forbidden")
    def forbidden():
        abort(403)

    @app.route("/_limited")
    def limited():
        abort(429)

    @app.route("/_bad")
    def bad():
        abort(400)

    return app


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/_boom", 500, b"Something went wrong"),
        ("/_forbidden", 403, b"Not allowed"),
        ("/_limited", 429, b"Too many attempts"),
        ("/_bad", 400, b"Bad request"),
    ],
)
def test_error_pages_show_no_trace(failing_app, path, status, title):
    r = failing_app.test_client().get(path)
    assert r.status_code == status
    assert title in r.data
    assert b"hunter2" not in r.data and b"Traceback" not in r.data
    assert b"Werkzeug Debugger" not in r.data


def test_server_error_rolls_back(failing_app, db, make):
    """A 500 rolls back the request's transaction: nothing it wrote survives."""
    teacher = make.instructor()

    @failing_app.route("/_half_write")
    def half_write():
        ext_db.session.add(Course(title="half written", join_code="HALFWRIT"))
        ext_db.session.flush()
        raise RuntimeError("boom after a write")

    assert failing_app.test_client().get("/_half_write").status_code == 500
    db.session.rollback()
    assert db.session.scalar(select(Course).where(Course.join_code == "HALFWRIT")) is None
    assert teacher.id
