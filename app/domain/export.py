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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from app.domain import points
from app.domain.text import displayable

__all__ = [
    "CANVAS_IDENTITY_HEADERS",
    "CANVAS_POINTS_POSSIBLE",
    "CANVAS_TOTAL_NAMES",
    "GRADE_METHODS",
    "LAYOUTS",
    "MOODLE_MATCH_CHOICES",
    "NO_GRADE_CHOICES",
    "PROVISIONAL_CHOICES",
    "Cell",
    "ExportError",
    "ExportOptions",
    "ExportReport",
    "GradebookRow",
    "MissingCanvasIds",
    "QuestionColumn",
    "QuizColumn",
    "QuizResultRow",
    "StudentInfo",
    "Table",
    "canvas_title",
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
    provisional: bool = False  # includes an answer awaiting grading


@dataclass(frozen=True)
class GradebookRow:
    """One student's grade on each quiz, in the order of the quizzes passed to the builder."""

    student: StudentInfo
    grades: Sequence[float | Decimal | None]
    provisional: Sequence[bool] = ()  # per grade: includes an answer awaiting grading


NO_GRADE_CHOICES: dict[str, str] = {
    "leave": "Leave the LMS grade as it is (no cell for a student without a grade)",
    "zero": "0 for no attempt",
}
PROVISIONAL_CHOICES: dict[str, str] = {
    "flag": "Include them, flagged (plain file) and counted here",
    "leave_out": "Leave them out until the essays are graded",
}
MOODLE_MATCH_CHOICES: dict[str, str] = {
    "email": "Email address",
    "idnumber": "ID number (student number)",
}
# Canvas skips a column whose name contains one of its total columns' names, and reads any
# row whose first cell contains "Points Possible" as the points-possible row
# (app/models/gradebook_importer.rb; rules in tests/support/lms_import.py and docs/exports.md).
CANVAS_TOTAL_NAMES = (
    "Current Score",
    "Final Score",
    "Current Grade",
    "Final Grade",
    "Unposted Current Score",
    "Unposted Final Score",
    "Unposted Current Grade",
    "Unposted Final Grade",
    "Current Points",
    "Final Points",
    "Unposted Current Points",
    "Unposted Final Points",
)
_CANVAS_TOTALS_RE = re.compile(
    "|".join(r"\s+".join(map(re.escape, n.split())) for n in CANVAS_TOTAL_NAMES), re.IGNORECASE
)
_POINTS_POSSIBLE_RE = re.compile(r"points\s+possible", re.IGNORECASE)


@dataclass(frozen=True)
class ExportOptions:
    """Choices an instructor makes for an LMS file (docs/exports.md). The defaults lose
    nothing: no blank cell overwrites a grade already in the LMS, and provisional grades
    are included but reported."""

    no_grade: str = "leave"
    provisional: str = "flag"
    all_students: bool = False  # Canvas/Moodle: also rows for students without any grade
    moodle_match: str = "email"

    def check(self) -> None:
        for value, allowed, what in (
            (self.no_grade, NO_GRADE_CHOICES, "no-grade rule"),
            (self.provisional, PROVISIONAL_CHOICES, "provisional rule"),
            (self.moodle_match, MOODLE_MATCH_CHOICES, "Moodle matching field"),
        ):
            if value not in allowed:
                raise ExportError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")


@dataclass
class ExportReport:
    """What a file left out or changed, filled in as its rows stream out."""

    renamed_columns: list[tuple[str, str]] = field(default_factory=list)
    renamed_names: list[str] = field(default_factory=list)
    unsafe_identifiers: list[str] = field(default_factory=list)
    missing_id_number: list[str] = field(default_factory=list)
    without_grade: int = 0
    blank_cells: int = 0
    provisional: int = 0
    provisional_left_out: int = 0
    above_maximum: int = 0  # extra credit

    def messages(self, layout: str) -> list[str]:
        """One sentence per problem, for the CLI and the export page."""
        out = []
        for old, new in self.renamed_columns:
            out.append(
                f"Column “{old}” renamed “{new}”: Canvas ignores a column named like one of "
                "its totals."
            )
        for who in self.renamed_names:
            out.append(
                f"{who}: “Points Possible” in the name written as “Points-Possible”, or Canvas "
                "would read the row as the points-possible row."
            )
        for who in self.unsafe_identifiers:
            out.append(
                f"{who}: left out; an email or student number starting with = + - or @ cannot "
                "be written so that the LMS matches it. Correct it in Hustings (roster)."
            )
        for who in self.missing_id_number:
            out.append(
                f"{who}: left out; no student number, so Moodle's mapping by ID number would "
                "give this row to the previous student. Map by email, or set the number."
            )
        if self.without_grade:
            out.append(
                f"{self.without_grade} student(s) without any grade left out, so the LMS keeps "
                "what it has (choose “all students” to list them)."
            )
        if self.blank_cells and layout == "canvas":
            out.append(
                f"{self.blank_cells} blank cell(s): Canvas clears a grade already in its "
                "gradebook for a blank cell. Export per quiz, or choose “0 for no attempt”."
            )
        if self.provisional:
            out.append(
                f"{self.provisional} provisional grade(s) include an essay awaiting grading "
                "and may still change."
            )
        if self.above_maximum and layout == "moodle":
            out.append(
                f"{self.above_maximum} grade(s) above the maximum (extra credit): Moodle caps "
                "them at the grade item's maximum unless the site's “Unlimited grades” "
                "setting (unlimitedgrades) is on."
            )
        elif self.above_maximum:
            out.append(
                f"{self.above_maximum} grade(s) above the maximum (extra credit), exported "
                "as they are; Canvas keeps a score above points possible."
            )
        if self.provisional_left_out:
            out.append(f"{self.provisional_left_out} provisional grade(s) left out until graded.")
        return out


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
    options: ExportOptions | None = None,
    report: ExportReport | None = None,
) -> Table:
    """One quiz's results. The plain layout has everything (attempts, per-question points,
    submission time, provisional flag); Canvas and Moodle get only identity and the grade,
    because every extra column would be imported as a new assignment / grade item."""
    _check_layout(layout)
    if grade_method not in GRADE_METHODS:
        raise ExportError(f"unknown grading method {grade_method!r}")
    options = options or ExportOptions()
    options.check()
    if layout in ("canvas", "moodle"):
        return gradebook_export(
            layout,
            [quiz],
            (GradebookRow(r.student, [r.grade], [r.provisional]) for r in rows),
            options=options,
            report=report,
        )
    report = report if report is not None else ExportReport()
    headers: list[Cell] = [
        "Name",
        "Email",
        "Student number",
        "Section",
        "Attempts",
        f"Grade ({grade_method}) /{_points(quiz.max_points)}",
        *(f"{q.label} /{_points(q.max_points)}" for q in questions),
        "Submitted (UTC)",
        "Provisional",
    ]

    def body() -> Iterator[list[Cell]]:
        for row in rows:
            if len(row.question_points) not in (0, len(questions)):
                raise ExportError(
                    f"{row.student.email}: {len(row.question_points)} question scores "
                    f"for {len(questions)} questions"
                )
            grade, provisional = _cell(row.grade, row.provisional, options, report)
            points = row.question_points or [None] * len(questions)
            if grade is None and row.grade is not None:  # left out while provisional
                points = [None] * len(questions)
            yield [
                *_plain_identity(row.student),
                row.attempts,
                _points(grade),
                *(_points(p) for p in points),
                _utc(row.submitted_at),
                "yes" if provisional else "",
            ]

    return Table(headers, body())


