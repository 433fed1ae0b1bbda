"""Grade exports: exact output per layout, Canvas round trip, CSV injection, streaming."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.export import (
    LAYOUTS,
    ExportError,
    GradebookRow,
    MissingCanvasIds,
    QuestionColumn,
    QuizColumn,
    QuizResultRow,
    StudentInfo,
    gradebook_export,
    neutralise,
    quiz_export,
    safe_filename,
    stream_csv,
)

ZOE = StudentInfo("Zoë Ní Dhuibhir", "zoe@example.edu", "S001", "POL101-A", "zni")
EVIL = StudentInfo('=HYPERLINK("http://x","y")', "evil@example.edu", "-2+3", "@SUM(A1)")
COUPS = QuizColumn("Tale of two coups — ‘close reading’", 10, "4521")
KAMIKAZE = QuizColumn("Kamikaze mission", 5, "4522")
QUESTIONS = [QuestionColumn("Q1", 4), QuestionColumn("Q2", 6)]
RESULTS = [
    QuizResultRow(ZOE, 2, 7.5, [4, 3.5], datetime(2016, 9, 24, 11, 30)),
    QuizResultRow(EVIL, 1, None),
]
GRADEBOOK = [GradebookRow(ZOE, [7.5, 4]), GradebookRow(EVIL, [None, 2.25])]
EVIL_NAME = '"\'=HYPERLINK(""http://x"",""y"")"'

GOLDEN_QUIZ = {
    "plain": (
        "\ufeffName,Email,Student number,Section,Attempts,Grade (highest) /10,Q1 /4,Q2 /6,"
        "Submitted (UTC),Provisional\r\n"
        "Zoë Ní Dhuibhir,zoe@example.edu,S001,POL101-A,2,7.5,4,3.5,2016-09-24T11:30:00Z,\r\n"
        f"{EVIL_NAME},evil@example.edu,'-2+3,'@SUM(A1),1,,,,,\r\n"
    ),
    "canvas": (
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,"
        "Tale of two coups — ‘close reading’ (4521)\r\n"
        "    Points Possible,,,,,10\r\n"
        "Zoë Ní Dhuibhir,,S001,zni,POL101-A,7.5\r\n"
    ),
    "moodle": (
        "\ufeffEmail address,ID number,Full name,Tale of two coups — ‘close reading’\r\n"
        "zoe@example.edu,S001,Zoë Ní Dhuibhir,7.5\r\n"
    ),
}
GOLDEN_GRADEBOOK = {
    "plain": (
        "\ufeffName,Email,Student number,Section,Tale of two coups — ‘close reading’ /10,"
        "Kamikaze mission /5,Total /15,Percentage,Provisional\r\n"
        "Zoë Ní Dhuibhir,zoe@example.edu,S001,POL101-A,7.5,4,11.5,76.67,\r\n"
        f"{EVIL_NAME},evil@example.edu,'-2+3,'@SUM(A1),,2.25,2.25,15,\r\n"
    ),
    "canvas": (
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,"
        "Tale of two coups — ‘close reading’ (4521),Kamikaze mission (4522)\r\n"
        "    Points Possible,,,,,10,5\r\n"
        "Zoë Ní Dhuibhir,,S001,zni,POL101-A,7.5,4\r\n"
    ),
    "moodle": (
        "\ufeffEmail address,ID number,Full name,Tale of two coups — ‘close reading’,"
        "Kamikaze mission\r\n"
        "zoe@example.edu,S001,Zoë Ní Dhuibhir,7.5,4\r\n"
    ),
}


def _csv(table) -> str:
    headers, rows = table
    return "".join(stream_csv(headers, rows))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_quiz_export_golden(layout: str) -> None:
    assert _csv(quiz_export(layout, COUPS, RESULTS, questions=QUESTIONS)) == GOLDEN_QUIZ[layout]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradebook_export_golden(layout: str) -> None:
    assert _csv(gradebook_export(layout, [COUPS, KAMIKAZE], GRADEBOOK)) == GOLDEN_GRADEBOOK[layout]


def test_plain_export_details() -> None:
    aware = datetime(2016, 9, 24, 13, 30, tzinfo=timezone(timedelta(hours=2)))
    row = QuizResultRow(ZOE, 1, Decimal("6.666"), [Decimal("2.5"), 4.0], aware)
    _, rows = quiz_export("plain", COUPS, [row], questions=QUESTIONS, grade_method="average")
    assert next(rows)[-5:-1] == [Decimal("6.67"), Decimal("2.5"), 4, "2016-09-24T11:30:00Z"]
    with pytest.raises(ExportError):
        quiz_export("plain", COUPS, [], grade_method="best")
    _, rows = quiz_export("plain", COUPS, [QuizResultRow(ZOE, 1, 3, [1])], questions=QUESTIONS)
    with pytest.raises(ExportError, match="1 question scores for 2 questions"):
        next(rows)


def test_unknown_layout() -> None:
    with pytest.raises(ExportError, match="unknown layout"):
        gradebook_export("excel", [COUPS], [])


def test_canvas_needs_every_assignment_id() -> None:
    quizzes = [COUPS, QuizColumn("No id", 5), QuizColumn("Bad id", 5, "abc")]
    with pytest.raises(MissingCanvasIds) as caught:
        gradebook_export("canvas", quizzes, GRADEBOOK)
    assert caught.value.titles == ("No id", "Bad id")
    assert "No id, Bad id" in str(caught.value)
    # Raised when the export is built, before a response starts streaming.
    with pytest.raises(MissingCanvasIds):
        quiz_export("canvas", QuizColumn("No id", 5), iter(()))


# ----------------------------------------------------------------- Canvas round trip

CANVAS_IDENTITY = {"Student", "Student Name", "ID", "SIS User ID", "SIS Login ID", "Section"}
CANVAS_READ_ONLY = re.compile(r"^(Current|Final|Unposted Current|Unposted Final) (Score|Points)")
CANVAS_ASSIGNMENT = re.compile(r"^(?P<title>.*) \((?P<id>\d+)\)\s*$")


def parse_canvas_gradebook(data: bytes) -> dict:
    """A reader written to Canvas's documented gradebook-import rules.

    - UTF-8 (a BOM is allowed); RFC 4180 quoting; the first row is the header.
    - A student is found by ID (Canvas user id), else SIS User ID, else SIS Login ID; the
      Student and Section columns are shown in the preview but not used for matching.
    - An assignment column is matched to an existing assignment by the id in parentheses at
      the end of its header; read-only columns (Current/Final Score…) are ignored.
    - A row whose first cell is "Points Possible" (surrounding spaces allowed) is not a student.
    - A blank score cell means no score.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader)
    assert {"SIS Login ID", "Section"} <= set(header), "Canvas requires these columns"
    assignments: dict[str, dict] = {}
    for index, name in enumerate(header):
        if name in CANVAS_IDENTITY or CANVAS_READ_ONLY.match(name):
            continue
        match = CANVAS_ASSIGNMENT.match(name)
        assert match, f"column {name!r} would create a new assignment"
        assignments[match["id"]] = {"title": match["title"], "index": index, "points": None}
    scores: dict[tuple[str, str], dict[str, float | None]] = {}
    for row in reader:
        cells = dict(zip(header, row, strict=True))
        if row[0].strip() == "Points Possible":
            for a in assignments.values():
                a["points"] = float(row[a["index"]])
            continue
        key = next(
            (field, cells[field])
            for field in ("ID", "SIS User ID", "SIS Login ID")
            if cells.get(field, "").strip()
        )
        scores[key] = {
            aid: (float(row[a["index"]]) if row[a["index"]].strip() else None)
            for aid, a in assignments.items()
        }
    return {"assignments": assignments, "scores": scores}


