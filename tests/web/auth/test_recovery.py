"""Account recovery: instructor-issued links and email resets through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import LoginSession, PasswordReset, utcnow
from app.services import accounts
from tests.support.factories import PASSWORD
from tests.support.mail import PUBLIC_URL

NEW = "a brand new password"


def _reset_link_from_roster(client, course, student) -> str:
    r = client.post(f"/teach/courses/{course.id}/roster/reset-link", data={"user_id": student.id})
    assert r.status_code == 200, r.status_code
    page = r.get_data(as_text=True)
    start = page.index("/account/reset/")
    return page[start : page.index("<", start)]


def _set_password(client, link: str, password: str = NEW):
    return client.post(link, data={"password": password, "confirm": password})


def test_instructor_reset_link_sets_a_password_once_and_ends_sessions(
    make, client, login_as, web_app, db
):
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    their_laptop = web_app.test_client()
    login_as(student, c=their_laptop)
    login_as(teacher)
    link = _reset_link_from_roster(client, course, student)
    assert link.startswith("/account/reset/")  # no PUBLIC_URL here: a path
    stranger = web_app.test_client()
    assert "Choose a new password" in stranger.get(link).get_data(as_text=True)
    r = _set_password(stranger, link)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    # The old password is gone, the new one works, the old session ended.
    assert (
        stranger.post("/login", data={"email": student.email, "password": PASSWORD}).status_code
        == 401
    )
    assert their_laptop.get("/courses/").status_code == 302
    assert (
        stranger.post("/login", data={"email": student.email, "password": NEW}).status_code == 302
    )
    # Single use.
    assert web_app.test_client().get(link).status_code == 404
    assert _set_password(web_app.test_client(), link, "another new password").status_code == 404
    reset = db.session.scalar(select(PasswordReset))
    assert (reset.channel, reset.issued_by_id) == ("instructor", teacher.id)
    assert len(reset.token_hash) == 64 and reset.token_hash not in link  # only a hash is stored


def test_reset_links_are_only_for_students_of_the_instructors_course(make, client, login_as, db):
    teacher = make.instructor()
    course = make.course(teacher)
    outsider = make.student()
    make.enrol(make.course(), outsider)
    login_as(teacher)
    r = client.post(f"/teach/courses/{course.id}/roster/reset-link", data={"user_id": outsider.id})
    assert r.status_code == 400 and "Choose a student of this course" in r.get_data(as_text=True)
    r = client.post(f"/teach/courses/{course.id}/roster/reset-link", data={"user_id": teacher.id})
    assert r.status_code == 400
    other_course = make.course()
    r = client.post(
        f"/teach/courses/{other_course.id}/roster/reset-link", data={"user_id": outsider.id}
    )
    assert r.status_code == 404
    assert db.session.scalar(select(PasswordReset)) is None


def test_reset_links_expire_and_a_new_one_replaces_the_old(make, db):
    student = make.student()
    first = accounts.issue_password_reset(student, "email")
    second = accounts.issue_password_reset(student, "email")
    assert accounts.reset_for_token(first) is None
    assert accounts.reset_for_token(second) is not None
    assert accounts.reset_for_token(second, utcnow() + timedelta(minutes=61)) is None
    assert accounts.reset_for_token("x" * 500) is None


def test_reset_links_are_rate_limited_per_account(make, client, login_as):
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    login_as(teacher)
    for _ in range(accounts.RESETS_PER_HOUR):
        _reset_link_from_roster(client, course, student)
    r = client.post(f"/teach/courses/{course.id}/roster/reset-link", data={"user_id": student.id})
    assert r.status_code == 429 and "try again later" in r.get_data(as_text=True)


def test_without_smtp_the_forgot_page_points_to_the_instructor(client):
    page = client.get("/account/forgot").get_data(as_text=True)
    assert "does not send email" in page and "Reset link" not in page


def test_email_reset_through_a_real_smtp_server(make, mail_app, smtp, db):
    student = make.student(email="amira@example.test")
    client = mail_app.test_client()
    known = client.post("/account/forgot", data={"email": "Amira@Example.TEST"})
    unknown = client.post("/account/forgot", data={"email": "nobody@example.test"})
    # The same answer for a known and an unknown email.
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    messages = smtp.wait(1)
    assert [m["To"] for m in messages] == ["amira@example.test"]
    assert messages[0]["From"] == "quiz@example.test"
    link = smtp.link(messages[0])
    assert link.startswith(PUBLIC_URL + "/account/reset/")
    path = link[len(PUBLIC_URL) :]
    assert _set_password(client, path).status_code == 302
    assert client.post("/login", data={"email": student.email, "password": NEW}).status_code == 302
    assert client.get(path).status_code == 404  # used


def test_email_resets_stop_after_the_hourly_limit_and_the_answer_stays_the_same(
    make, mail_app, smtp
):
    make.student(email="amira@example.test")
    client = mail_app.test_client()
    answers = {
        client.post("/account/forgot", data={"email": "amira@example.test"}).status_code
        for _ in range(accounts.RESETS_PER_HOUR + 1)
    }
    assert answers == {302}
    assert len(smtp.to("amira@example.test")) == accounts.RESETS_PER_HOUR


def test_reset_link_with_a_forged_host_still_points_to_public_url(make, mail_app, smtp):
    make.student(email="amira@example.test")
    mail_app.test_client().post(
        "/account/forgot", data={"email": "amira@example.test"}, headers={"Host": "evil.example"}
    )
    body = smtp.wait(1)[0].get_payload(decode=True).decode()
    assert "evil.example" not in body and PUBLIC_URL + "/account/reset/" in body


def test_signup_with_an_existing_email_tells_its_owner(make, mail_app, smtp, db):
    course = make.course()
    owner = make.student(email="amira@example.test")
    r = mail_app.test_client().post(
        "/signup",
        data={
            "join_code": course.join_code,
            "name": "Someone",
            "email": "amira@example.test",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    messages = smtp.wait(1)
    assert [m["To"] for m in messages] == [owner.email]
    assert "already has a Hustings account" in messages[0].get_payload(decode=True).decode()
    assert db.session.scalar(select(LoginSession)) is None
