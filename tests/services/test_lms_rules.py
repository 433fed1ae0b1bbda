"""Every grade-file point of the issue, checked by reading the file back through the models
of Canvas's and Moodle's importers in tests/support/lms_import.py (each test names the rule it
relies on: C1–C5 for Canvas, M1–M4 for Moodle)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from app.domain import points
from app.domain.export import (
    ExportOptions,
    ExportReport,
    GradebookRow,
    QuizColumn,
    QuizResultRow,
    StudentInfo,
    gradebook_export,
    quiz_export,
    stream_csv,
)
from tests.support.lms_import import canvas_import, moodle_import

ANN = StudentInfo("Ann Points Possible", "ann@x.edu", "S1")
BOB = StudentInfo("Bob", "bob@x.edu", "S2")
CAT = StudentInfo("Cat", "cat@x.edu", "")  # no student number
DAN = StudentInfo("Dan", "-dan@x.edu", "-7")  # identifiers that cannot be written as they are
QUIZ = QuizColumn("Essay 1", 10, "101")
FINAL = QuizColumn("Final Score review", 5, "102")
CANVAS_USERS = {
    "ann": {"SIS User ID": "S1", "SIS Login ID": "ann@x.edu"},
    "bob": {"SIS User ID": "S2", "SIS Login ID": "bob@x.edu"},
    "cat": {"SIS Login ID": "cat@x.edu"},
    "dan": {"SIS User ID": "-7", "SIS Login ID": "-dan@x.edu"},
}
MOODLE_USERS = {
    "ann": {"email": "ann@x.edu", "idnumber": "S1"},
    "bob": {"email": "bob@x.edu", "idnumber": "S2"},
    "cat": {"email": "cat@x.edu", "idnumber": ""},
    "dan": {"email": "-dan@x.edu", "idnumber": "-7"},
}


def _csv(table) -> str:
    return "".join(stream_csv(table.headers, table.rows))


def _gradebook(layout, rows, quizzes=(QUIZ,), **options):
    report = ExportReport()
    text = _csv(
        gradebook_export(
            layout, list(quizzes), rows, options=ExportOptions(**options), report=report
        )
    )
    return text, report


# --------------------------------------------------------------------------- Canvas


def test_points_possible_in_a_name_does_not_become_the_points_row() -> None:
    """C3: a raw file with Ann's name first would drop her and make 7 every maximum."""
    raw = "Student,ID,SIS User ID,SIS Login ID,Section,Essay 1 (101)\r\n"
    raw += "    Points Possible,,,,,10\r\nAnn Points Possible,,S1,ann@x.edu,,7\r\n"
    naive = canvas_import(raw, CANVAS_USERS, {}, {"101": 10})
    assert naive.maxima == {"101": 7.0} and "ann" not in naive.grades
    text, report = _gradebook("canvas", [GradebookRow(ANN, [7])])
    result = canvas_import(text, CANVAS_USERS, {}, {"101": 10})
    assert result.maxima == {"101": 10.0} and result.grades["ann"] == {"101": 7.0}
    assert "Ann Points-Possible" in text
    assert any("Points Possible" in m for m in report.messages("canvas"))


def test_a_title_named_like_a_canvas_total_is_renamed_not_ignored() -> None:
    """C2: Canvas skips a column named like "Final Score"; the export renames it and says so."""
    raw = "Student,ID,SIS User ID,SIS Login ID,Section,Final Score review (102)\r\nBob,,S2,,,4\r\n"
    assert canvas_import(raw, CANVAS_USERS, {}, {}).skipped_columns == ["Final Score review (102)"]
    text, report = _gradebook("canvas", [GradebookRow(BOB, [4])], quizzes=[FINAL])
    result = canvas_import(text, CANVAS_USERS, {}, {"102": 5})
    assert result.skipped_columns == [] and result.grades["bob"] == {"102": 4.0}
    assert report.renamed_columns == [("Final Score review", "Final-Score review")]


def test_blank_cells_never_clear_a_canvas_grade_by_default() -> None:
    """C5: a blank clears. By default a student without a grade has no row, so the grade
    Canvas already has stays; "0 for no attempt" writes 0 on purpose."""
    before = {"bob": {"101": 8.0}}
    text, report = _gradebook("canvas", [GradebookRow(ANN, [7]), GradebookRow(BOB, [None])])
    assert canvas_import(text, CANVAS_USERS, before, {}).grades["bob"] == {"101": 8.0}
    assert report.without_grade == 1 and report.blank_cells == 0
    text, _ = _gradebook("canvas", [GradebookRow(BOB, [None])], no_grade="zero")
    assert canvas_import(text, CANVAS_USERS, before, {}).grades["bob"] == {"101": 0.0}
    text, _ = _gradebook("canvas", [GradebookRow(BOB, [None])], all_students=True)
    assert canvas_import(text, CANVAS_USERS, before, {}).grades["bob"] == {"101": None}


def test_a_partly_blank_canvas_gradebook_row_is_reported() -> None:
    """C5 within a row: the blank would clear Canvas's grade, so the export warns."""
    _, report = _gradebook(
        "canvas", [GradebookRow(BOB, [None, 4])], quizzes=[QUIZ, QuizColumn("Q2", 5, "103")]
    )
    assert report.blank_cells == 1
    assert any("Canvas clears" in m for m in report.messages("canvas"))


