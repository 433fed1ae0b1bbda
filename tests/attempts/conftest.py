"""Helpers for attempt tests: a course with a student and a quiz of every question type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.models import Course, Quiz, User
from tests.attempts import specs


@dataclass
class Setup:
    course: Course
    teacher: User
    student: User
    quiz: Quiz


def build(make: Any, question_specs: list[dict[str, Any]] | None = None, **quiz_kw: Any) -> Setup:
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    from sqlalchemy import select

    from app.models import Source

    source = make.db.session.scalar(select(Source).where(Source.slug == "src")) or make.source()
    questions = [
        make.question(s) for s in (specs.all_types() if question_specs is None else question_specs)
    ]
    quiz_kw.setdefault("shuffle_options", False)
    quiz = make.quiz(course, questions, source=source, **quiz_kw)
    return Setup(course, teacher, student, quiz)


@pytest.fixture
def setup(make: Any) -> Setup:
    return build(make)
