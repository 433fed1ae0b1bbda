"""The demo course: every bank loaded, one instructor, three students, quizzes and attempts.

Idempotent: running it again finds what it made before and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from app import accounts
from app.banks.schema import load_bank_paths
from app.banks.sync import SyncReport, sync_banks
from app.extensions import db
from app.models import Course, Role

DEMO_COURSE_CODE = "DEMO101"
DEMO_JOIN_CODE = "DEMOPOL1"
DEMO_PASSWORD = "hustings-demo"  # noqa: S105 - demo only, printed on the console by design
INSTRUCTOR = ("instructor@demo.hustings.test", "Dr Ada Fairweather")
STUDENTS = (
    ("amira@demo.hustings.test", "Amira Haddad", "S1001"),
    ("ben@demo.hustings.test", "Ben Okafor", "S1002"),
    ("chloe@demo.hustings.test", "Chloé Martin", "S1003"),
)


@dataclass(frozen=True)
class DemoLogins:
    instructor: str
    students: tuple[str, ...]
    password: str
    join_code: str


class DemoError(RuntimeError):
    """The shipped banks did not validate; the demo cannot be built on them."""


def load_banks(folder: Path) -> SyncReport:
    banks, problems = load_bank_paths([folder])
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DemoError("\n".join(str(p) for p in errors))
    return sync_banks(banks)


def load_demo(banks_folder: Path | None = None) -> DemoLogins:
    load_banks(banks_folder or Path(current_app.config["QUESTION_BANKS"]))
    course = db.session.scalar(select(Course).where(Course.join_code == DEMO_JOIN_CODE))
    instructor = accounts.find_user_by_email(INSTRUCTOR[0]) or accounts.create_user(
        email=INSTRUCTOR[0], name=INSTRUCTOR[1], password=DEMO_PASSWORD, role=Role.INSTRUCTOR
    )
    if course is None:
        course = accounts.create_course(
            instructor, "Reading Political Commentary", DEMO_COURSE_CODE
        )
        course.join_code = DEMO_JOIN_CODE
    for email, name, number in STUDENTS:
        student = accounts.find_user_by_email(email) or accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, student_number=number
        )
        accounts.enrol(course, student)
    db.session.commit()
    return DemoLogins(
        instructor=INSTRUCTOR[0],
        students=tuple(s[0] for s in STUDENTS),
        password=DEMO_PASSWORD,
        join_code=DEMO_JOIN_CODE,
    )


def print_logins(logins: DemoLogins, base_url: str | None = None) -> None:
    click.echo("")
    click.echo("Hustings demo course loaded.")
    if base_url:
        click.echo(f"  Open {base_url}")
    click.echo(f"  Instructor: {logins.instructor}  password: {logins.password}")
    for email in logins.students:
        click.echo(f"  Student:    {email}  password: {logins.password}")
    click.echo(f"  Join code for new students: {logins.join_code}")
    click.echo("")