def test_identifiers_that_cannot_match_are_reported_not_written() -> None:
    """C4/M4: "-7" could only be written as "'-7" (CSV neutralisation), which matches nobody
    in Canvas and aborts a Moodle import; the row is left out and reported by name."""
    rows = [GradebookRow(DAN, [5]), GradebookRow(BOB, [6])]
    text, report = _gradebook("canvas", rows)
    result = canvas_import(text, CANVAS_USERS, {}, {})
    assert result.unknown_rows == [] and set(result.grades) == {"bob"}
    assert report.unsafe_identifiers == ["Dan <-dan@x.edu>"]
    text, _ = _gradebook("moodle", rows)
    moodle = moodle_import(text, MOODLE_USERS, "Email address", "email", {"Essay 1": "e1"})
    assert moodle.error is None and moodle.grades == {"bob": {"e1": 6.0}}
    # The plain file keeps the row, neutralised: it is for people, not for matching.
    plain, _ = _gradebook("plain", rows)
    assert "'-dan@x.edu" in plain and "'-7" in plain


# --------------------------------------------------------------------------- Moodle


def test_moodle_id_number_mapping_never_gives_a_grade_to_the_previous_student() -> None:
    """M2: mapping by ID number, Cat's empty ID number would give her 3 to Bob."""
    rows = [GradebookRow(BOB, [6]), GradebookRow(CAT, [3])]
    unsafe, _ = _gradebook("moodle", rows)  # mapped by email, the file keeps Cat
    wrong = moodle_import(unsafe, MOODLE_USERS, "ID number", "idnumber", {"Essay 1": "e1"})
    assert wrong.grades == {"bob": {"e1": 3.0}}  # what Moodle would do with it
    text, report = _gradebook("moodle", rows, moodle_match="idnumber")
    right = moodle_import(text, MOODLE_USERS, "ID number", "idnumber", {"Essay 1": "e1"})
    assert right.grades == {"bob": {"e1": 6.0}}
    assert report.missing_id_number == ["Cat <cat@x.edu>"]
    by_email = moodle_import(unsafe, MOODLE_USERS, "Email address", "email", {"Essay 1": "e1"})
    assert by_email.grades == {"bob": {"e1": 6.0}, "cat": {"e1": 3.0}}


def test_moodle_blank_is_no_grade() -> None:
    """M3: with "all students", a blank cell imports nothing; the grade stays."""
    text, _ = _gradebook("moodle", [GradebookRow(BOB, [None])], all_students=True)
    result = moodle_import(
        text, MOODLE_USERS, "Email address", "email", {"Essay 1": "e1"}, {"bob": {"e1": 9.0}}
    )
    assert result.grades == {"bob": {"e1": 9.0}}


# --------------------------------------------------------------------------- provisional


@pytest.mark.parametrize("layout", ["canvas", "moodle"])
def test_provisional_grades_are_counted_or_left_out(layout) -> None:
    rows = [GradebookRow(ANN, [4], [True]), GradebookRow(BOB, [6], [False])]
    text, report = _gradebook(layout, rows)
    assert report.provisional == 1 and "4" in text.splitlines()[-2 if layout == "canvas" else 1]
    assert any("provisional" in m for m in report.messages(layout))
    text, report = _gradebook(layout, rows, provisional="leave_out")
    assert report.provisional_left_out == 1 and "ann@x.edu" not in text and "S1" not in text
    if layout == "canvas":
        result = canvas_import(text, CANVAS_USERS, {"ann": {"101": 2.0}}, {})
        assert result.grades["ann"] == {"101": 2.0}  # Canvas keeps its grade for now


def test_provisional_rows_are_flagged_in_plain_files() -> None:
    row = QuizResultRow(ANN, 1, 4, [], provisional=True)
    table = quiz_export("plain", QUIZ, [row, QuizResultRow(BOB, 1, 6)])
    lines = _csv(table).splitlines()
    assert lines[0].endswith(",Provisional") and lines[1].endswith(",yes")
    assert lines[2].endswith(",")


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10.125, "10.13"),
        (9.375, "9.38"),
        (2.675, "2.68"),
        (0.005, "0.01"),
        (7.5, "7.5"),
        (4.0, "4"),
    ],
)
def test_points_round_half_up(value, shown) -> None:
    assert str(points.display(value)) == shown
    text, _ = _gradebook("canvas", [GradebookRow(BOB, [value])])
    assert text.splitlines()[-1].endswith("," + shown)


def test_every_total_is_the_sum_of_the_cells_beside_it() -> None:
    """200 students, eight quizzes with quarter and third points: the plain gradebook's
    Total equals the sum of the shown cells in every row (checked with decimals)."""
    rng = random.Random(16)
    quizzes = [QuizColumn(f"Quiz {i}", 10, str(200 + i)) for i in range(8)]
    rows = [
        GradebookRow(
            StudentInfo(f"S{i}", f"s{i}@x.edu", f"N{i}"),
            [
                None if rng.random() < 0.1 else rng.randint(0, 120) / rng.choice((4, 3, 8))
                for _ in quizzes
            ],
        )
        for i in range(200)
    ]
    text, _ = _gradebook("plain", rows, quizzes=quizzes)
    for line in text.splitlines()[1:]:
        cells = line.split(",")
        grades, total = cells[4:12], cells[12]
        assert sum((Decimal(g) for g in grades if g), Decimal(0)) == Decimal(total), line