def test_canvas_file_reads_back_under_canvas_rules() -> None:
    data = _csv(gradebook_export("canvas", [COUPS, KAMIKAZE], GRADEBOOK)).encode("utf-8")
    parsed = parse_canvas_gradebook(data)
    assert {aid: (a["title"], a["points"]) for aid, a in parsed["assignments"].items()} == {
        "4521": ("Tale of two coups — ‘close reading’", 10.0),
        "4522": ("Kamikaze mission", 5.0),
    }
    assert parsed["scores"] == {
        ("SIS User ID", "S001"): {"4521": 7.5, "4522": 4.0},
    }  # EVIL's student number "-2+3" could only be written as "'-2+3": left out, reported


def test_canvas_prefers_canvas_user_id_then_login() -> None:
    rows = [
        GradebookRow(StudentInfo("A", "a@x.edu", canvas_user_id="77"), [1]),
        GradebookRow(StudentInfo("B", "b@x.edu"), [2]),
    ]
    parsed = parse_canvas_gradebook(_csv(gradebook_export("canvas", [COUPS], rows)).encode())
    assert set(parsed["scores"]) == {("ID", "77"), ("SIS Login ID", "b@x.edu")}


# ----------------------------------------------------------------- injection and encoding

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_come_out_inert(payload: str) -> None:
    student = StudentInfo(payload, payload, payload, payload)
    quiz = QuizColumn(payload, 10, "1")
    for layout in LAYOUTS:
        text = _csv(gradebook_export(layout, [quiz], [GradebookRow(student, [5])]))
        cells = [c for row in csv.reader(io.StringIO(text[1:], newline="")) for c in row]
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\0")), (layout, cell)
        assert f"'{payload}" in cells or f"'{payload} (1)" in cells


