"""Invitation links: handed out by the instructor, or emailed when SMTP is configured."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.models import Enrolment, Invitation, User
from tests.support.mail import PUBLIC_URL


def _upload(client, course, text: str):
    return client.post(
        f"/teach/courses/{course.id}/roster",
        data={"file": (io.BytesIO(text.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )


def _link_for(client, course, invitation) -> str:
    r = client.post(
        f"/teach/courses/{course.id}/roster/invitation-link",
        data={"invitation_id": invitation.id},
    )
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    start = page.index("/invitation/")
    return page[start : page.index("<", start)]


def test_a_new_student_sets_a_password_through_the_handed_out_link(
    make, client, login_as, web_app, db
):
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    _upload(client, course, "name,email,student id\nNia Jones,nia@example.test,S7\n")
    invitation = db.session.scalar(select(Invitation))
    first = _link_for(client, course, invitation)
    link = _link_for(client, course, invitation)  # a new link replaces the first
    student = web_app.test_client()
    assert student.get(first).status_code == 404
    page = student.get(link).get_data(as_text=True)
    assert "Choose a password" in page and "nia@example.test" in page
    r = student.post(link, data={"password": "a long password", "confirm": "a long password"})
    assert r.status_code == 302 and r.headers["Location"] == f"/courses/{course.id}"
    assert student.get(f"/courses/{course.id}").status_code == 200  # logged in and enrolled
    user = db.session.scalar(select(User).where(User.email == "nia@example.test"))
    assert user.student_number == "S7"
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id)) is not None
    assert student.get(link).status_code == 404  # accepted: the link is spent


def test_a_link_for_an_existing_account_cannot_set_its_password(
    make, client, login_as, web_app, db
):
    victim = make.student(email="victim@example.test")
    before = victim.password_hash
    attacker = make.instructor()
    course = make.course(attacker)
    login_as(attacker)
    _upload(client, course, "name,email\nV,victim@example.test\n")
    link = _link_for(client, course, db.session.scalar(select(Invitation)))
    other = web_app.test_client()
    page = other.get(link).get_data(as_text=True)
    assert "Log in" in page and 'name="password"' not in page
    r = other.post(link, data={"password": "attacker password", "confirm": "attacker password"})
    assert r.status_code == 400
    db.session.refresh(victim)
    assert victim.password_hash == before
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == victim.id)) is None


def test_another_courses_roster_link_cannot_claim_an_unclaimed_account(
    make, client, login_as, web_app, db
):
    first_teacher, second_teacher = make.instructor(), make.instructor()
    first, second = make.course(first_teacher), make.course(second_teacher)
    login_as(first_teacher)
    _upload(client, first, "name,email\nNia,nia@example.test\n")
    other = web_app.test_client()
    login_as(second_teacher, c=other)
    _upload(other, second, "name,email\nNia,nia@example.test\n")
    second_invitation = db.session.scalar(
        select(Invitation).where(Invitation.course_id == second.id)
    )
    link = _link_for(other, second, second_invitation)
    anyone = web_app.test_client()
    assert 'name="password"' not in anyone.get(link).get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "nia@example.test"))
    assert user.password_hash is None


def test_roster_import_emails_each_invited_student(make, mail_app, smtp, login_as, db):
    teacher = make.instructor()
    course = make.course(teacher, title="Politics 204")
    make.student(email="old@example.test")
    client = mail_app.test_client()
    login_as(teacher, c=client)
    r = _upload(client, course, "name,email\nNew,new@example.test\nOld,old@example.test\n")
    assert "2 email(s) sent" in r.get_data(as_text=True)
    messages = smtp.wait(2)
    assert sorted(m["To"] for m in messages) == ["new@example.test", "old@example.test"]
    assert all("Politics 204" in m["Subject"] for m in messages)
    new_link = smtp.link(smtp.to("new@example.test")[0])
    assert new_link.startswith(PUBLIC_URL + "/invitation/")
    student = mail_app.test_client()
    path = new_link[len(PUBLIC_URL) :]
    r = student.post(path, data={"password": "a long password", "confirm": "a long password"})
    assert r.status_code == 302


def test_invitation_link_pages_are_public_but_bad_tokens_say_so(client):
    r = client.get("/invitation/not-a-token")
    assert r.status_code == 404 and "no longer works" in r.get_data(as_text=True)
    r = client.get("/account/reset/not-a-token")
    assert r.status_code == 404 and "no longer works" in r.get_data(as_text=True)
