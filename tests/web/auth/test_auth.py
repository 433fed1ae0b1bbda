"""Login, logout, sign-up, password change, and the attacks on them."""

from __future__ import annotations

import time

import pytest
import redis
from sqlalchemy import select

from app import create_app
from app.models import Enrolment, LoginSession, User
from tests.support.config import TEST_CONFIG
from tests.support.factories import PASSWORD


def test_login_success_redirects_home(make, client):
    student = make.student()
    r = client.post("/login", data={"email": student.email, "password": PASSWORD})
    assert r.status_code == 302
    assert r.headers["Location"] == "/courses/"


def test_wrong_password_is_refused_with_one_message(make, client):
    student = make.student()
    r = client.post("/login", data={"email": student.email, "password": "wrong password"})
    assert r.status_code == 401
    assert b"Email or password is wrong." in r.data
    r = client.post("/login", data={"email": "nobody@example.test", "password": "wrong password"})
    assert r.status_code == 401
    assert b"Email or password is wrong." in r.data


@pytest.mark.parametrize(
    "typed",
    ["  USER@Example.TEST ", "ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｔｅｓｔ", "User@example.test"],
)
def test_email_is_canonicalised(make, client, typed):
    make.student(email="user@example.test")
    r = client.post("/login", data={"email": typed, "password": PASSWORD})
    assert r.status_code == 302


def test_look_alike_email_cannot_sign_up_twice(make, client, db):
    course = make.course()
    owner = make.student(email="user@example.test")
    password_hash = owner.password_hash
    r = client.post(
        "/signup",
        data={
            "join_code": course.join_code,
            "name": "Imposter",
            "email": "USER@EXAMPLE.TEST",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    # The same answer as for a new email (sign-up must not reveal which emails exist) ...
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    # ... and nothing changed: the account keeps its password and joins no course.
    db.session.refresh(owner)
    assert owner.password_hash == password_hash
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == owner.id)) is None


def test_over_long_password_is_rejected_fast(make, client):
    student = make.student()
    started = time.perf_counter()
    r = client.post("/login", data={"email": student.email, "password": "x" * 1_000_000})
    assert r.status_code in (400, 401, 413)
    assert time.perf_counter() - started < 1.0


