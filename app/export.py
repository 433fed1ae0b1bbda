"""Grade exports: (headers, rows) builders per layout, and one streaming CSV writer.

Builders take plain dataclasses (no database) and return a :class:`Table` whose rows are a
lazy iterator, so a view can pass a query's rows straight through :func:`stream_csv` and a
large class exports with flat memory. Every cell goes through :func:`neutralise` on the way
out, so no cell opens as a formula in Excel or LibreOffice. Layouts are documented, with the
import steps for Canvas and Moodle, in docs/exports.md. Standard library only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from app import points

__all__ = [
    "CANVAS_IDENTITY_HEADERS",
    "CANVAS_POINTS_POSSIBLE",
    "GRADE_METHODS",
    "LAYOUTS",
    "Cell",
    "ExportError",
    "GradebookRow",
    "MissingCanvasIds",
    "QuestionColumn",
    "QuizColumn",
    "QuizResultRow",
    "StudentInfo",
    "Table",
    "gradebook_export",
    "neutralise",
    "quiz_export",
    "safe_filename",
    "stream_csv",
]

Cell = str | int | float | Decimal | None

LAYOUTS = ("plain", "canvas", "moodle")
GRADE_METHODS = ("highest", "last", "average", "first")

# Canvas gradebook CSV: the identity columns of its own export, then one column per
# assignment named "Title (assignment id)"; a row whose first cell is "Points Possible"
# (Canvas writes it with four leading spaces) carries each column's maximum.
CANVAS_IDENTITY_HEADERS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_POSSIBLE = "    Points Possible"
# Moodle "Import grades from CSV": any identifying column can be mapped ("Map from" →
# "Map to" email address / ID number); every other column can be mapped to a grade item.
MOODLE_IDENTITY_HEADERS = ("Email address", "ID number", "Full name")

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
_CHUNK_CHARS = 8192


@dataclass(frozen=True)
class StudentInfo:
    """Who a row is about. Canvas matches rows by ``canvas_user_id``, then SIS User ID
    (``student_number``), then SIS Login ID (``sis_login_id``, or the email when empty)."""

    name: str
    email: str
    student_number: str = ""
    section: str = ""
    sis_login_id: str = ""
    canvas_user_id: str = ""


@dataclass(frozen=True)
class QuizColumn:
    """One quiz as a gradebook column; Canvas needs the id of its matching assignment."""

    title: str
    max_points: float
    canvas_assignment_id: str | None = None


@dataclass(frozen=True)
class QuestionColumn:
    """One question slot of a quiz, for the per-question columns of the plain layout."""

    label: str
    max_points: float


@dataclass(frozen=True)
class QuizResultRow:
    """One student's result on one quiz (grade already chosen by the quiz's grading method)."""

    student: StudentInfo
    attempts: int
    grade: float | Decimal | None
    question_points: Sequence[float | Decimal | None] = ()
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class GradebookRow:
    """One student's grade on each quiz, in the order of the quizzes passed to the builder."""

    student: StudentInfo
    grades: Sequence[float | Decimal | None]


class Table(NamedTuple):
    """Headers and lazily produced rows; unpacks as ``headers, rows``."""

    headers: list[Cell]
    rows: Iterator[list[Cell]]


class ExportError(ValueError):
    """The export cannot be built as asked (unknown layout, missing data)."""


