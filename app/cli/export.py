"""``hustings export …``: the same CSV files as the web pages. Thin commands over
app.services.gradebook and app.domain.export."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext

from app.domain import export
from app.extensions import db
from app.models import Course, Quiz
from app.services import gradebook

LAYOUT_OPTION = click.option(
    "--layout",
    type=click.Choice(export.LAYOUTS),
    default="plain",
    show_default=True,
    help="plain (spreadsheets), canvas (gradebook import) or moodle (grade import).",
)
BOM_OPTION = click.option(
    "--bom/--no-bom", default=True, show_default=True, help="Start with a UTF-8 byte-order mark."
)


def _lms_options(command: Any) -> Any:
    """The LMS choices of docs/exports.md, as on the export page."""
    for option in reversed(
        [
            click.option(
                "--no-grade",
                type=click.Choice(list(export.NO_GRADE_CHOICES)),
                default="leave",
                show_default=True,
                help="leave: no cell for a student without a grade (the LMS keeps its own); "
                "zero: 0 for no attempt.",
            ),
            click.option(
                "--provisional",
                type=click.Choice(["flag", "leave-out"]),
                default="flag",
                show_default=True,
                help="Grades including an essay awaiting grading: flag and count them, or "
                "leave them out until graded.",
            ),
            click.option(
                "--all-students",
                is_flag=True,
                help="Canvas/Moodle: also rows for students without any grade.",
            ),
            click.option(
                "--moodle-match",
                type=click.Choice(list(export.MOODLE_MATCH_CHOICES)),
                default="email",
                show_default=True,
                help="How you will map Moodle users (idnumber leaves out students without one).",
            ),
        ]
    ):
        command = option(command)
    return command


def _options(no_grade: str, provisional: str, all_students: bool, moodle_match: str) -> Any:
    return export.ExportOptions(
        no_grade=no_grade,
        provisional=provisional.replace("-", "_"),
        all_students=all_students,
        moodle_match=moodle_match,
    )


def _tell(report: export.ExportReport, layout: str) -> None:
    for message in report.messages(layout):
        click.echo(f"warning: {message}", err=True)


OUTPUT_OPTION = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="File to write (default: standard output).",
)


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    """Bytes out, so CRLF line ends and the BOM reach the file exactly (no newline mangling)."""
    if str(path) == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    with path.open("wb") as handle:
        yield handle


def _write(table: export.Table, output: Path, bom: bool) -> int:
    rows = 0
    with _open(output) as handle:
        for chunk in export.stream_csv(table.headers, table.rows, bom=bom):
            handle.write(chunk.encode("utf-8"))
            rows += chunk.count("\r\n")
    return rows


def _refuse_canvas(quizzes: list[Quiz]) -> None:
    missing = gradebook.quizzes_missing_canvas_ids(quizzes)
    if missing:
        listed = "\n".join(f"  quiz {q.id}: {q.title}" for q in missing)
        raise click.ClickException(
            "Canvas needs the assignment id of every quiz; set it in the quiz's settings for:\n"
            + listed
        )


@click.group("export")
def export_group() -> None:
    """Export grades as CSV (plain, Canvas or Moodle layout); see docs/exports.md."""


@export_group.command("quiz")
@click.argument("quiz_id", type=int)
@LAYOUT_OPTION
@BOM_OPTION
@OUTPUT_OPTION
@_lms_options
@with_appcontext
def export_quiz(
    quiz_id: int,
    layout: str,
    bom: bool,
    output: Path,
    no_grade: str,
    provisional: str,
    all_students: bool,
    moodle_match: str,
) -> None:
    """One quiz: a row per enrolled student (LMS files: per student with a grade)."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise click.ClickException(f"no quiz with id {quiz_id}")
    if layout == "canvas":
        _refuse_canvas([quiz])
    report = export.ExportReport()
    options = _options(no_grade, provisional, all_students, moodle_match)
    rows = _write(gradebook.quiz_table(quiz, layout, options, report), output, bom)
    if str(output) != "-":
        click.echo(f"Wrote {rows} lines to {output}.", err=True)
    _tell(report, layout)


@export_group.command("gradebook")
@click.argument("course_id", type=int)
@LAYOUT_OPTION
@BOM_OPTION
@OUTPUT_OPTION
@_lms_options
@with_appcontext
def export_gradebook(
    course_id: int,
    layout: str,
    bom: bool,
    output: Path,
    no_grade: str,
    provisional: str,
    all_students: bool,
    moodle_match: str,
) -> None:
    """The course gradebook: a row per student, a column per published graded quiz."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise click.ClickException(f"no course with id {course_id}")
    if layout == "canvas":
        _refuse_canvas(gradebook.gradebook_quizzes(course.id))
    report = export.ExportReport()
    options = _options(no_grade, provisional, all_students, moodle_match)
    rows = _write(gradebook.gradebook_table(course, layout, options, report), output, bom)
    if str(output) != "-":
        click.echo(f"Wrote {rows} lines to {output}.", err=True)
    _tell(report, layout)
