"""Test data for dashboards and exports: quizzes from factories, attempts and responses
inserted directly as model rows (the student flow is another area's code), with their
per-skill totals written as grading writes them (``app.services.skill_totals``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.models import Attempt, Course, Question, QuestionVersion, Quiz, QuizSlot, Response, User
from app.services import skill_totals
from tests.support.factories import Factory, single_choice_spec

T0 = datetime(2016, 9, 24, 10, 0, tzinfo=UTC)
SKILLS = ("literal", "inference", "argument", "rhetoric")


def spec(
    key: str,
    *,
    qtype: str = "single",
    skill: str = "literal",
    points: float = 1.0,
    correct: str = "b",
) -> dict[str, Any]:
    s = single_choice_spec(key, points=points, correct=correct)
    s["skill"] = skill
    if qtype == "multiple":
        s["type"] = "multiple"
        s["options"] = [dict(o, correct=o["id"] in ("a", "b")) for o in s["options"]]
    elif qtype == "essay":
        s = {k: v for k, v in s.items() if k != "options"}
        s.update(
            type="essay",
            rubric=[{"criterion": "Claim", "points": points, "description": "States the claim"}],
            model_answer="",
            min_words=None,
            max_words=None,
        )
    return s


@dataclass
class Setup:
    course: Course
    instructor: User
    students: list[User]
    quiz: Quiz
    versions: list[QuestionVersion]
    slots: list[QuizSlot]


def make_quiz(
    make: Factory, course: Course, specs: list[dict[str, Any]], **kw: Any
) -> tuple[Quiz, list[QuestionVersion], list[QuizSlot]]:
    questions = [make.question(s) for s in specs]
    quiz = make.quiz(course, questions, **kw)
    db = make.db
    versions = [
        db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == q.id))
        for q in questions
    ]
    slots = list(
        db.session.scalars(
            select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)
        )
    )
    return quiz, versions, slots


def add_attempt(
    db: Any,
    quiz: Quiz,
    user: User,
    answers: list[tuple[Any, float | None]],
    *,
    number: int = 1,
    state: str = "submitted",
    preview: bool = False,
    minutes: float = 10,
    start: datetime | None = None,
    score_override: float | None = None,
) -> Attempt:
    """One attempt with a response per slot: ``answers`` are (value, score) in slot order;
    a score of None on an essay means it waits for grading."""
    slots = list(
        db.session.scalars(
            select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)
        )
    )
    start = start or T0 + timedelta(hours=number)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=number,
        state=state,
        is_preview=preview,
        seed=number,
        started_at=start,
        submitted_at=start + timedelta(minutes=minutes) if state == "submitted" else None,
    )
    db.session.add(attempt)
    db.session.flush()
    total = 0.0
    maximum = 0.0
    pending = False
    for slot, (value, score) in zip(slots, answers, strict=True):
        q = db.session.get(Question, slot.question_id)
        qv = db.session.scalar(
            select(QuestionVersion).where(
                QuestionVersion.question_id == q.id, QuestionVersion.version == q.latest_version
            )
        )
        max_points = slot.points if slot.points is not None else qv.points
        if score is None and qv.type == "essay" and value:
            rstate = "needs_grading"
            pending = True
        elif value in (None, "", []):
            rstate = "unanswered"
        else:
            rstate = "correct" if score == max_points else ("wrong" if not score else "partial")
        db.session.add(
            Response(
                attempt_id=attempt.id,
                position=slot.position,
                slot_id=slot.id,
                question_version_id=qv.id,
                max_points=max_points,
                value=value,
                state=rstate,
                auto_score=score,
                score=score,
            )
        )
        total += score or 0.0
        maximum += max_points
    attempt.auto_score = round(total, 2)
    attempt.score_override = score_override
    attempt.score = score_override if score_override is not None else round(total, 2)
    attempt.max_score = maximum
    attempt.needs_grading = pending
    skill_totals.refresh([attempt.id])
    db.session.commit()
    return attempt


def answer_for(version: QuestionVersion, correct: bool, rng: random.Random) -> tuple[Any, float]:
    spec = version.spec
    if spec["type"] == "single":
        keys = [o["id"] for o in spec["options"] if o["correct"]]
        wrong = [o["id"] for o in spec["options"] if not o["correct"]]
        return (keys[0], version.points) if correct else (rng.choice(wrong), 0.0)
    if spec["type"] == "multiple":
        if correct:
            return (["a", "b"], version.points)
        picked = rng.choice([["a"], ["a", "c"], ["c"], ["b", "c"]])
        score = {("a",): 0.5, ("a", "c"): 0.0, ("c",): 0.0, ("b", "c"): 0.0}[tuple(picked)]
        return (picked, round(score * version.points, 2))
    return ("An essay answer.", version.points if correct else 0.0)


def random_class(
    make: Factory,
    n_students: int,
    *,
    seed: int = 1,
    attempts: int = 2,
    course: Course | None = None,
) -> Setup:
    """A course with one quiz of six questions (single, multiple, across four skills) and
    ``n_students`` students with 1..``attempts`` random submitted attempts each, plus a
    preview attempt and an unsubmitted one that must never count."""
    rng = random.Random(seed)
    instructor = make.instructor()
    course = course or make.course(instructor)
    specs = [
        spec(
            f"q{seed}-{i}",
            qtype="multiple" if i % 3 == 2 else "single",
            skill=SKILLS[i % len(SKILLS)],
            points=float(1 + i % 2),
        )
        for i in range(6)
    ]
    quiz, versions, slots = make_quiz(
        make, course, specs, grading_method="highest", attempts_allowed=0
    )
    students = []
    for i in range(n_students):
        student = make.student(name=f"Student {i:03d}")
        make.enrol(course, student, section="A" if i % 2 else "B")
        students.append(student)
        ability = rng.random()
        for number in range(1, rng.randint(1, attempts) + 1):
            answers = [
                answer_for(v, rng.random() < ability * (1.2 - j * 0.1), rng)
                for j, v in enumerate(versions)
            ]
            add_attempt(make.db, quiz, student, answers, number=number, minutes=rng.randint(3, 40))
    if students:
        wrong = [answer_for(v, False, rng) for v in versions]
        add_attempt(make.db, quiz, students[0], wrong, number=99, state="in_progress")
        add_attempt(
            make.db,
            quiz,
            instructor,
            [answer_for(v, True, rng) for v in versions],
            number=1,
            preview=True,
        )
    return Setup(course, instructor, students, quiz, versions, slots)
