"""Sign-up and the CLI refuse look-alike identities, and sign-up tells nobody which emails exist."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Enrolment, User


def _signup(client, course, **overrides):
    data = {
        "join_code": course.join_code,
        "name": "Amira Haddad",
        "email": "amira@example.test",
        "student_number": "S1",
        "password": "a long password",
        "confirm": "a long password",
        **overrides,
    }
    return client.post("/signup", data=data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "amira\u200b@example.test", "ZERO WIDTH SPACE"),
        ("email", "amira@example.test.", "cannot end with a period"),
        ("email", "-amira@example.test", "formula"),
        ("name", "Amira\x00Haddad", "NUL character"),
        ("name", "Amira\u202eHaddad", "right-to-left override"),
        ("student_number", "=S1", "formula"),
        ("student_number", "@S1", "formula"),
    ],
)
def test_signup_refuses_look_alike_identities(make, client, db, field, value, message):
    course = make.course()
    r = _signup(client, course, **{field: value})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.role == "student")) == 0
    )


def test_signup_answers_the_same_for_a_known_email(make, client, db):
    course = make.course()
    new = _signup(client, course, email="new@example.test")
    make.student(email="known@example.test")
    known = _signup(client, course, email="known@example.test")
    assert new.status_code == known.status_code == 302
    assert new.headers["Location"] == known.headers["Location"] == "/login"
    page_new = client.get("/login").get_data(as_text=True)  # flash of the second sign-up
    assert "If this email was new" in page_new
    # The new student is enrolled and can log in; the known account did not join.
    assert (
        client.post(
            "/login", data={"email": "new@example.test", "password": "a long password"}
        ).status_code
        == 302
    )
    known_user = db.session.scalar(select(User).where(User.email == "known@example.test"))
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == known_user.id)) is None


def test_signup_normalises_name_and_email(make, client, db):
    course = make.course()
    assert (
        _signup(client, course, email=" Amira@Example.TEST", name="Chloe\u0301  M").status_code
        == 302
    )
    user = db.session.scalar(select(User).where(User.role == "student"))
    assert (user.email, user.name) == ("amira@example.test", "Chloé M")


def test_cli_refuses_formula_student_ids_and_bad_emails(runner, db):
    base = ["users", "create", "--name", "X Y", "--password", "a long password"]
    r = runner.invoke(args=[*base, "--email", "x@example.test", "--student-id", "-123"])
    assert r.exit_code != 0 and "formula" in r.output
    r = runner.invoke(args=[*base, "--email", "x\u200b@example.test"])
    assert r.exit_code != 0 and "ZERO WIDTH SPACE" in r.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
