"""Test data for the builder and grading tests: specs, and attempts made directly with models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db
from app.models import (
    Attempt,
    Bank,
    Course,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    User,
    utcnow,
)
from app.services import scores
from tests.support.factories import Factory, single_choice_spec


def essay_spec(key: str, *, points: float = 4.0) -> dict[str, Any]:
    return {
        "id": key,
        "type": "essay",
        "prompt": f"Discuss {key}.",
        "points": points,
        "skill": "argument",
        "difficulty": "hard",
        "evidence": ["src:p1"],
        "explanation": "A good answer weighs the evidence.",
        "source": "src",
        "feedback_correct": "",
        "feedback_partial": "",
        "feedback_wrong": "",
        "rubric": [
            {"criterion": "Claim", "points": points / 2, "description": "States the claim."},
            {"criterion": "Evidence", "points": points / 2, "description": "Cites the text."},
        ],
        "model_answer": "The author <claims> that ...",
        "min_words": None,
        "max_words": None,
    }


def short_spec(key: str, *, accepted: str = "corbyn", manual: bool = True) -> dict[str, Any]:
    return {
        "id": key,
        "type": "short",
        "prompt": f"Who ({key})?",
        "points": 2.0,
        "skill": "literal",
        "difficulty": "easy",
        "evidence": ["src:p1"],
        "explanation": "",
        "source": "src",
        "feedback_correct": "",
        "feedback_partial": "",
        "feedback_wrong": "",
        "accepted": [{"text": accepted, "credit": 1.0, "feedback": ""}],
        "manual_review": manual,
    }


def add_version(question: Question, spec: dict[str, Any]) -> QuestionVersion:
    """What the bank loader does when a corrected bank is loaded: a new immutable version."""
    question.latest_version += 1
    version = QuestionVersion(
        question_id=question.id,
        version=question.latest_version,
        type=spec["type"],
        skill=spec["skill"],
        difficulty=spec["difficulty"],
        points=spec["points"],
        spec=spec,
        source_slug=spec.get("source"),
        content_hash=f"{question.id:032d}{question.latest_version:032d}",
    )
    db.session.add(version)
    db.session.commit()
    return version


def make_attempt(
    quiz: Quiz,
    student: User,
    answers: list[tuple[Question, Any]],
    *,
    submitted: bool = True,
    preview: bool = False,
) -> Attempt:
    """An attempt with one response per (question, value), auto-graded like a submission."""
    number = 1 + len(
        db.session.scalars(
            db.select(Attempt.id).where(Attempt.quiz_id == quiz.id, Attempt.user_id == student.id)
        ).all()
    )
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=student.id,
        number=number,
        seed=1234 + number,
        is_preview=preview,
        state="submitted" if submitted else "in_progress",
        submitted_at=utcnow() if submitted else None,
    )
    db.session.add(attempt)
    db.session.flush()
    for position, (question, value) in enumerate(answers, start=1):
        version = db.session.scalar(
            db.select(QuestionVersion).where(
                QuestionVersion.question_id == question.id,
                QuestionVersion.version == question.latest_version,
            )
        )
        response = Response(
            attempt_id=attempt.id,
            position=position,
            question_version_id=version.id,
            max_points=version.points,
            value=value,
        )
        attempt.responses.append(response)
        db.session.flush()
        if submitted:
            scores.apply_auto_grade(response, version.spec)
    if submitted:
        scores.recompute_attempt_total(attempt)
    db.session.commit()
    return attempt


@dataclass
class World:
    teacher: User
    student: User
    other_student: User
    outsider: User  # another course's instructor
    outsider_student: User
    course: Course
    other_course: Course
    bank: Bank
    single: Question
    essay: Question
    short: Question
    quiz: Quiz


def build_world(make: Factory) -> World:
    teacher = make.instructor(name="Ada Teacher")
    course = make.course(teacher)
    student = make.student(name="Amira Student")
    other_student = make.student(name="Ben Student")
    make.enrol(course, student)
    make.enrol(course, other_student)
    outsider = make.instructor(name="Olga Outsider")
    other_course = make.course(outsider, title="Other course")
    outsider_student = make.student(name="Oscar Outsider")
    make.enrol(other_course, outsider_student)
    source = make.source("src")
    bank = Bank(slug="bank-x", title="Bank X")
    db.session.add(bank)
    db.session.flush()
    single = make.question(single_choice_spec("q-single", points=1.0), bank=bank)
    essay = make.question(essay_spec("q-essay"), bank=bank)
    short = make.question(short_spec("q-short"), bank=bank)
    quiz = make.quiz(course, [single, essay], source=source, title="Week 1")
    return World(
        teacher,
        student,
        other_student,
        outsider,
        outsider_student,
        course,
        other_course,
        bank,
        single,
        essay,
        short,
        quiz,
    )
