"""Sign out everywhere, and an instructor ending a student's sessions (issue 22)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.models import LoginSession


def open_logins(db, user) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    )


def logged_in(client) -> bool:
    return client.get("/courses/").status_code == 200


def test_log_out_everywhere_ends_every_login_of_the_user_and_only_theirs(
    make, db, web_app, login_as
):
    student, classmate = make.student(), make.student()
    laptop, phone, other = (web_app.test_client() for _ in range(3))
    login_as(student, c=laptop)
    login_as(student, c=phone)
    login_as(classmate, c=other)
    assert open_logins(db, student) == 2
    page = laptop.get("/account/password").get_data(as_text=True)
    assert "Log out everywhere" in page
    r = laptop.post("/account/sessions/end")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert not logged_in(laptop) and not logged_in(phone)
    assert open_logins(db, student) == 0
    assert logged_in(other) and open_logins(db, classmate) == 1


def test_an_instructor_logs_a_student_of_their_course_out_on_every_device(
    make, db, web_app, login_as, caplog
):
    teacher, stranger = make.instructor(), make.instructor()
    course = make.course(teacher)
    make.course(stranger)
    student = make.student()
    make.enrol(course, student)
    db.session.commit()
    device, teach, other_teach = (web_app.test_client() for _ in range(3))
    login_as(student, c=device)
    login_as(teacher, c=teach)
    login_as(stranger, c=other_teach)
    url = f"/teach/courses/{course.id}/students/{student.id}/end-sessions"

    assert "out on every device" in teach.get(
        f"/teach/courses/{course.id}/students/{student.id}"
    ).get_data(as_text=True)
    assert other_teach.post(url).status_code == 404  # another course's instructor
    assert device.post(url).status_code == 404  # the student themself, as an "instructor"
    assert logged_in(device)

    with caplog.at_level(logging.INFO, logger="hustings.auth"):
        r = teach.post(url)
    assert r.status_code == 302
    assert not logged_in(device) and open_logins(db, student) == 0
    assert f"sessions ended account={student.email} by={teacher.email} count=1" in caplog.text
    follow = " ".join(teach.get(r.headers["Location"]).get_data(as_text=True).split())
    assert "is logged out on every device" in follow
    assert logged_in(teach)  # the instructor's own login goes on


def test_an_instructor_cannot_end_an_instructors_or_a_strangers_sessions(
    make, db, web_app, login_as
):
    teacher, colleague = make.instructor(), make.instructor()
    course = make.course(teacher)
    outsider = make.student()
    db.session.commit()
    teach, victim = web_app.test_client(), web_app.test_client()
    login_as(teacher, c=teach)
    login_as(outsider, c=victim)
    for user in (colleague, outsider, teacher):
        r = teach.post(f"/teach/courses/{course.id}/students/{user.id}/end-sessions")
        assert r.status_code == 404
    assert logged_in(victim)
