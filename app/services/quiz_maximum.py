"""A quiz's maximum, defined once from its slots, and the rule for draws whose questions differ.

Every page and file that shows "out of" uses :func:`quiz_maxima` (results, dashboards, item
analysis, exports), and nothing here reads attempts, so a preview or an odd old attempt can
never move it. A slot gives each attempt ``count`` questions worth ``each`` points:

- a chosen question: the slot's points, else the question's current points;
- a random draw: the slot's points, else, when every question the draw can pick is worth the
  same, that value; when they differ, the largest, and each drawn question is **scaled** to it
  (a full-marks answer to a 2-point question in a 3-point draw earns 3). The builder asks for
  slot points when a new draw's questions differ, so this only applies to older quizzes.

An attempt whose own maximum differs from the quiz's (its questions were laid out before a
change of points) is scaled to the quiz maximum when a grade is reported as points out of the
quiz maximum (:func:`scale_to`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import CURRENT_VERSION, Question, QuestionVersion, QuizSlot

__all__ = [
    "SlotMaximum",
    "draw_points",
    "quiz_maxima",
    "scale_to",
    "slot_maxima",
]


@dataclass(frozen=True)
class SlotMaximum:
    """What one slot contributes to every attempt's maximum."""

    slot_id: int
    position: int
    each: float
    count: int
    is_draw: bool
    scaled: bool  # a draw without slot points whose questions differ in points

    @property
    def total(self) -> float:
        return self.each * self.count


def draw_points(slot_points: float | None, candidate_points: Iterable[float]) -> tuple[float, bool]:
    """Points of each question a draw gives, and whether drawn questions are scaled to them."""
    if slot_points is not None:
        return float(slot_points), False
    distinct = {float(p) for p in candidate_points}
    if not distinct:
        return 0.0, False
    return max(distinct), len(distinct) > 1


def scale_to(grade: float | None, own_max: float | None, quiz_max: float) -> float | None:
    """``grade`` out of ``own_max`` expressed out of ``quiz_max`` (unchanged when they agree,
    or when the attempt had no maximum)."""
    if grade is None or not own_max or abs(own_max - quiz_max) < 1e-9:
        return grade
    return grade * quiz_max / own_max


def slot_maxima(quiz_ids: Sequence[int]) -> dict[int, list[SlotMaximum]]:
    """Per quiz, its slots' maxima in position order. Three queries for any number of quizzes."""
    result: dict[int, list[SlotMaximum]] = {q: [] for q in quiz_ids}
    if not quiz_ids:
        return result
    slots = db.session.scalars(
        select(QuizSlot)
        .where(QuizSlot.quiz_id.in_(quiz_ids))
        .order_by(QuizSlot.quiz_id, QuizSlot.position)
    ).all()
    fixed_ids = {s.question_id for s in slots if s.question_id is not None}
    fixed_points = dict(
        db.session.execute(
            select(Question.id, QuestionVersion.points)
            .join(QuestionVersion, CURRENT_VERSION)
            .where(Question.id.in_(fixed_ids))
        ).all()
    )
    banks = {s.draw_bank_id for s in slots if s.question_id is None and s.draw_bank_id}
    pool = db.session.execute(
        select(
            Question.id,
            Question.bank_id,
            QuestionVersion.skill,
            QuestionVersion.difficulty,
            QuestionVersion.type,
            QuestionVersion.points,
        )
        .join(QuestionVersion, CURRENT_VERSION)
        .where(Question.bank_id.in_(banks), Question.retired_at.is_(None))
    ).all()
    chosen_in: dict[int, set[int]] = {}
    for s in slots:
        if s.question_id is not None:
            chosen_in.setdefault(s.quiz_id, set()).add(s.question_id)
    for s in slots:
        if s.question_id is not None:
            points = s.points if s.points is not None else fixed_points.get(s.question_id, 0.0)
            result[s.quiz_id].append(
                SlotMaximum(s.id, s.position, float(points), 1, is_draw=False, scaled=False)
            )
            continue
        candidates = [
            row
            for row in pool
            if row.bank_id == s.draw_bank_id
            and (not s.draw_skill or row.skill == s.draw_skill)
            and (not s.draw_difficulty or row.difficulty == s.draw_difficulty)
            and (not s.draw_type or row.type == s.draw_type)
        ]
        each, scaled = draw_points(s.points, (row.points for row in candidates))
        available = len({row.id for row in candidates} - chosen_in.get(s.quiz_id, set()))
        result[s.quiz_id].append(
            SlotMaximum(
                s.id, s.position, each, min(s.draw_count, available), is_draw=True, scaled=scaled
            )
        )
    return result


def quiz_maxima(quiz_ids: Sequence[int]) -> dict[int, float]:
    """Per quiz, its maximum: the sum of its slots' maxima (0 for a quiz without slots)."""
    return {
        quiz_id: round(sum(s.total for s in slots), 6)
        for quiz_id, slots in slot_maxima(quiz_ids).items()
    }
