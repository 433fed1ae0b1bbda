"""Grades out of the database for the CSV exports, streamed row by row.

Each export is a fixed number of queries whose rows arrive in chunks (``yield_per``, a
server-side cursor on PostgreSQL), grouped per student on the fly and handed to the layout
builders of ``app.export``: memory stays flat whatever the class size. Every enrolled student
gets a row, with or without an attempt; the grade is the one the quiz's grading method gives
(see ``app.analytics.graded_subquery``); preview attempts never count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    false,
    func,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from app import export
from app.analytics import graded_subquery, ranked_attempts, students_with
from app.extensions import db
from app.models import (
    Attempt,
    AttemptState,
    Course,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    Response,
    User,
    UTCDateTime,
)

STREAM_CHUNK = 500


@dataclass(frozen=True)
class QuizExport:
    """What a per-quiz export needs before its rows: the quiz column and question columns."""

    quiz: export.QuizColumn
    questions: list[export.QuestionColumn]
    slot_ids: list[int]


def gradebook_quizzes(course_id: int) -> list[Quiz]:
    """The quizzes that are gradebook columns: published quizzes in graded mode."""
    return list(
        db.session.scalars(
            select(Quiz)
            .where(Quiz.course_id == course_id, Quiz.mode == "graded", Quiz.published)
            .order_by(Quiz.id)
        )
    )


def _slot_maxima(quiz_ids: list[int]) -> dict[int, list[tuple[int, int, float]]]:
    """Per quiz, its slots as (slot id, position, maximum points), in order. A slot's maximum
    is its own points, else its question's; a random draw without points takes the largest
    maximum students met in that slot. Two queries for any number of quizzes."""
    latest = aliased(QuestionVersion)
    seen = dict(
        db.session.execute(
            select(Response.slot_id, func.max(Response.max_points))
            .join(QuizSlot, QuizSlot.id == Response.slot_id)
            .where(QuizSlot.quiz_id.in_(quiz_ids))
            .group_by(Response.slot_id)
        ).all()
    )
    result: dict[int, list[tuple[int, int, float]]] = {q: [] for q in quiz_ids}
    for slot, points in db.session.execute(
        select(QuizSlot, latest.points)
        .outerjoin(Question, Question.id == QuizSlot.question_id)
        .outerjoin(
            latest,
            and_(latest.question_id == Question.id, latest.version == Question.latest_version),
        )
        .where(QuizSlot.quiz_id.in_(quiz_ids))
        .order_by(QuizSlot.quiz_id, QuizSlot.position)
    ):
        each = slot.points if slot.points is not None else points
        if each is None:
            each = seen.get(slot.id) or 0.0
        result[slot.quiz_id].append((slot.id, slot.position, float(each) * slot.draw_count))
    return result


def _attempt_maxima(course_id: int, quiz_ids: list[int]) -> dict[int, float]:
    return {
        quiz_id: float(value or 0.0)
        for quiz_id, value in db.session.execute(
            select(Attempt.quiz_id, func.max(Attempt.max_score))
            .where(
                Attempt.quiz_id.in_(quiz_ids),
                Attempt.state == AttemptState.SUBMITTED,
                Attempt.is_preview.is_(false()),
            )
            .group_by(Attempt.quiz_id)
        )
    }


def quiz_columns(quizzes: list[Quiz]) -> list[export.QuizColumn]:
    """Gradebook columns with each quiz's maximum (its slots' points; if it has no slots,
    the largest maximum of its submitted attempts). Three queries."""
    if not quizzes:
        return []
    ids = [q.id for q in quizzes]
    slots = _slot_maxima(ids)
    from_attempts = _attempt_maxima(quizzes[0].course_id, ids)
    return [
        export.QuizColumn(
            title=q.title,
            max_points=sum(m for _, _, m in slots[q.id])
            if slots[q.id]
            else from_attempts.get(q.id, 0.0),
            canvas_assignment_id=q.canvas_assignment_id,
        )
        for q in quizzes
    ]


def _student_info(row: Any) -> export.StudentInfo:
    return export.StudentInfo(
        name=row.name,
        email=row.email,
        student_number=row.student_number or "",
        section=row.section or "",
    )


def _grouped(stmt: Any) -> Iterator[list[Any]]:
    """Run ``stmt`` streamed and yield its rows in runs of equal ``user_id``."""
    result = db.session.execute(stmt.execution_options(yield_per=STREAM_CHUNK))
    run: list[Any] = []
    for row in result:
        if run and row.user_id != run[0].user_id:
            yield run
            run = []
        run.append(row)
    if run:
        yield run


def quiz_export_meta(quiz: Quiz) -> QuizExport:
    slots = _slot_maxima([quiz.id])[quiz.id]
    total = sum(m for _, _, m in slots)
    if not slots:
        total = _attempt_maxima(quiz.course_id, [quiz.id]).get(quiz.id, 0.0)
    return QuizExport(
        quiz=export.QuizColumn(quiz.title, total, quiz.canvas_assignment_id),
        questions=[export.QuestionColumn(f"Q{position}", m) for _, position, m in slots],
        slot_ids=[slot_id for slot_id, _, _ in slots],
    )


def _any_submitted(quiz_ids: list[int]) -> Any:
    return (
        select(Attempt.id)
        .where(
            Attempt.user_id == User.id,
            Attempt.quiz_id.in_(quiz_ids),
            Attempt.state == AttemptState.SUBMITTED,
            Attempt.is_preview.is_(false()),
        )
        .exists()
    )


def quiz_result_rows(quiz: Quiz, slot_ids: list[int]) -> Iterator[export.QuizResultRow]:
    """One row per enrolled student, by name: attempts, the grade by the quiz's grading
    method, the points per question of the attempt that counts (their mean under "average")
    and when it was submitted. One streamed query."""
    r = ranked_attempts(quiz.course_id, [quiz.id])
    first = r.c.rk == 1
    grade = case((r.c.method == "average", r.c.avg_score), else_=r.c.score)
    per_slot = (
        select(
            r.c.user_id,
            Response.slot_id,
            (func.sum(Response.score) / func.count(func.distinct(Response.attempt_id))).label(
                "points"
            ),
            func.max(r.c.n_attempts).label("n_attempts"),
            func.max(case((first, grade))).label("grade"),
            type_coerce(func.max(case((first, r.c.submitted_at))), UTCDateTime()).label(
                "submitted_at"
            ),
        )
        .select_from(r)
        .join(Response, Response.attempt_id == r.c.attempt_id)
        .where(or_(first, r.c.method == "average"))
        .group_by(r.c.user_id, Response.slot_id)
        .subquery("per_slot")
    )
    columns = [
        per_slot.c.n_attempts,
        per_slot.c.grade,
        per_slot.c.submitted_at,
        per_slot.c.slot_id,
        per_slot.c.points,
    ]
    empty = [
        type_coerce(null(), Integer()).label("n_attempts"),
        type_coerce(null(), Float()).label("grade"),
        type_coerce(null(), UTCDateTime()).label("submitted_at"),
        type_coerce(null(), Integer()).label("slot_id"),
        type_coerce(null(), Float()).label("points"),
    ]
    stmt = students_with(quiz.course_id, per_slot, _any_submitted([quiz.id]), columns, empty)
    index = {slot_id: i for i, slot_id in enumerate(slot_ids)}
    for run in _grouped(stmt):
        head = run[0]
        points: list[float | None] = [None] * len(slot_ids)
        for row in run:
            if row.slot_id in index and row.points is not None:
                points[index[row.slot_id]] = float(row.points)
        attempts = max((row.n_attempts or 0 for row in run), default=0)
        grade_value = next((row.grade for row in run if row.grade is not None), None)
        submitted = next((row.submitted_at for row in run if row.submitted_at is not None), None)
        yield export.QuizResultRow(
            student=_student_info(head),
            attempts=attempts,
            grade=float(grade_value) if grade_value is not None else None,
            question_points=points if attempts else (),
            submitted_at=submitted,
        )


def gradebook_rows(course: Course, quizzes: list[Quiz]) -> Iterator[export.GradebookRow]:
    """One row per enrolled student, by name, with a grade (or None) per quiz in the order
    of ``quizzes``. One streamed query."""
    ids = [q.id for q in quizzes]
    position = {quiz_id: i for i, quiz_id in enumerate(ids)}
    g = graded_subquery(course.id, ids)
    stmt = students_with(
        course.id,
        g,
        _any_submitted(ids),
        [g.c.quiz_id, g.c.grade],
        [
            type_coerce(null(), Integer()).label("quiz_id"),
            type_coerce(null(), Float()).label("grade"),
        ],
    )
    for run in _grouped(stmt):
        grades: list[float | None] = [None] * len(ids)
        for row in run:
            if row.quiz_id in position and row.grade is not None:
                grades[position[row.quiz_id]] = float(row.grade)
        yield export.GradebookRow(student=_student_info(run[0]), grades=grades)


def quiz_table(quiz: Quiz, layout: str) -> export.Table:
    """The per-quiz export in ``layout``; raises ``export.ExportError`` (``MissingCanvasIds``)
    before any row is read."""
    meta = quiz_export_meta(quiz)
    return export.quiz_export(
        layout,
        meta.quiz,
        quiz_result_rows(quiz, meta.slot_ids),
        questions=meta.questions,
        grade_method=quiz.grading_method,
    )


def gradebook_table(course: Course, layout: str) -> export.Table:
    """The course gradebook in ``layout``; raises ``export.ExportError`` before any row."""
    quizzes = gradebook_quizzes(course.id)
    return export.gradebook_export(layout, quiz_columns(quizzes), gradebook_rows(course, quizzes))


def quizzes_missing_canvas_ids(quizzes: list[Quiz]) -> list[Quiz]:
    """The quizzes Canvas cannot match (no assignment id, or one that is not a number)."""
    return [
        q
        for q in quizzes
        if not q.canvas_assignment_id or not q.canvas_assignment_id.strip().isdigit()
    ]
