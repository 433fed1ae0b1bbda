"""The demo course: every bank loaded, one instructor, three students, quizzes and attempts.

Idempotent: running it again finds what it made before and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import select

from app.domain import question_types
from app.domain.banks import background
from app.domain.banks.schema import load_bank_paths
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Attempt,
    Bank,
    Course,
    Question,
    QuestionVersion,
    Quiz,
    Role,
    User,
    utcnow,
)
from app.services import accounts, attempts, quizzes
from app.services.bank_sync import SyncReport, sync_banks, sync_notes

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
class QuizPlan:
    title: str
    bank: str
    count: int
    time_limit_minutes: int | None
    attempts_allowed: int


QUIZZES = (
    QuizPlan("Close reading: “This is a tale of two coups”", "two-coups-reading", 20, 40, 2),
    QuizPlan("Close reading: “It was always a kamikaze mission”", "kamikaze-reading", 20, 40, 2),
    QuizPlan(
        "Two framings of one result (comparison)", "two-coups-kamikaze-comparison", 10, None, 1
    ),
)
# Per student: quiz title → share of questions answered right, so dashboards show a spread.
PROFILES = (
    {QUIZZES[0].title: 0.9, QUIZZES[1].title: 0.8},
    {QUIZZES[0].title: 0.5, QUIZZES[1].title: 0.35},
    {QUIZZES[0].title: 0.7},
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
    notes, note_problems = background.notes_in([folder], {s.id for b in banks for s in b.sources})
    errors = [p for p in problems + note_problems if p.severity == "error"]
    if errors:
        raise DemoError("\n".join(str(p) for p in errors))
    report = sync_banks(banks)
    sync_notes(notes, report)
    return report


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
    students = []
    for email, name, number in STUDENTS:
        student = accounts.find_user_by_email(email) or accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, student_number=number
        )
        accounts.enrol(course, student)
        students.append(student)
    db.session.flush()
    now = utcnow()
    made = {plan.title: _demo_quiz(course, plan, now) for plan in QUIZZES}
    for student, profile in zip(students, PROFILES, strict=True):
        for title, accuracy in profile.items():
            _demo_attempt(made[title], student, accuracy, now)
    db.session.commit()
    return DemoLogins(
        instructor=INSTRUCTOR[0],
        students=tuple(s[0] for s in STUDENTS),
        password=DEMO_PASSWORD,
        join_code=DEMO_JOIN_CODE,
    )


def _demo_quiz(course: Course, plan: QuizPlan, now: datetime) -> Quiz:
    """The plan's quiz in the demo course: the bank's first questions, one of each type first."""
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.title == plan.title)
    )
    if quiz is not None:
        return quiz
    quiz = quizzes.create_quiz(
        course,
        quizzes.QuizSettings(
            title=plan.title,
            published=True,
            opens_at=now - timedelta(days=7),
            closes_at=now + timedelta(days=21),
            time_limit_minutes=plan.time_limit_minutes,
            attempts_allowed=plan.attempts_allowed,
            shuffle_options=True,
        ),
    )
    rows = db.session.execute(
        select(Question.id, QuestionVersion.type)
        .join(Bank, Bank.id == Question.bank_id)
        .join(
            QuestionVersion,
            CURRENT_VERSION,
        )
        .where(Bank.slug == plan.bank, Question.retired_at.is_(None))
        .order_by(Question.id)
    ).all()
    first_of_type: dict[str, int] = {}
    for question_id, qtype in rows:
        first_of_type.setdefault(qtype, question_id)
    ranked = list(first_of_type.values())
    ranked += [qid for qid, _ in rows if qid not in ranked]
    # Skip a question that gives away (or is given away by) one already chosen.
    excluded = quizzes.excluded_by_id()
    chosen: list[int] = []
    for question_id in ranked:
        if len(chosen) < plan.count and not excluded.get(question_id, set()) & set(chosen):
            chosen.append(question_id)
    chosen.sort(key=[qid for qid, _ in rows].index)
    quizzes.add_questions(quiz, chosen)
    return quiz


def _demo_attempt(quiz: Quiz, student: User, accuracy: float, now: datetime) -> None:
    """One submitted attempt with answers right for about ``accuracy`` of the questions."""
    if db.session.scalar(
        select(Attempt.id).where(Attempt.quiz_id == quiz.id, Attempt.user_id == student.id)
    ):
        return
    attempt = attempts.start_or_resume(quiz, student, now - timedelta(hours=2))
    rng = random.Random(f"{quiz.title}/{student.email}")
    for response in attempts.responses_of(attempt):
        spec = response.question_version.spec
        right = rng.random() < accuracy
        value = demo_answer(spec, right=right)
        if value is not None:
            attempts.answer(attempt, response.position, value, now - timedelta(hours=2))
    attempts.submit(attempt, now - timedelta(hours=1, minutes=35))


def demo_answer(spec: dict[str, Any], *, right: bool) -> Any:
    """A plausible right or wrong answer to ``spec`` (spec ids, as scripts save them)."""
    return question_types.get(spec["type"]).demo_answer(spec, right=right)


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
