"""Grades out of the database for the CSV exports, streamed row by row.

Each export is a fixed number of queries whose rows arrive in chunks (``yield_per``, a
server-side cursor on PostgreSQL), grouped per student on the fly and handed to the layout
builders of ``app.domain.export``: memory stays flat whatever the class size. Every enrolled student
gets a row, with or without an attempt; the grade is the one the quiz's grading method gives
(see ``app.services.analytics.graded_subquery``); preview attempts never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    case,
    false,
    func,
    null,
    or_,
    select,
    type_coerce,
)

from app.domain import export
from app.extensions import db
from app.models import (
    Attempt,
    AttemptState,
    Course,
    Enrolment,
    Quiz,
    Response,
    Role,
    User,
    UTCDateTime,
)
from app.services import quiz_maximum
from app.services.analytics import graded_subquery, ranked_attempts, students_with

STREAM_CHUNK = 500


@dataclass(frozen=True)
class QuizExport:
    """What a per-quiz export needs before its rows: the quiz column and question columns."""

    quiz: export.QuizColumn
    questions: list[export.QuestionColumn]
    slot_ids: list[int]
    slot_each: list[float]  # points of each question the slot gives (draws are scaled to it)


def gradebook_quizzes(course_id: int) -> list[Quiz]:
    """The quizzes that are gradebook columns: published quizzes in graded mode."""
    return list(
        db.session.scalars(
            select(Quiz)
            .where(Quiz.course_id == course_id, Quiz.mode == "graded", Quiz.published)
            .order_by(Quiz.id)
        )
    )


def quiz_columns(quizzes: list[Quiz]) -> list[export.QuizColumn]:
    """Gradebook columns with each quiz's maximum (app.services.quiz_maximum: from its slots, never
    from attempts, so previews cannot move it). Three queries."""
    maxima = quiz_maximum.quiz_maxima([q.id for q in quizzes])
    return [
        export.QuizColumn(
            title=q.title, max_points=maxima[q.id], canvas_assignment_id=q.canvas_assignment_id
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
    slots = quiz_maximum.slot_maxima([quiz.id])[quiz.id]
    return QuizExport(
        quiz=export.QuizColumn(
            quiz.title, round(sum(m.total for m in slots), 6), quiz.canvas_assignment_id
        ),
        questions=[export.QuestionColumn(f"Q{m.position}", m.total) for m in slots],
        slot_ids=[m.slot_id for m in slots],
        slot_each=[m.each for m in slots],
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


def quiz_result_rows(quiz: Quiz, meta: QuizExport) -> Iterator[export.QuizResultRow]:
    """One row per enrolled student, by name: attempts, the grade by the quiz's grading
    method, the points per question of the attempt that counts (their mean under "average")
    and when it was submitted. One streamed query."""
    r = ranked_attempts(quiz.course_id, [quiz.id])
    first = r.c.rk == 1
    grade = case((r.c.method == "average", r.c.avg_score), else_=r.c.score)
    max_grade = case((r.c.method == "average", r.c.avg_max), else_=r.c.max_score)
    per_slot = (
        select(
            r.c.user_id,
            Response.slot_id,
            # Shares of each response's own maximum, so a question laid out with other points
            # is scaled to the slot's (app.services.quiz_maximum); averaged over attempts under
            # "average".
            (
                func.sum(Response.score / case((Response.max_points > 0, Response.max_points)))
                / func.count(func.distinct(Response.attempt_id))
            ).label("share"),
            func.max(r.c.n_attempts).label("n_attempts"),
            func.max(case((first, grade))).label("grade"),
            func.max(case((first, max_grade))).label("max_grade"),
            func.max(r.c.any_needs_grading).label("provisional"),
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
        per_slot.c.max_grade,
        per_slot.c.provisional,
        per_slot.c.submitted_at,
        per_slot.c.slot_id,
        per_slot.c.share,
    ]
    empty = [
        type_coerce(null(), Integer()).label("n_attempts"),
        type_coerce(null(), Float()).label("grade"),
        type_coerce(null(), Float()).label("max_grade"),
        type_coerce(null(), Integer()).label("provisional"),
        type_coerce(null(), UTCDateTime()).label("submitted_at"),
        type_coerce(null(), Integer()).label("slot_id"),
        type_coerce(null(), Float()).label("share"),
    ]
    stmt = students_with(quiz.course_id, per_slot, _any_submitted([quiz.id]), columns, empty)
    index = {slot_id: i for i, slot_id in enumerate(meta.slot_ids)}
    for run in _grouped(stmt):
        head = run[0]
        points: list[float | None] = [None] * len(meta.slot_ids)
        for row in run:
            if row.slot_id in index and row.share is not None:
                i = index[row.slot_id]
                points[i] = float(row.share) * meta.slot_each[i]
        attempts = max((row.n_attempts or 0 for row in run), default=0)
        grade_value = next((row.grade for row in run if row.grade is not None), None)
        own_max = next((row.max_grade for row in run if row.max_grade is not None), None)
        if meta.quiz.max_points:
            grade_value = quiz_maximum.scale_to(grade_value, own_max, meta.quiz.max_points)
        submitted = next((row.submitted_at for row in run if row.submitted_at is not None), None)
        yield export.QuizResultRow(
            student=_student_info(head),
            attempts=attempts,
            grade=float(grade_value) if grade_value is not None else None,
            question_points=points if attempts else (),
            submitted_at=submitted,
            provisional=any(row.provisional for row in run),
        )


def gradebook_rows(
    course: Course, quizzes: list[Quiz], maxima: list[float] | None = None
) -> Iterator[export.GradebookRow]:
    """One row per enrolled student, by name, with a grade (or None) per quiz in the order
    of ``quizzes``, out of each quiz's maximum (``maxima``; attempts laid out with other
    points are scaled to it). One streamed query."""
    ids = [q.id for q in quizzes]
    if maxima is None:
        found = quiz_maximum.quiz_maxima(ids)
        maxima = [found[i] for i in ids]
    position = {quiz_id: i for i, quiz_id in enumerate(ids)}
    g = graded_subquery(course.id, ids)
    stmt = students_with(
        course.id,
        g,
        _any_submitted(ids),
        [g.c.quiz_id, g.c.grade, g.c.max_grade, g.c.any_needs_grading],
        [
            type_coerce(null(), Integer()).label("quiz_id"),
            type_coerce(null(), Float()).label("grade"),
            type_coerce(null(), Float()).label("max_grade"),
            type_coerce(null(), Integer()).label("any_needs_grading"),
        ],
    )
    for run in _grouped(stmt):
        grades: list[float | None] = [None] * len(ids)
        provisional = [False] * len(ids)
        for row in run:
            if row.quiz_id in position and row.grade is not None:
                i = position[row.quiz_id]
                grade = float(row.grade)
                if maxima[i]:
                    grade = quiz_maximum.scale_to(grade, row.max_grade, maxima[i]) or 0.0
                grades[i] = grade
                provisional[i] = bool(row.any_needs_grading)
        yield export.GradebookRow(
            student=_student_info(run[0]), grades=grades, provisional=provisional
        )


def quiz_table(
    quiz: Quiz,
    layout: str,
    options: export.ExportOptions | None = None,
    report: export.ExportReport | None = None,
) -> export.Table:
    """The per-quiz export in ``layout``; raises ``export.ExportError`` (``MissingCanvasIds``)
    before any row is read. ``report`` fills in as the rows stream."""
    meta = quiz_export_meta(quiz)
    return export.quiz_export(
        layout,
        meta.quiz,
        quiz_result_rows(quiz, meta),
        questions=meta.questions,
        grade_method=quiz.grading_method,
        options=options,
        report=report,
    )


def gradebook_table(
    course: Course,
    layout: str,
    options: export.ExportOptions | None = None,
    report: export.ExportReport | None = None,
) -> export.Table:
    """The course gradebook in ``layout``; raises ``export.ExportError`` before any row."""
    quizzes = gradebook_quizzes(course.id)
    columns = quiz_columns(quizzes)
    return export.gradebook_export(
        layout,
        columns,
        gradebook_rows(course, quizzes, [c.max_points for c in columns]),
        options=options,
        report=report,
    )


@dataclass(frozen=True)
class ExportNotes:
    """What the export page says before a download (four queries)."""

    provisional: dict[int, int]  # quiz id → grades that include an answer awaiting grading
    unsafe_identifiers: list[str]
    without_student_number: int
    points_possible_names: list[str]
    renamed_titles: list[tuple[str, str]]


def export_notes(course: Course, quizzes: list[Quiz]) -> ExportNotes:
    g = graded_subquery(course.id, [q.id for q in quizzes])
    provisional = dict(
        db.session.execute(
            select(g.c.quiz_id, func.count())
            .where(g.c.any_needs_grading == 1)
            .group_by(g.c.quiz_id)
        ).all()
    )
    students = db.session.execute(
        select(User.name, User.email, User.student_number)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.role == Role.STUDENT)
        .order_by(User.name)
    ).all()
    triggers = ("=", "+", "-", "@", "\t", "\r", "\0")
    report = export.ExportReport()
    for q in quizzes:
        export.canvas_title(q.title, report)
    return ExportNotes(
        provisional={k: int(v) for k, v in provisional.items()},
        unsafe_identifiers=[
            f"{s.name} <{s.email}>"
            for s in students
            if s.email.startswith(triggers) or (s.student_number or "").startswith(triggers)
        ],
        without_student_number=sum(1 for s in students if not s.student_number),
        points_possible_names=[
            s.name for s in students if re.search(r"points\s+possible", s.name, re.IGNORECASE)
        ],
        renamed_titles=report.renamed_columns,
    )


def quizzes_missing_canvas_ids(quizzes: list[Quiz]) -> list[Quiz]:
    """The quizzes Canvas cannot match (no assignment id, or one that is not a number)."""
    return [
        q
        for q in quizzes
        if not q.canvas_assignment_id or not q.canvas_assignment_id.strip().isdigit()
    ]
