"""Grade exports through the web and the CLI: golden files, Canvas round trip, inert
injection payloads, accents, streaming, the missing-Canvas-id page."""

from __future__ import annotations

import csv
import inspect
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain import export
from app.services import gradebook
from tests.support.class_data import T0, add_attempt, make_quiz, spec

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("HUSTINGS_REGENERATE_GOLDEN") == "1"
BOM = "\ufeff"
HYPERLINK = '=HYPERLINK("http://evil.example/","click")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


@pytest.fixture
def course(make, db):
    """A small course: two graded quizzes, a practice quiz, a hidden quiz; five students, one
    with no attempt, payloads in names, ids and answers, a preview and an open attempt."""
    instructor = make.instructor(email="ada@example.edu", name="Dr Ada Fairweather")
    course = make.course(instructor, title="Reading Political Commentary")
    coups, _, _ = make_quiz(
        make,
        course,
        [spec("coups-1", points=4.0), spec("coups-2", qtype="essay", points=6.0)],
        title='Tale of two coups, "Fantasy Labour" — Corbyn’s',
        canvas_assignment_id="4521",
        grading_method="highest",
        attempts_allowed=0,
    )
    kamikaze, _, _ = make_quiz(
        make,
        course,
        [spec("kami-1", qtype="multiple", points=5.0)],
        title="Kamikaze mission",
        canvas_assignment_id="4522",
        grading_method="average",
        attempts_allowed=0,
    )
    make_quiz(make, course, [spec("warm-1")], title="Warm-up", mode="practice")
    make_quiz(make, course, [spec("draft-1")], title="Draft", published=False)

    people = [
        ("Zoë Ní Dhuibhir", "zoe@example.edu", "S001", "POL101-A"),
        (HYPERLINK, "hyper@example.edu", "+cmd|' /C calc'!A0", "-2+3"),
        ("O’Brien — Seán", "sean@example.edu", "S003", None),
        ("@SUM(1+1)", "at@example.edu", "-42", "POL101-B"),
        ("Tab Person", "tab@example.edu", "S005", "POL101-B"),
    ]
    students = []
    for name, email, number, section in people:
        s = make.student(name=name, email=email)
        s.student_number = number  # as stored before sign-up and rosters refused such ids
        make.enrol(course, s, section=section)
        students.append(s)
    students[4].name = "\tTab\rPerson"  # the account service strips; a roster could not
    db.session.commit()
    zoe, hyper, _sean, at, tab = students
    add_attempt(db, coups, zoe, [("b", 4.0), ("Corbyn’s mandate — é", 3.5)], number=1, minutes=20)
    add_attempt(db, coups, zoe, [("b", 4.0), ("Second try", 2.0)], number=2, minutes=30)
    add_attempt(db, kamikaze, zoe, [(["a"], 2.5)], number=1, minutes=5)
    add_attempt(db, kamikaze, zoe, [(["a", "b"], 5.0)], number=2, minutes=6)
    add_attempt(db, kamikaze, zoe, [(["a"], 0.0)], number=3, state="in_progress")
    add_attempt(db, coups, hyper, [("a", 0.0), ("@SUM(1+1)", 6.0)], number=1, minutes=12)
    add_attempt(db, coups, at, [("b", 4.0), ("=1+1", None)], number=1, minutes=44)
    add_attempt(
        db, kamikaze, tab, [(["b"], 2.5)], number=1, minutes=9, start=T0 + timedelta(days=1)
    )
    add_attempt(db, coups, instructor, [("b", 4.0), ("preview", 6.0)], preview=True)
    return course, coups, kamikaze, instructor


def _golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.csv"
    if REGENERATE:
        path.write_bytes(text.encode("utf-8"))
    assert text == path.read_bytes().decode("utf-8"), name


CASES = [
    ("quiz", "plain"),
    ("quiz", "canvas"),
    ("quiz", "moodle"),
    ("gradebook", "plain"),
    ("gradebook", "canvas"),
    ("gradebook", "moodle"),
]


def _url(kind: str, course, coups) -> str:
    if kind == "quiz":
        return f"/teach/quizzes/{coups.id}/export.csv"
    return f"/teach/courses/{course.id}/gradebook.csv"


