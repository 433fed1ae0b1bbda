"""Grade exports for the course's instructors: per-quiz CSV and the course gradebook, in the
plain, Canvas and Moodle layouts, streamed row by row (app.services.gradebook builds the rows,
app.domain.export
writes the CSV). A Canvas export with quizzes lacking an assignment id gets a page that says
which ones and where to set the id, instead of a broken file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import login_required

from app import authz
from app.domain import export
from app.models import Course, Quiz
from app.services import gradebook
from app.web.exports.forms import LAYOUT_LABELS, ExportQuery

bp = Blueprint("exports", __name__)


def quiz_settings_url(quiz_id: int) -> str:
    """Where the quiz builder lets an instructor set a quiz's Canvas assignment id."""
    return url_for("builder.settings", quiz_id=quiz_id)


def _csv_response(table: export.Table, filename: str, *, bom: bool) -> Response:
    response = Response(
        stream_with_context(export.stream_csv(table.headers, table.rows, bom=bom)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.safe_filename(filename)}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    response.content_type = "text/csv; charset=utf-8"
    return response


def _export(
    course: Course,
    quizzes: list[Quiz],
    build: Callable[[str, export.ExportOptions], export.Table],
    filename: str,
) -> Any:
    form = ExportQuery(request.args)
    if not form.validate():
        return render_template(
            "exports/index.html",
            course=course,
            quizzes=quizzes,
            form=form,
            layouts=LAYOUT_LABELS,
            gradebook_quizzes=gradebook.gradebook_quizzes(course.id),
            notes=gradebook.export_notes(course, list(course.quizzes)),
        ), 400
    layout = form.layout.data
    if layout == "canvas":
        missing = gradebook.quizzes_missing_canvas_ids(quizzes)
        if missing:
            return render_template(
                "exports/canvas_missing.html",
                course=course,
                missing=missing,
                settings_url=quiz_settings_url,
            ), 409
    try:
        table = build(layout, form.options())
    except export.MissingCanvasIds:  # defensive: the check above already caught it
        return render_template(
            "exports/canvas_missing.html",
            course=course,
            missing=gradebook.quizzes_missing_canvas_ids(quizzes),
            settings_url=quiz_settings_url,
        ), 409
    return _csv_response(table, f"{filename}-{layout}", bom=not form.no_bom.data)


@bp.route("/teach/courses/<int:course_id>/exports")
@login_required
def index(course_id: int) -> str:
    course = authz.course_for_instructor(course_id)
    quizzes = list(course.quizzes)
    return render_template(
        "exports/index.html",
        course=course,
        quizzes=quizzes,
        form=ExportQuery(),
        layouts=LAYOUT_LABELS,
        gradebook_quizzes=gradebook.gradebook_quizzes(course.id),
        notes=gradebook.export_notes(course, quizzes),
    )


@bp.route("/teach/quizzes/<int:quiz_id>/export.csv")
@login_required
def quiz_csv(quiz_id: int) -> Any:
    quiz = authz.quiz_for_instructor(quiz_id)
    course = quiz.course
    return _export(
        course,
        [quiz],
        lambda layout, options: gradebook.quiz_table(quiz, layout, options),
        f"{course.code or course.title}-{quiz.title}",
    )


@bp.route("/teach/courses/<int:course_id>/gradebook.csv")
@login_required
def gradebook_csv(course_id: int) -> Any:
    course = authz.course_for_instructor(course_id)
    return _export(
        course,
        gradebook.gradebook_quizzes(course.id),
        lambda layout, options: gradebook.gradebook_table(course, layout, options),
        f"{course.code or course.title}-gradebook",
    )
