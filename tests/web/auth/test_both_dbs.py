"""The accounts paths on SQLite and PostgreSQL: a NUL once gave 503 on PostgreSQL only."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.models import Enrolment, Invitation, User
from app.services import accounts

pytestmark = pytest.mark.both_dbs


def test_a_nul_in_a_name_is_refused_on_both_databases(make, client, db, backend):
    course = make.course()
    r = client.post(
        "/signup",
        data={
            "join_code": course.join_code,
            "name": "Amira\x00Haddad",
            "email": "amira@example.test",
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert r.status_code == 400 and "NUL character" in r.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.role == "student")) == 0
    )


def test_invite_accept_and_reset_on_both_databases(make, client, login_as, web_app, db, backend):
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student(email="s@example.test")
    login_as(teacher)
    r = client.post(
        f"/teach/courses/{course.id}/roster",
        data={
            "file": (io.BytesIO(b"name,email\nS,s@example.test\nN\x00,n@example.test\n"), "r.csv")
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "line 3: the name contains a NUL" in r.get_data(as_text=True)
    other = web_app.test_client()
    login_as(student, c=other)
    invitation = db.session.scalar(select(Invitation))
    other.post("/courses/invitations", data={"invitation_id": invitation.id, "action": "accept"})
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == student.id))
    token = accounts.issue_password_reset(student, "instructor", issued_by=teacher)
    db.session.commit()
    r = web_app.test_client().post(
        f"/account/reset/{token}", data={"password": "a new long one", "confirm": "a new long one"}
    )
    assert r.status_code == 302
    assert other.get("/courses/").status_code == 302  # the old session ended
