"""A roster import never crosses courses (issue 22 point 1): invitations, not enrolments."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.models import Enrolment, Invitation, User


def _upload(client, course, text: str):
    return client.post(
        f"/teach/courses/{course.id}/roster",
        data={"file": (io.BytesIO(text.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )


def _enrolled(db, course) -> set[str]:
    return set(
        db.session.scalars(
            select(User.email).join(Enrolment).where(Enrolment.course_id == course.id)
        )
    )


def test_another_courses_student_is_invited_not_enrolled_and_nothing_leaks(
    make, client, login_as, db
):
    victim_course = make.course(title="Secret Seminar")
    victim = make.student(email="victim@example.test", name="Real Name", student_number="S1001")
    make.enrol(victim_course, victim)
    other_teacher = make.instructor(email="prof@example.test", name="Prof Secret")
    attacker = make.instructor()
    course = make.course(attacker)
    login_as(attacker)
    r = _upload(
        client,
        course,
        "name,email,student id\n"
        "Guess,victim@example.test,S666\n"
        "Prof,prof@example.test,\n"
        "Fresh,fresh@example.test,S2\n",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    # One answer for all three: new email, another course's student, an instructor.
    assert "3 student(s) invited" in page
    for secret in ("S1001", "Real Name", "Prof Secret", "instructor account", victim_course.title):
        assert secret not in page, secret
    assert _enrolled(db, course) == {attacker.email}
    roster = client.get(f"/teach/courses/{course.id}/roster").get_data(as_text=True)
    assert "Guess" in roster and "S666" in roster  # what the file said, nothing more
    assert "S1001" not in roster and "Real Name" not in roster
    # The victim's account is untouched.
    db.session.refresh(victim)
    assert (victim.name, victim.student_number) == ("Real Name", "S1001")
    assert other_teacher.role == "instructor"


def test_invited_student_accepts_on_next_login(make, client, login_as, web_app, db):
    student = make.student(email="s@example.test", student_number="S5")
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    _upload(client, course, "name,email,student id,section\nS,s@example.test,S5,B\n")
    other = web_app.test_client()
    r = other.post("/login", data={"email": student.email, "password": "correct horse battery"})
    assert r.status_code == 302 and r.headers["Location"] == "/courses/"
    page = other.get("/courses/").get_data(as_text=True)
    assert "Course invitations" in page and course.title in page
    invitation = db.session.scalar(select(Invitation))
    r = other.post(
        "/courses/invitations", data={"invitation_id": invitation.id, "action": "accept"}
    )
    assert r.status_code == 302
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == student.id))
    assert (enrolment.course_id, enrolment.section) == (course.id, "B")
    roster = client.get(f"/teach/courses/{course.id}/roster").get_data(as_text=True)
    assert "Invited, not yet joined" not in roster


def test_declining_enrols_nothing_and_others_cannot_answer(make, client, login_as, web_app, db):
    student = make.student(email="s@example.test")
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    _upload(client, course, "name,email\nS,s@example.test\n")
    invitation = db.session.scalar(select(Invitation))
    intruder = web_app.test_client()
    login_as(make.student(), c=intruder)
    r = intruder.post(
        "/courses/invitations", data={"invitation_id": invitation.id, "action": "accept"}
    )
    assert r.status_code == 404
    owner = web_app.test_client()
    login_as(student, c=owner)
    owner.post("/courses/invitations", data={"invitation_id": invitation.id, "action": "decline"})
    assert _enrolled(db, course) == {teacher.email}
    db.session.refresh(invitation)
    assert invitation.declined_at is not None


def test_join_code_accepts_the_invitation_of_that_course(make, client, login_as, web_app, db):
    student = make.student(email="s@example.test")
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    _upload(client, course, "name,email,section\nS,s@example.test,A\n")
    owner = web_app.test_client()
    login_as(student, c=owner)
    owner.post("/courses/", data={"join_code": course.join_code})
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == student.id))
    assert enrolment.section == "A"
    assert db.session.scalar(select(Invitation)).accepted_at is not None


def test_roster_refuses_formula_ids_and_look_alike_emails(make, client, login_as, db):
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    r = _upload(
        client,
        course,
        "name,email,student id\n"
        "A,a@example.test,-123\n"
        "B,b\u200b@example.test,S2\n"
        "C,c@example.test.,S3\n"
        "D\x00,d@example.test,S4\n"
        "E,e@example.test,S5\n",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "line 2: the student id &#39;-123&#39; starts with &#39;-&#39;" in page
    assert "line 3:" in page and "ZERO WIDTH SPACE" in page
    assert "line 4:" in page and "cannot end with a period" in page
    assert "line 5: the name contains a NUL character" in page
    assert "1 student(s) invited" in page