class MissingCanvasIds(ExportError):
    """Canvas matches columns to assignments by id: these quizzes have none (or a bad one)."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.titles = tuple(titles)
        super().__init__(
            "Canvas needs the assignment id of every quiz; set it for: " + ", ".join(self.titles)
        )


# --------------------------------------------------------------------------- builders


def quiz_export(
    layout: str,
    quiz: QuizColumn,
    rows: Iterable[QuizResultRow],
    *,
    questions: Sequence[QuestionColumn] = (),
    grade_method: str = "highest",
) -> Table:
    """One quiz's results. The plain layout has everything (attempts, per-question points,
    submission time); Canvas and Moodle get only identity and the grade, because every extra
    column would be imported as a new assignment / grade item."""
    _check_layout(layout)
    if grade_method not in GRADE_METHODS:
        raise ExportError(f"unknown grading method {grade_method!r}")
    if layout in ("canvas", "moodle"):
        return gradebook_export(layout, [quiz], (GradebookRow(r.student, [r.grade]) for r in rows))
    headers: list[Cell] = [
        "Name",
        "Email",
        "Student number",
        "Section",
        "Attempts",
        f"Grade ({grade_method}) /{_points(quiz.max_points)}",
        *(f"{q.label} /{_points(q.max_points)}" for q in questions),
        "Submitted (UTC)",
    ]

    def body() -> Iterator[list[Cell]]:
        for row in rows:
            if len(row.question_points) not in (0, len(questions)):
                raise ExportError(
                    f"{row.student.email}: {len(row.question_points)} question scores "
                    f"for {len(questions)} questions"
                )
            points = row.question_points or [None] * len(questions)
            yield [
                *_plain_identity(row.student),
                row.attempts,
                _points(row.grade),
                *(_points(p) for p in points),
                _utc(row.submitted_at),
            ]

    return Table(headers, body())


def gradebook_export(
    layout: str, quizzes: Sequence[QuizColumn], rows: Iterable[GradebookRow]
) -> Table:
    """One row per student, one column per quiz. The plain layout adds the total and a
    percentage (blank grades count as 0); Canvas and Moodle compute their own totals."""
    _check_layout(layout)
    if layout == "canvas":
        _check_canvas_ids(quizzes)
    max_total = points.total_of_shown(q.max_points for q in quizzes)

    if layout == "canvas":
        headers: list[Cell] = [
            *CANVAS_IDENTITY_HEADERS,
            *(f"{q.title} ({q.canvas_assignment_id})" for q in quizzes),
        ]
    elif layout == "moodle":
        headers = [*MOODLE_IDENTITY_HEADERS, *(q.title for q in quizzes)]
    else:
        headers = [
            "Name",
            "Email",
            "Student number",
            "Section",
            *(f"{q.title} /{_points(q.max_points)}" for q in quizzes),
            f"Total /{_points(max_total)}",
            "Percentage",
        ]

    def body() -> Iterator[list[Cell]]:
        if layout == "canvas":
            points_row: list[Cell] = [CANVAS_POINTS_POSSIBLE, "", "", "", ""]
            yield points_row + [_points(q.max_points) for q in quizzes]
        for row in rows:
            if len(row.grades) != len(quizzes):
                raise ExportError(
                    f"{row.student.email}: {len(row.grades)} grades for {len(quizzes)} quizzes"
                )
            grades = [_points(g) for g in row.grades]
            if layout == "canvas":
                yield [*_canvas_identity(row.student), *grades]
            elif layout == "moodle":
                s = row.student
                yield [s.email, s.student_number, s.name, *grades]
            else:
                # The total is the sum of the grades as shown, so the row adds up.
                total = points.total_of_shown(row.grades)
                percentage = _points(100 * total / max_total) if max_total else None
                yield [*_plain_identity(row.student), *grades, _points(total), percentage]

    return Table(headers, body())


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ExportError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def _check_canvas_ids(quizzes: Iterable[QuizColumn]) -> None:
    missing = [
        q.title
        for q in quizzes
        if not q.canvas_assignment_id or not q.canvas_assignment_id.strip().isdigit()
    ]
    if missing:
        raise MissingCanvasIds(missing)


def _plain_identity(s: StudentInfo) -> list[Cell]:
    return [s.name, s.email, s.student_number, s.section]


def _canvas_identity(s: StudentInfo) -> list[Cell]:
    return [s.name, s.canvas_user_id, s.student_number, s.sis_login_id or s.email, s.section]


def _points(value: float | Decimal | None) -> int | Decimal | None:
    """Points as spreadsheets want them: half up to 2 decimals (app.points), no trailing 0."""
    return points.display(value)


def _utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; naive datetimes are taken as UTC (how the app stores them)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- writer


def neutralise(value: object) -> str | int | float | Decimal:
    """Make a cell inert in spreadsheets: text starting with ``= + - @``, tab, CR or NUL gets
    a leading ``'``. Real numbers stay numbers; text that only looks numeric (``"-2+3"``) is
    text and is escaped. Idempotent, since an escaped cell starts with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def stream_csv(
    headers: Sequence[object], rows: Iterable[Sequence[object]], *, bom: bool = True
) -> Iterator[str]:
    """Serialise a table as RFC 4180 CSV (CRLF, minimal quoting), UTF-8 BOM first so Excel
    reads the accents. Yields the header at once, then chunks of a few KiB: memory stays
    flat however many rows come through."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in headers])
    yield _drain(buffer)
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        if buffer.tell() >= _CHUNK_CHARS:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def safe_filename(name: str, *, default: str = "export") -> str:
    """An ASCII ``.csv`` name for Content-Disposition: accents folded, anything but letters,
    digits, ``.``, ``_`` and ``-`` replaced, so no path separators, quotes or control
    characters can reach the header."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    if ascii_text.lower().endswith(".csv"):
        ascii_text = ascii_text[:-4]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    slug = re.sub(r"([-._])[-._]+", r"\1", slug)
    slug = slug.strip("-._")[:80].strip("-._")
    return f"{slug or default}.csv"
