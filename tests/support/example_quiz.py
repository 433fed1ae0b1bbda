"""A worked example: a quiz with two random slots, an essay awaiting grading in some
attempts, several attempts per student, an attempt laid out before its draw had slot points,
and an instructor's preview. Its figures are worked out by hand in
``test_item_analysis_moodle.py`` and by a separate, plain implementation of Moodle's formulas.

The quiz (maximum 2 + 4 + 2·2 + 4 = 14 points):

- slot 1: a chosen single-choice question, 2 points;
- slot 2: a chosen essay, 4 points;
- slot 3: two questions drawn from bank A (worth 1, 2, 2 and 3 points), 2 points each;
- slot 4: one question drawn from bank B (three questions of 4 points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.models import Attempt, Bank, Quiz, QuizSlot, Response
from app.services import skill_totals
from tests.support.class_data import spec
from tests.support.factories import Factory

T0 = datetime(2016, 9, 26, 9, 0, tzinfo=UTC)
PENDING = None  # an essay awaiting grading

# Per student, per attempt: slot 1 score, essay score (PENDING: awaiting grading), the two
# bank-A draws as (question, score[, max points]), the bank-B draw as (question, score).
ATTEMPTS: dict[str, list[tuple[Any, ...]]] = {
    "Ada": [(2, 3, [("a1", 2), ("a2", 0)], ("b1", 4))],
    "Ben": [
        (0, PENDING, [("a3", 2), ("a4", 2)], ("b2", 0)),
        (2, 2, [("a2", 2), ("a1", 0)], ("b3", 4)),
    ],
    # Counting the pending essay as 0, Cal's second attempt (10) beats his first (9); by
    # Moodle's rule it is left out and his first counts.
    "Cal": [
        (2, 1, [("a1", 2), ("a3", 0)], ("b1", 4)),
        (2, PENDING, [("a4", 2), ("a2", 2)], ("b2", 4)),
    ],
    "Dee": [(0, 0, [("a2", 0), ("a4", 2)], ("b3", 0))],
    "Eve": [(2, 4, [("a3", 2), ("a1", 2)], ("b2", 4))],
    "Fin": [(0, 2, [("a4", 0), ("a3", 2)], ("b1", 0))],
    # Gus's only attempt awaits grading: left out entirely by Moodle's rule.
    "Gus": [(2, PENDING, [("a1", 2), ("a2", 2)], ("b3", 4))],
    # Hal's attempt was laid out when a3 counted its own 3 points: 1.5 of 3 is 1 of 2.
    "Hal": [(2, 2, [("a2", 2), ("a3", 1.5, 3)], ("b3", 0))],
}
BANK_A = {"a1": 1.0, "a2": 2.0, "a3": 2.0, "a4": 3.0}
BANK_B = {"b1": 4.0, "b2": 4.0, "b3": 4.0}
MAXIMUM = 14.0


@dataclass
class Example:
    quiz: Quiz
    course: Any
    instructor: Any
    students: dict[str, Any]
    slots: dict[str, QuizSlot]
    versions: dict[str, int]  # question key → version id


def build(make: Factory) -> Example:
    """The example in the database, with attempts and responses as grading stores them."""
    db = make.db
    instructor = make.instructor()
    course = make.course(instructor)
    fixed = make.question(spec("ex-fixed", points=2.0))
    essay = make.question(spec("ex-essay", qtype="essay", skill="argument", points=4.0))
    bank_a = Bank(slug="ex-bank-a", title="Bank A")
    bank_b = Bank(slug="ex-bank-b", title="Bank B")
    db.session.add_all([bank_a, bank_b])
    db.session.flush()
    questions = {"ex-fixed": fixed, "ex-essay": essay}
    for key, points in BANK_A.items():
        questions[key] = make.question(spec(key, skill="inference", points=points), bank_a)
    for key, points in BANK_B.items():
        questions[key] = make.question(spec(key, skill="rhetoric", points=points), bank_b)
    quiz = make.quiz(course, [], title="Worked example", grading_method="highest")
    slots = {
        "1": QuizSlot(quiz_id=quiz.id, position=1, question_id=fixed.id),
        "2": QuizSlot(quiz_id=quiz.id, position=2, question_id=essay.id),
        "3": QuizSlot(
            quiz_id=quiz.id, position=3, draw_bank_id=bank_a.id, draw_count=2, points=2.0
        ),
        "4": QuizSlot(quiz_id=quiz.id, position=4, draw_bank_id=bank_b.id, draw_count=1),
    }
    db.session.add_all(slots.values())
    db.session.flush()
    versions = {key: q.versions[0].id for key, q in questions.items()}
    students = {}
    for name, attempts in ATTEMPTS.items():
        student = make.student(name=name)
        make.enrol(course, student)
        students[name] = student
        for number, row in enumerate(attempts, start=1):
            _attempt(db, quiz, student.id, number, row, slots, versions)
    # A preview full of marks that must count nowhere.
    _attempt(
        db,
        quiz,
        instructor.id,
        1,
        (2, 4, [("a4", 3, 3), ("a1", 1, 1)], ("b1", 4)),
        slots,
        versions,
        preview=True,
    )
    db.session.commit()
    return Example(quiz, course, instructor, students, slots, versions)


def _attempt(
    db: Any,
    quiz: Quiz,
    user_id: int,
    number: int,
    row: tuple[Any, ...],
    slots: dict[str, QuizSlot],
    versions: dict[str, int],
    *,
    preview: bool = False,
) -> Attempt:
    fixed_score, essay_score, draws_a, draw_b = row
    start = T0 + timedelta(days=number, minutes=len(versions))
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user_id,
        number=number,
        state="submitted",
        is_preview=preview,
        seed=number,
        started_at=start,
        submitted_at=start + timedelta(minutes=20),
    )
    db.session.add(attempt)
    db.session.flush()
    entries: list[tuple[QuizSlot, str, float | None, float]] = [
        (slots["1"], "ex-fixed", float(fixed_score), 2.0),
        (slots["2"], "ex-essay", essay_score, 4.0),
    ]
    for draw in draws_a:
        key, score = draw[0], draw[1]
        entries.append((slots["3"], key, float(score), float(draw[2]) if len(draw) > 2 else 2.0))
    entries.append((slots["4"], draw_b[0], float(draw_b[1]), 4.0))
    total = maximum = 0.0
    for position, (slot, key, score, max_points) in enumerate(entries, start=1):
        waiting = score is None
        db.session.add(
            Response(
                attempt_id=attempt.id,
                position=position,
                slot_id=slot.id,
                question_version_id=versions[key],
                max_points=max_points,
                value="An essay." if key == "ex-essay" else ("b" if score else "a"),
                state="needs_grading" if waiting else ("correct" if score else "wrong"),
                auto_score=None if key == "ex-essay" else score,
                manual_score=score if key == "ex-essay" else None,
                score=score,
            )
        )
        total += score or 0.0
        maximum += max_points
    attempt.auto_score = attempt.score = total
    attempt.max_score = maximum
    attempt.needs_grading = essay_score is None
    db.session.flush()
    skill_totals.refresh([attempt.id])
    return attempt
