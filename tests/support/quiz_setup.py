"""A course with an instructor, an enrolled student and a quiz (of every question type unless
told otherwise): the starting point of the attempt, security and browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.models import Course, Quiz, Source, User
from tests.support import specs


@dataclass
class Setup:
    course: Course
    teacher: User
    student: User
    quiz: Quiz


def build(make: Any, question_specs: list[dict[str, Any]] | None = None, **quiz_kw: Any) -> Setup:
    """Options stay in bank order unless ``shuffle_options`` is passed."""
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    source = make.db.session.scalar(select(Source).where(Source.slug == "src")) or make.source()
    questions = [
        make.question(s) for s in (specs.all_types() if question_specs is None else question_specs)
    ]
    quiz_kw.setdefault("shuffle_options", False)
    quiz = make.quiz(course, questions, source=source, **quiz_kw)
    return Setup(course, teacher, student, quiz)
