"""Roster CSV import: every bad row reported by line, good rows kept, nothing half-written."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.domain.roster import canonical_email, parse_roster
from app.models import Enrolment, Invitation, User


def test_parse_reports_each_bad_row_by_line():
    data = (
        "Name,Email,Student ID,Section\n"
        "Ada Lovelace,ada@example.test,S1,A\n"
        ",nobody@example.test,S2,A\n"
        "Bad Email,not-an-email,S3,A\n"
        "Ada Again,ADA@example.test,S4,A\n"
        "\n"
        "Grace Hopper, grace@example.test ,S5,\n"
        "Too,many,cells,here,and,more\n"
    )
    rows, problems = parse_roster(data.encode())
    assert [(r.line, r.email, r.student_number, r.section) for r in rows] == [
        (2, "ada@example.test", "S1", "A"),
        (7, "grace@example.test", "S5", None),
    ]
    assert [(p.line, p.message.split()[:2]) for p in problems] == [
        (3, ["the", "name"]),
        (4, ["the", "email"]),
        (5, ["email", "ada@example.test"]),
        (8, ["more", "cells"]),
    ]
    assert "already appears on line 2" in str(problems[2])


def test_parse_refuses_missing_columns_and_bad_encoding():
    rows, problems = parse_roster(b"full name,id\nX,1\n")
    assert not rows and "missing column(s) email" in problems[0].message
    rows, problems = parse_roster("name,email\nZoë,z@example.test\n".encode("latin-1"))
    assert not rows and "not UTF-8" in problems[0].message
    rows, problems = parse_roster(b"")
    assert not rows and "empty" in problems[0].message


def test_parse_accepts_bom_and_full_width_emails():
    rows, problems = parse_roster(
        "\ufeffname,email\nKen,ｋｅｎ＠ｅｘａｍｐｌｅ．ｔｅｓｔ\n".encode()
    )
    assert not problems and rows[0].email == "ken@example.test"
    assert canonical_email("  Ken@Example.TEST ") == "ken@example.test"


def _upload(client, course, text: str, name: str = "roster.csv"):
    return client.post(
        f"/teach/courses/{course.id}/roster",
        data={"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def test_web_import_invites_good_rows_and_reports_bad_ones(make, client, login_as, db):
    teacher = make.instructor()
    course = make.course(teacher)
    make.student(email="old@example.test", student_number="S9")
    login_as(teacher)
    r = _upload(
        client,
        course,
        "name,email,student id\n"
        "New Person,new@example.test,S100\n"
        "Old Person,old@example.test,S9\n"
        "Broken,broken,S101\n"
        f"Teacher,{teacher.email},\n"
        "Wrong Id,old@example.test,S8\n",
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "roster.csv: line 4: the email &#39;broken&#39; is not a valid address" in page
    assert "line 6: email old@example.test already appears on line 3" in page
    assert "2 student(s) invited" in page and "1 already in this course" in page
    # Nobody is enrolled without accepting; the instructor is a member already.
    enrolled = set(
        db.session.scalars(
            select(User.email).join(Enrolment).where(Enrolment.course_id == course.id)
        )
    )
    assert enrolled == {teacher.email}
    # importing again duplicates nothing
    _upload(client, course, "name,email\nNew Person,new@example.test\n")
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2


def test_roster_import_is_only_for_the_course_instructor(make, client, login_as, db):
    course = make.course()
    other_teacher = make.instructor()
    login_as(other_teacher)
    r = _upload(client, course, "name,email\nSneaky,sneaky@example.test\n")
    assert r.status_code == 404
    assert db.session.scalar(select(User).where(User.email == "sneaky@example.test")) is None


def test_roster_names_are_escaped(make, client, login_as):
    teacher = make.instructor()
    course = make.course(teacher)
    login_as(teacher)
    _upload(client, course, 'name,email\n"<script>alert(1)</script>",x@example.test\n')
    page = client.get(f"/teach/courses/{course.id}/roster").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
