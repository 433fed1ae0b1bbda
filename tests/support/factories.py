"""Test data factories: small, explicit, each returns flushed model objects."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from app.models import (
    Bank,
    Course,
    Enrolment,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    QuizSource,
    Role,
    Source,
    User,
)
from app.services import accounts

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def single_choice_spec(key: str, *, points: float = 1.0, correct: str = "b") -> dict[str, Any]:
    """A canonical single-choice spec (docs/dev/contracts.md)."""
    return {
        "id": key,
        "type": "single",
        "prompt": f"Question {key}?",
        "points": points,
        "skill": "literal",
        "difficulty": "easy",
        "evidence": ["src:p1"],
        "explanation": "Because paragraph 1 says so.",
        "source": "src",
        "feedback_correct": "",
        "feedback_partial": "",
        "feedback_wrong": "",
        "options": [
            {
                "id": oid,
                "text": f"Option {oid}",
                "correct": oid == correct,
                "feedback": f"Feedback {oid}",
            }
            for oid in ("a", "b", "c")
        ],
    }


class Factory:
    def __init__(self, db: Any) -> None:
        self.db = db

    def commit(self) -> None:
        self.db.session.commit()

    def user(self, role: str = Role.STUDENT, **kw: Any) -> User:
        n = next(_seq)
        user = accounts.create_user(
            email=kw.pop("email", f"user{n}@example.test"),
            name=kw.pop("name", f"User {n}"),
            password=kw.pop("password", PASSWORD),
            role=role,
            student_number=kw.pop("student_number", f"S{n:05d}" if role == Role.STUDENT else None),
        )
        self.db.session.commit()
        return user

    def instructor(self, **kw: Any) -> User:
        return self.user(Role.INSTRUCTOR, **kw)

    def student(self, **kw: Any) -> User:
        return self.user(Role.STUDENT, **kw)

    def course(self, instructor: User | None = None, **kw: Any) -> Course:
        instructor = instructor or self.instructor()
        course = accounts.create_course(instructor, kw.pop("title", "Politics 101"), "POL101")
        self.db.session.commit()
        return course

    def enrol(self, course: Course, user: User, section: str | None = None) -> Enrolment:
        enrolment = accounts.enrol(course, user, section=section)
        self.db.session.commit()
        return enrolment

    def source(self, slug: str = "src", paragraphs: int = 3) -> Source:
        from app.models import Paragraph

        source = Source(
            slug=slug, title=f"Article {slug}", publication="Test Gazette", content_hash="x" * 64
        )
        source.paragraphs = [
            Paragraph(
                position=i,
                text=f"Paragraph {i}. It has two sentences.",
                sentences=[f"Paragraph {i}.", "It has two sentences."],
            )
            for i in range(1, paragraphs + 1)
        ]
        self.db.session.add(source)
        self.db.session.commit()
        return source

    def question(self, spec: dict[str, Any], bank: Bank | None = None) -> Question:
        if bank is None:
            bank = Bank(slug=f"bank-{next(_seq)}", title="Test bank")
            self.db.session.add(bank)
            self.db.session.flush()
        question = Question(bank_id=bank.id, key=spec["id"], latest_version=1)
        self.db.session.add(question)
        self.db.session.flush()
        self.db.session.add(
            QuestionVersion(
                question_id=question.id,
                version=1,
                type=spec["type"],
                skill=spec["skill"],
                difficulty=spec["difficulty"],
                points=spec["points"],
                spec=spec,
                source_slug=spec.get("source"),
                content_hash=f"{next(_seq):064d}",
            )
        )
        self.db.session.commit()
        return question

    def quiz(
        self,
        course: Course,
        questions: list[Question] | None = None,
        source: Source | None = None,
        **kw: Any,
    ) -> Quiz:
        quiz = Quiz(course_id=course.id, title=kw.pop("title", f"Quiz {next(_seq)}"), **kw)
        self.db.session.add(quiz)
        self.db.session.flush()
        for i, q in enumerate(questions or [], start=1):
            self.db.session.add(QuizSlot(quiz_id=quiz.id, position=i, question_id=q.id))
        if source is not None:
            self.db.session.add(QuizSource(quiz_id=quiz.id, source_id=source.id))
        self.db.session.commit()
        return quiz


def now() -> datetime:
    return datetime.now(UTC)
