"""The invitation and recovery flows in headless Chromium against a live server (CSRF on)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db as _db
from app.models import Enrolment, User
from tests.support.browser import LiveServer, run_axe
from tests.support.config import TEST_CONFIG
from tests.support.gunicorn import HOST
from tests.support.mail import PUBLIC_URL, Mailbox

pytestmark = pytest.mark.browser

NEW = "a brand new password"


@pytest.fixture
def mail_live_server(tmp_path: Path, smtp: Mailbox) -> Iterator[LiveServer]:
    """A live server that sends mail to the test SMTP server (links name PUBLIC_URL)."""
    app = create_app(
        {
            **TEST_CONFIG,
            "TESTING": False,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}",
            "SMTP_HOST": HOST,
            "SMTP_PORT": smtp.port,
            "SMTP_SECURITY": "none",
            "MAIL_FROM": "quiz@example.test",
            "PUBLIC_URL": PUBLIC_URL,
        }
    )
    with app.app_context():
        _db.create_all()
        server = LiveServer(app)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            _db.session.remove()
            _db.engine.dispose()


def _fresh(live: LiveServer) -> None:
    live.db.session.rollback()
    live.db.session.expire_all()


def _import_roster(page: Any, live: LiveServer, course: Any, tmp_path: Path, text: str) -> None:
    csv = tmp_path / "roster.csv"
    csv.write_text(text)
    page.goto(f"{live.url}/teach/courses/{course.id}/roster")
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="Import roster").click()
    page.wait_for_load_state()


def test_handed_out_invitation_link_and_login_invitation(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    live = live_server
    teacher = live.make.instructor()
    course = live.make.course(teacher, title="Politics 204")
    existing = live.make.student(email="old@example.test")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        live.login(page, teacher)
        _import_roster(
            page,
            live,
            course,
            tmp_path,
            "name,email,student id\nNia Jones,nia@example.test,S7\nOld,old@example.test,S8\n",
        )
        assert "2 student(s) invited" in page.content()
        assert page.get_by_role("heading", name="How students get in").is_visible()
        assert run_axe(page) == []
        page.get_by_role("button", name="Get link for Nia Jones").click()
        link = page.locator(".issued-link code").inner_text()
        assert link.startswith("/invitation/")  # the live server has no PUBLIC_URL
        assert run_axe(page) == []
    finally:
        context.close()

    # The new student opens the link, chooses a password and lands in the course.
    student = browser.new_context(bypass_csp=True)
    page = student.new_page()
    try:
        page.goto(live.url + link)
        assert run_axe(page) == []
        page.fill("input[name=password]", NEW)
        page.fill("input[name=confirm]", NEW)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(f"{live.url}/courses/{course.id}")
        assert "You are enrolled in Politics 204" in page.content()
    finally:
        student.close()

    # The student who already had an account accepts after logging in.
    old = browser.new_context(bypass_csp=True)
    page = old.new_page()
    try:
        live.login(page, existing)
        assert page.url.endswith("/courses/")
        assert "Course invitations" in page.content()
        assert run_axe(page) == []
        page.get_by_role("button", name="Accept").click()
        page.wait_for_url(f"{live.url}/courses/{course.id}")
    finally:
        old.close()
    _fresh(live)
    enrolled = set(
        live.db.session.scalars(
            select(User.email).join(Enrolment).where(Enrolment.course_id == course.id)
        )
    )
    assert enrolled == {teacher.email, "nia@example.test", "old@example.test"}


def test_instructor_reset_link_in_the_browser(live_server: LiveServer, browser: Any) -> None:
    live = live_server
    teacher = live.make.instructor()
    course = live.make.course(teacher)
    student = live.make.student(name="Ben Okafor")
    live.make.enrol(course, student)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        live.login(page, teacher)
        page.goto(f"{live.url}/teach/courses/{course.id}/roster")
        page.get_by_role("button", name="Reset link for Ben Okafor").click()
        link = page.locator(".issued-link code").inner_text()
        assert "works once, for 24 hours" in page.content()
    finally:
        context.close()
    other = browser.new_context(bypass_csp=True)
    page = other.new_page()
    try:
        page.goto(live.url + link)
        assert run_axe(page) == []
        page.fill("input[name=password]", NEW)
        page.fill("input[name=confirm]", NEW)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(re.compile(r".*/login$"))
        live.login(page, student, NEW)
        assert page.url.endswith("/courses/")
    finally:
        other.close()


def test_forgot_password_by_email_in_the_browser(
    mail_live_server: LiveServer, browser: Any, smtp: Mailbox
) -> None:
    live = mail_live_server
    student = live.make.student(email="amira@example.test")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live.url + "/login")
        page.get_by_role("link", name="Forgot your password?").click()
        assert run_axe(page) == []
        page.fill("input[name=email]", "amira@example.test")
        page.get_by_role("button", name="Send me a reset link").click()
        page.wait_for_url(re.compile(r".*/login$"))
        assert "If an account has this email" in page.content()
        link = smtp.link(smtp.wait(1)[0])
        # The emailed link names PUBLIC_URL; open the same path on the live server.
        page.goto(live.url + link[len(PUBLIC_URL) :])
        page.fill("input[name=password]", NEW)
        page.fill("input[name=confirm]", NEW)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url(re.compile(r".*/login$"))
        live.login(page, student, NEW)
        assert page.url.endswith("/courses/")
    finally:
        context.close()
