"""The CLI through Click's runner: users, demo, schema upgrade."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Attempt, Course, Enrolment, Question, User
from app.services.demo import DEMO_PASSWORD


def test_create_instructor(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--instructor",
            "--email",
            "Prof@Example.test",
            "--name",
            "Prof X",
            "--password",
            "a long password",
        ],
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "prof@example.test"))
    assert user.role == "instructor" and user.password_hash.startswith("$argon2id$")


def test_create_user_refuses_duplicates_and_short_passwords(runner, make):
    make.student(email="taken@example.test")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "TAKEN@example.test",
            "--name",
            "X",
            "--password",
            "a long password",
        ],
    )
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "new@example.test",
            "--name",
            "X",
            "--password",
            "short",
        ],
    )
    assert result.exit_code != 0 and "10 to" in result.output


def test_password_is_prompted_when_not_given(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.test", "--name", "P"],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output


def _counts(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Course, Enrolment, Question, Attempt)
    )


def test_demo_is_idempotent_and_prints_logins(runner, db, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "instructor@demo.hustings.test" in first.output and DEMO_PASSWORD in first.output
    counts = _counts(db)
    assert counts[3] >= 90  # every question of the shipped banks
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts(db) == counts