def gradebook_export(
    layout: str,
    quizzes: Sequence[QuizColumn],
    rows: Iterable[GradebookRow],
    *,
    options: ExportOptions | None = None,
    report: ExportReport | None = None,
) -> Table:
    """One row per student, one column per quiz. The plain layout adds the total (the sum
    of the grades as shown; blanks count 0), a percentage and the provisional quizzes;
    Canvas and Moodle compute their own totals. ``report`` collects what the file left out
    or renamed (see :class:`ExportReport`)."""
    _check_layout(layout)
    options = options or ExportOptions()
    options.check()
    report = report if report is not None else ExportReport()
    if layout == "canvas":
        _check_canvas_ids(quizzes)
    max_total = points.total_of_shown(q.max_points for q in quizzes)

    if layout == "canvas":
        titles = [canvas_title(q.title, report) for q in quizzes]
        headers: list[Cell] = [
            *CANVAS_IDENTITY_HEADERS,
            *(f"{t} ({q.canvas_assignment_id})" for t, q in zip(titles, quizzes, strict=True)),
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
            "Provisional",
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
            flags = list(row.provisional) or [False] * len(quizzes)
            cells = [_cell(g, p, options, report) for g, p in zip(row.grades, flags, strict=True)]
            grades = [_points(g) for g, _ in cells]
            report.above_maximum += sum(
                1
                for g, q in zip(grades, quizzes, strict=True)
                if g is not None and g > points.round_half_up(q.max_points)
            )
            if layout == "plain":
                total = points.total_of_shown(grades)
                percentage = _points(100 * total / max_total) if max_total else None
                provisional = "; ".join(
                    q.title for q, (_, p) in zip(quizzes, cells, strict=True) if p
                )
                yield [
                    *_plain_identity(row.student),
                    *grades,
                    _points(total),
                    percentage,
                    provisional,
                ]
                continue
            if all(g is None for g in grades) and not options.all_students:
                report.without_grade += 1
                continue
            if not _lms_identity_ok(layout, row.student, options, report):
                continue
            report.blank_cells += sum(1 for g in grades if g is None)
            if layout == "canvas":
                yield [*_canvas_identity(row.student, report), *grades]
            else:
                s = row.student
                yield [s.email, s.student_number, s.name, *grades]

    return Table(headers, body())


def _cell(
    grade: float | Decimal | None,
    provisional: bool,
    options: ExportOptions,
    report: ExportReport,
) -> tuple[float | Decimal | None, bool]:
    """A grade as the file writes it, and whether it is flagged provisional."""
    if grade is None:
        return (0 if options.no_grade == "zero" else None), False
    if provisional:
        if options.provisional == "leave_out":
            report.provisional_left_out += 1
            return None, False
        report.provisional += 1
    return grade, provisional


def _unsafe(identifier: str) -> bool:
    return identifier.startswith(_FORMULA_TRIGGERS)


def _who(s: StudentInfo) -> str:
    return f"{s.name} <{s.email}>"


def _lms_identity_ok(
    layout: str, s: StudentInfo, options: ExportOptions, report: ExportReport
) -> bool:
    """Whether the row's identifiers can match in the LMS; records why not."""
    if layout == "canvas":
        ids = [s.canvas_user_id, s.student_number, s.sis_login_id or s.email]
    else:
        ids = [s.email, s.student_number]
    if any(_unsafe(i) for i in ids if i):
        report.unsafe_identifiers.append(_who(s))
        return False
    if layout == "moodle" and options.moodle_match == "idnumber" and not s.student_number:
        report.missing_id_number.append(_who(s))
        return False
    return True


def canvas_title(title: str, report: ExportReport) -> str:
    """A quiz title Canvas will not skip as one of its total columns."""
    renamed = _CANVAS_TOTALS_RE.sub(lambda m: "-".join(m.group(0).split()), title)
    if renamed != title:
        report.renamed_columns.append((title, renamed))
    return renamed


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


def _canvas_identity(s: StudentInfo, report: ExportReport) -> list[Cell]:
    name = _POINTS_POSSIBLE_RE.sub(lambda m: "-".join(m.group(0).split()), s.name)
    if name != s.name:
        report.renamed_names.append(_who(s))
    return [name, s.canvas_user_id, s.student_number, s.sis_login_id or s.email, s.section]


def _points(value: float | Decimal | None) -> int | Decimal | None:
    """Points as spreadsheets want them: half up to 2 decimals (app.domain.points), no trailing
    0."""
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
    text = displayable(value if isinstance(value, str) else str(value))
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