def test_accents_and_typographic_marks_survive_utf8_with_bom() -> None:
    text = _csv(gradebook_export("plain", [COUPS], [GradebookRow(ZOE, [1])]))
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    decoded = data.decode("utf-8-sig")
    for mark in ("ë", "í", "’", "‘", "—"):
        assert mark in decoded
    assert "é" in _csv(gradebook_export("plain", [QuizColumn("Résumé", 1)], []))
    assert not "".join(stream_csv(["a"], [], bom=False)).startswith("\ufeff")


def test_neutralise_examples() -> None:
    assert neutralise("=1") == "'=1"
    assert neutralise("'=1") == "'=1"
    assert neutralise("plain text") == "plain text"
    assert neutralise(-2) == -2 and isinstance(neutralise(-2.5), float)
    assert neutralise(Decimal("-1.5")) == Decimal("-1.5")
    assert neutralise(None) == ""
    assert neutralise(True) == "True"


# ----------------------------------------------------------------- properties

numbers = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)
cells = st.one_of(st.text(), numbers, st.none())


@given(cells)
def test_neutralise_is_idempotent(value) -> None:
    once = neutralise(value)
    assert neutralise(once) == once


@given(numbers)
def test_numbers_stay_numbers(value) -> None:
    out = neutralise(value)
    assert type(out) is type(value)
    assert out == value


@given(st.text())
def test_text_never_starts_a_formula(value: str) -> None:
    assert not str(neutralise(value)).startswith(("=", "+", "-", "@", "\t", "\r", "\0"))


@given(
    st.lists(cells, min_size=1, max_size=5),
    st.lists(st.lists(cells, min_size=1, max_size=5), max_size=20),
)
def test_stream_csv_parses_back_to_the_neutralised_cells(headers, rows) -> None:
    text = "".join(stream_csv(headers, rows))
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))
    expected = [[str(neutralise(c)) for c in row] for row in [headers, *rows]]
    assert parsed == expected
    assert text.endswith("\r\n")  # CRLF record ends (exact bytes: the golden tests)


@given(st.text())
def test_safe_filename_is_always_safe(name: str) -> None:
    result = safe_filename(name)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.csv", result)
    assert ".." not in result


def test_safe_filename_examples() -> None:
    assert safe_filename("Tale of two coups — ‘Fantasy Labour’") == (
        "Tale-of-two-coups-Fantasy-Labour.csv"
    )
    assert safe_filename('../../etc/passwd"\r\n') == "etc-passwd.csv"
    assert safe_filename("C:\\grades\\Résumé.CSV") == "C-grades-Resume.csv"
    assert safe_filename("") == "export.csv"
    assert safe_filename("…") == "export.csv"


# ----------------------------------------------------------------- streaming


def test_streaming_is_lazy_and_chunked() -> None:
    endless = (GradebookRow(ZOE, [i % 10]) for i in itertools.count())
    headers, rows = gradebook_export("plain", [COUPS], endless)  # returns at once
    chunks = stream_csv(headers, rows)
    first = next(chunks)
    assert first.startswith("\ufeffName,")
    sizes = [len(next(chunks)) for _ in range(50)]  # would never end if not lazy
    assert max(sizes) < 9000


def test_large_export_is_complete() -> None:
    rows = (GradebookRow(ZOE, [i % 11]) for i in range(20_000))
    text = _csv(gradebook_export("plain", [COUPS], rows))
    assert text.count("\r\n") == 20_001