def test_logout_kills_a_copied_cookie(make, client, web_app, login_as):
    student = make.student()
    login_as(student)
    stolen = client.get_cookie("hustings_session").value
    assert client.get("/courses/").status_code == 200
    client.post("/logout")
    thief = web_app.test_client()
    thief.set_cookie("hustings_session", stolen)
    r = thief.get("/courses/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_password_change_kills_other_sessions(make, web_app, login_as):
    student = make.student()
    laptop, phone = web_app.test_client(), web_app.test_client()
    login_as(student, c=laptop)
    login_as(student, c=phone)
    r = laptop.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert r.status_code == 302
    assert laptop.get("/courses/").status_code == 200  # the session that changed it goes on
    r = phone.get("/courses/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_new_session_on_login(make, client, login_as, db):
    """Session fixation: whatever session existed before login is replaced."""
    student = make.student()
    with client.session_transaction() as s:
        s["planted"] = "by attacker"
    login_as(student)
    with client.session_transaction() as s:
        assert "planted" not in s
    assert db.session.scalar(select(LoginSession).where(LoginSession.user_id == student.id))


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "https:evil.example",
        "https://evil.example/",
        "/%09/evil.example",
        "\t//evil.example",
        "///evil.example",
    ],
)
def test_open_redirect_vectors_are_refused(make, client, target):
    student = make.student()
    r = client.post("/login", data={"email": student.email, "password": PASSWORD, "next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/courses/"


def test_same_site_next_is_followed(make, client):
    student = make.student()
    r = client.post(
        "/login", data={"email": student.email, "password": PASSWORD, "next": "/courses/?x=1"}
    )
    assert r.headers["Location"] == "/courses/?x=1"


def test_login_throttled_per_account(make, client):
    student = make.student()
    for _ in range(5):
        assert (
            client.post("/login", data={"email": student.email, "password": "wrong"}).status_code
            == 401
        )
    r = client.post("/login", data={"email": student.email, "password": PASSWORD})
    assert r.status_code == 429
    # another account from the same address is not locked by this one
    other = make.student()
    assert (
        client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302
    )


def test_login_throttled_per_ip_across_accounts(make, app_config):
    """The per-address ceiling (300 failures per 5 minutes by default; 20 here) stops one
    machine trying many accounts."""
    client = create_app({**app_config, "LOGIN_FAILURES_PER_ADDRESS": 20}).test_client()
    for i in range(20):
        client.post("/login", data={"email": f"guess{i}@example.test", "password": "wrong"})
    student = make.student()
    assert (
        client.post("/login", data={"email": student.email, "password": PASSWORD}).status_code
        == 429
    )


def test_forwarded_for_is_ignored_without_trusted_proxies(make, client):
    student = make.student()
    for i in range(6):
        client.post(
            "/login",
            data={"email": student.email, "password": "wrong"},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        )
    r = client.post(
        "/login",
        data={"email": student.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "10.0.0.99"},
    )
    assert r.status_code == 429


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is not reachable and CI=true")
        pytest.skip("Redis not reachable")
    return client


def test_login_limit_shared_across_workers_through_redis(app, make):
    """Two app processes (workers) sharing Redis share one limit."""
    _redis_or_skip().flushdb()  # db 15 is the tests' own; the limiter's key prefix is global
    student = make.student()
    config = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    }
    worker_a = create_app(config).test_client()
    worker_b = create_app(config).test_client()
    for i in range(5):
        w = worker_a if i % 2 else worker_b
        assert (
            w.post("/login", data={"email": student.email, "password": "wrong"}).status_code == 401
        )
    assert (
        worker_a.post("/login", data={"email": student.email, "password": PASSWORD}).status_code
        == 429
    )
    assert (
        worker_b.post("/login", data={"email": student.email, "password": PASSWORD}).status_code
        == 429
    )


def test_csrf_token_required_on_login_and_logout(make, app):
    student = make.student()
    csrf_app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
        }
    )
    c = csrf_app.test_client()
    r = c.post("/login", data={"email": student.email, "password": PASSWORD})
    assert r.status_code == 400
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = c.post("/login", data={"email": student.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert c.post("/logout").status_code == 400  # no token: still logged in
    assert c.get("/courses/").status_code == 200


def test_signup_with_join_code_enrols(make, client, db):
    course = make.course()
    r = client.post(
        "/signup",
        data={
            "join_code": course.join_code.lower(),
            "name": "Nia Jones",
            "email": "nia@example.test",
            "student_number": "",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nia@example.test"))
    assert user.role == "student" and user.password_hash.startswith("$argon2id$")
    assert (
        db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id)).course_id
        == course.id
    )


def test_signup_with_wrong_join_code_says_so(client):
    r = client.post(
        "/signup",
        data={
            "join_code": "NOPE",
            "name": "X",
            "email": "x@example.test",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert r.status_code == 400 and b"No course has this join code" in r.data


def test_roster_account_claim_needs_the_student_id(make, client, db, login_as):
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    import io

    client.post(
        f"/teach/courses/{course.id}/roster",
        data={
            "file": (io.BytesIO(b"name,email,student id\nRo Ster,ro@example.test,S777\n"), "r.csv")
        },
        content_type="multipart/form-data",
    )
    client.post("/logout")
    form = {
        "join_code": course.join_code,
        "name": "Ro",
        "email": "ro@example.test",
        "password": "a long password",
        "confirm": "a long password",
    }
    wrong = client.post("/signup", data={**form, "student_number": "S000"})
    assert wrong.status_code == 302  # the same answer as every sign-up ...
    ro = db.session.scalar(select(User).where(User.email == "ro@example.test"))
    assert ro.password_hash is None  # ... but the account was not claimed
    assert client.post("/signup", data={**form, "student_number": "S777"}).status_code == 302
    db.session.refresh(ro)
    assert ro.password_hash is not None
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == ro.id)) is not None


def test_instructor_cannot_sign_up(client, make):
    course = make.course()
    r = client.post(
        "/signup",
        data={
            "join_code": course.join_code,
            "name": "I",
            "email": "x@example.test",
            "password": "short",
            "confirm": "short",
        },
    )
    assert r.status_code == 400  # too short a password
    assert b"Use 10 to" in r.data