@pytest.mark.parametrize(("kind", "layout"), CASES)
def test_web_and_cli_exports_match_golden_files(
    course, client, login_as, runner, tmp_path, kind, layout
) -> None:
    course_, coups, _, instructor = course
    login_as(instructor)
    response = client.get(f"{_url(kind, course_, coups)}?layout={layout}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+\.csv"', disposition)
    assert layout in disposition
    body = response.get_data(as_text=True)
    assert body.startswith(BOM)
    _golden(f"{kind}-{layout}", body)

    target = tmp_path / "out.csv"
    ident = str(coups.id if kind == "quiz" else course_.id)
    result = runner.invoke(args=["export", kind, ident, "--layout", layout, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().decode("utf-8") == body

    plain = client.get(f"{_url(kind, course_, coups)}?layout={layout}&no_bom=y")
    assert plain.get_data(as_text=True) == body[1:]
    result = runner.invoke(args=["export", kind, ident, "--layout", layout, "--no-bom"])
    assert result.exit_code == 0 and result.stdout_bytes == body[1:].encode("utf-8")


@pytest.mark.parametrize(("kind", "layout"), CASES)
def test_payloads_come_out_inert_and_accents_survive(
    course, client, login_as, kind, layout
) -> None:
    course_, coups, _, instructor = course
    login_as(instructor)
    body = client.get(f"{_url(kind, course_, coups)}?layout={layout}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.removeprefix(BOM), newline="")))
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                float(cell)  # only real numbers may start with "-" (none here are negative)
                pytest.fail(f"live formula cell {cell!r}")
    flat = [cell for row in rows for cell in row]
    if layout == "plain":
        assert "'" + HYPERLINK in flat and "'@SUM(1+1)" in flat
        assert "'\tTab\rPerson" in flat and "O’Brien — Seán" in flat
    else:
        # Their student numbers (+cmd…, -42) could only be written neutralised, which no LMS
        # matches: those rows are left out and reported (tests/services/test_lms_rules.py).
        assert not any("hyper@" in c or "at@example" in c for c in flat)
    assert "Zoë Ní Dhuibhir" in flat


def _canvas_import(text: str) -> tuple[dict[str, float], dict[str, dict[str, float | None]]]:
    """Read a gradebook CSV the way Canvas's importer documents it: assignment columns are
    those named "… (id)", the row whose first cell is "Points Possible" (whitespace allowed)
    gives the maxima, students are found by ID, else SIS User ID, else SIS Login ID; an empty
    cell changes nothing."""
    reader = csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    header = next(reader)
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    columns = {}
    for i, name in enumerate(header[5:], start=5):
        match = re.search(r"\((\d+)\)\s*$", name)
        assert match, f"column {name!r} would create a new assignment"
        columns[i] = match.group(1)
    points: dict[str, float] = {}
    grades: dict[str, dict[str, float | None]] = {}
    for row in reader:
        if row[0].strip() == "Points Possible":
            points = {columns[i]: float(row[i]) for i in columns}
            continue
        who = row[1] or row[2] or row[3]
        assert who, f"row {row} matches no Canvas user"
        grades[who] = {columns[i]: float(row[i]) if row[i] else None for i in columns}
    return points, grades


def test_canvas_file_round_trips_through_canvas_rules(course, client, login_as) -> None:
    course_, _coups, _kamikaze, instructor = course
    login_as(instructor)
    body = client.get(f"/teach/courses/{course_.id}/gradebook.csv?layout=canvas").get_data(
        as_text=True
    )
    points, grades = _canvas_import(body)
    assert points == {"4521": 10.0, "4522": 5.0}
    assert grades["S001"] == {"4521": 7.5, "4522": 3.75}  # highest; average of 2.5 and 5
    # Seán has no grade: no row, so Canvas keeps what it has. "-42" and "+cmd…" cannot match:
    # left out and reported. Tab has only a Kamikaze grade.
    assert set(grades) == {"S001", "S005"}
    assert grades["S005"] == {"4521": None, "4522": 2.5}


def test_missing_canvas_ids_get_a_clear_page(course, client, login_as, db, runner) -> None:
    course_, coups, kamikaze, instructor = course
    kamikaze.canvas_assignment_id = None
    coups.canvas_assignment_id = "abc"
    db.session.commit()
    login_as(instructor)
    response = client.get(f"/teach/courses/{course_.id}/gradebook.csv?layout=canvas")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    missing = page.split('id="missing-quizzes"')[1].split("</ul>")[0]
    assert "Kamikaze mission" in missing and "is not a number" in missing
    assert f"/teach/quizzes/{kamikaze.id}/settings" in missing
    assert client.get(f"/teach/quizzes/{coups.id}/export.csv?layout=canvas").status_code == 409
    result = runner.invoke(args=["export", "gradebook", str(course_.id), "--layout", "canvas"])
    assert result.exit_code != 0 and "Kamikaze mission" in result.output


def test_bad_layout_is_a_clear_400(course, client, login_as) -> None:
    _, coups, _, instructor = course
    login_as(instructor)
    response = client.get(f"/teach/quizzes/{coups.id}/export.csv?layout=excel")
    assert response.status_code == 400
    assert "Choose one of the listed options" in response.get_data(as_text=True)


def test_cli_errors(runner, app) -> None:
    assert "no quiz with id 999" in runner.invoke(args=["export", "quiz", "999"]).output
    bad = runner.invoke(args=["export", "gradebook", "1", "--layout", "excel"])
    assert bad.exit_code == 2 and "excel" in bad.output


def test_response_streams_header_first(course, client, login_as) -> None:
    course_, _coups, _, instructor = course
    login_as(instructor)
    response = client.get(f"/teach/courses/{course_.id}/gradebook.csv")
    assert response.is_streamed
    assert response.get_data(as_text=True).count("\r\n") == 6
    # The rows are produced lazily: the header goes out before any row is read.
    headers, rows = gradebook.gradebook_table(course_, "plain")
    chunks = export.stream_csv(headers, rows)
    assert next(chunks).startswith(BOM + "Name,Email")
    assert inspect.getgeneratorstate(rows) == inspect.GEN_CREATED  # no row read yet
    assert "".join(chunks).count("\r\n") == 5


def test_unsafe_filenames_are_sanitised(course, client, login_as, db) -> None:
    _, coups, _, instructor = course
    coups.title = '../../etc/passwd"; x=\r\nSet-Cookie: a=b'
    db.session.commit()
    login_as(instructor)
    response = client.get(f"/teach/quizzes/{coups.id}/export.csv")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+\.csv"', disposition)
    assert all("a=b" not in value for _, value in response.headers.items())


def test_export_page_says_what_the_lms_files_will_leave_out(course, client, login_as) -> None:
    course_, coups, _, instructor = course
    login_as(instructor)
    page = client.get(f"/teach/courses/{course_.id}/exports").get_data(as_text=True)
    notes = page.split('id="notes-heading"')[1].split("</section>")[0]
    assert "1 provisional grade</strong>" in notes  # "-42"'s essay awaits grading
    assert "hyper@example.edu" in notes and "at@example.edu" in notes  # cannot match
    assert "'=HYPERLINK" not in page  # names are escaped as text, never live
    for field in ("no_grade", "provisional", "moodle_match", "all_students"):
        assert f'name="{field}"' in page
    bad = client.get(f"/teach/quizzes/{coups.id}/export.csv?layout=canvas&no_grade=maybe")
    assert bad.status_code == 400 and "Choose one of the listed options" in bad.get_data(True)


def test_options_reach_the_file_on_the_web_and_the_cli(course, client, login_as, runner) -> None:
    _course, coups, _, instructor = course
    login_as(instructor)
    url = f"/teach/quizzes/{coups.id}/export.csv?layout=moodle"
    zero = client.get(url + "&no_grade=zero&all_students=y").get_data(as_text=True)
    assert "sean@example.edu,S003,O’Brien — Seán,0" in zero  # no attempt: 0, on request
    flagged = client.get(f"/teach/quizzes/{coups.id}/export.csv?layout=plain").get_data(True)
    (line,) = [x for x in flagged.splitlines() if "at@example.edu" in x]
    assert line.endswith(",yes")  # "-42": essay awaiting grading
    result = runner.invoke(
        args=["export", "quiz", str(coups.id), "--layout", "canvas", "--provisional", "leave-out"]
    )
    assert result.exit_code == 0, result.output
    assert "at@example.edu" not in result.stdout
    assert "warning: hyper" not in result.stdout  # warnings go to standard error
    assert "cannot be written so that the LMS matches it" in result.stderr
    assert "student(s) without any grade left out" in result.stderr
