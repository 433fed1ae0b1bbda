"""Property tests for the parsers tests/domain/ does not fuzz yet, and for the web forms in front of
every parser: whatever a person types or uploads gets an answer or a specific error, never a
crash and never a 500.

Already fuzzed elsewhere (not repeated): bank YAML (tests/domain/banks/test_schema.py), GIFT
(tests/domain/banks/test_gift.py), the article cleaner and source-file round trip
(tests/domain/banks/test_articles.py), the CSV escaper (tests/domain/test_export.py), graders
(tests/domain/test_grading.py).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.banks.articles import SourceFileError, parse_source_file
from app.domain.identities import IdentityError, normalise_email
from app.domain.points import parse_points
from app.domain.quiz_spec import parse_quiz_spec
from app.domain.roster import canonical_email, parse_roster
from app.extensions import db
from app.services import attempts
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.web import post_multipart, upload

# Characters that matter to the parsers: CSV and YAML syntax, quotes, BOMs, full-width forms.
NASTY = st.sampled_from(
    [*",;\"'\n\r\t:-#{}[]|>&*!%@`=+ ", "\ufeff", "\u00a0", "＠", "ｅ", "\x00", "—", "é"]
)
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(NASTY | st.characters(exclude_categories=("Cs",)), max_size=80).map("".join),
)
FUZZ = settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip

QUIZ_SPEC = """\
course: 1
title: "Week 1"
time_limit_minutes: 20
attempts_allowed: 2
slots:
  - question: q-one
    points: 2
  - draw: {bank: b, count: 2, skill: literal}
"""


# --- pure parsers ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.binary(max_size=300)))
def test_roster_parser_never_raises_and_keeps_only_valid_rows(data: str | bytes) -> None:
    rows, problems = parse_roster(data)
    for row in rows:
        assert row.email == canonical_email(row.email) == normalise_email(row.email)
        assert row.name.strip() == row.name and row.name
    assert all(p.line >= 0 and p.message for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.emails(), st.text(max_size=12)),
        min_size=1, max_size=8,
    )
)  # fmt: skip
def test_roster_rows_written_back_as_csv_parse_the_same(
    people: list[tuple[str, str, str]],
) -> None:
    text = "name,email,student id\n" + "".join(
        f'"{n.replace(chr(34), chr(34) * 2)}",{e},"{i.replace(chr(34), chr(34) * 2)}"\n'
        for n, e, i in people
    )
    rows, _ = parse_roster(text)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "student id"])
    for row in rows:
        writer.writerow([row.name, row.email, row.student_number or ""])
    again, problems = parse_roster(out.getvalue())
    assert [(r.name, r.email, r.student_number) for r in again] == [
        (r.name, r.email, r.student_number) for r in rows
    ]
    assert not problems


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_canonical_email_is_idempotent(email: str) -> None:
    once = canonical_email(email)
    assert canonical_email(once) == once
    assert canonical_email(email.upper()) == once or not email.isascii()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.emails(), TEXT))
def test_normalised_emails_are_stable_or_refused(email: str) -> None:
    try:
        once = normalise_email(email)
    except IdentityError as exc:
        assert str(exc)
        return
    assert normalise_email(once) == once


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_quiz_spec_parser_never_raises(text: str) -> None:
    spec, problems = parse_quiz_spec(text)
    assert (spec is None) == bool(problems)
    assert all(p.line >= 1 for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_quiz_spec_parser_never_raises_on_mutated_valid_specs(data: st.DataObject) -> None:
    text = QUIZ_SPEC
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 5))
        text = text[:at] + data.draw(st.text(NASTY, max_size=4)) + text[at + cut :]
    spec, problems = parse_quiz_spec(text)
    assert (spec is None) == bool(problems)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.from_regex(r"-?\d{1,40}(\.\d{1,40})?([eE][-+]?\d{1,12})?", fullmatch=True),
    )
)
def test_points_parser_raises_only_value_error_with_a_message(text: str) -> None:
    try:
        value = parse_points(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert 0 < value <= 1000 and round(value, 2) == value


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.text(max_size=300).map(lambda t: "---\nid: x\n---\n" + t)))
def test_source_file_parser_raises_only_source_file_error(text: str) -> None:
    try:
        doc = parse_source_file(text, filename="fuzz.md")
    except SourceFileError as exc:
        assert exc.line >= 1 if hasattr(exc, "line") else True
    else:
        assert doc.paragraphs


# --- through the web forms ------------------------------------------------------------------


@pytest.fixture
def teacher_world(make: Any, client: Any, login_as: Any) -> Any:
    s = build(make, [specs.essay("f-essay"), specs.single("f-single")], published=True)
    now = datetime.now(UTC)
    attempt = attempts.start_or_resume(s.quiz, s.student, now)
    attempts.answer(attempt, 1, "An essay with enough words in it to grade.", now)
    attempts.submit(attempt, now)
    db.session.commit()
    s.attempt = attempt
    s.essay = attempts.responses_of(attempt)[0]
    login_as(s.teacher)
    return s


@pytest.fixture
def student_attempt(make: Any, client: Any, login_as: Any) -> int:
    s = build(make, specs.all_types(), published=True)
    login_as(s.student)
    return int(client.post(f"/quizzes/{s.quiz.id}/start").headers["Location"].split("/")[-1])


def _ok(r: Any, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code}"
    body = r.get_data(as_text=True)
    assert "Something went wrong" not in body and "Traceback" not in body, what


@FUZZ
@given(text=st.one_of(TEXT, st.binary(max_size=400)))
def test_bank_gift_and_roster_uploads_never_500(teacher_world: Any, client: Any, text: Any) -> None:
    s = teacher_world
    _ok(post_multipart(client, "/teach/banks/upload", {"file": upload(text, "f.yaml")}), "bank")
    _ok(post_multipart(client, "/teach/banks/import-gift",
                       {"file": upload(text, "f.gift"), "bank_id": "fuzz-gift",
                        "title": "Fuzz"}), "gift")  # fmt: skip
    _ok(post_multipart(client, f"/teach/courses/{s.course.id}/roster",
                       {"file": upload(text, "f.csv")}), "roster")  # fmt: skip


@FUZZ
@given(text=TEXT, title=TEXT)
def test_source_import_never_500(teacher_world: Any, client: Any, text: str, title: str) -> None:
    form = {"id": "fuzz-src", "title": title, "publication": "P", "format": "text", "text": text}
    _ok(client.post("/teach/sources/import", data=form), "source import")
    review = {"id": "fuzz-src", "title": title, "publication": "P", "paragraphs": text,
              "preview": "Preview again"}  # fmt: skip
    _ok(client.post("/teach/sources/review", data=review), "source review")


@FUZZ
@given(value=TEXT, number=st.one_of(TEXT, st.integers().map(str)))
def test_quiz_settings_and_slot_forms_never_500(
    teacher_world: Any, client: Any, value: str, number: str
) -> None:
    s = teacher_world
    q = s.quiz.id
    settings_form = {
        "title": value, "description": value, "mode": value, "opens_at": value,
        "closes_at": number, "time_limit_minutes": number, "attempts_allowed": number,
        "grading_method": value, "questions_per_page": number, "review_score": value,
        "review_details": value, "review_show": value, "canvas_assignment_id": value,
    }  # fmt: skip
    _ok(client.post(f"/teach/quizzes/{q}/settings", data=settings_form), "settings")
    slot = s.quiz.slots[0].id
    _ok(client.post(f"/teach/quizzes/{q}/slots/{slot}", data={"points": number}), "slot points")
    _ok(client.post(f"/teach/quizzes/{q}/accommodations",
                    data={"student": number, "extra_minutes": number,
                          "time_multiplier": number, "extra_attempts": number,
                          "closes_at": value}), "accommodations")  # fmt: skip
    _ok(client.post(f"/teach/quizzes/{q}/questions/add",
                    data={"question_ids": number, "points": number}), "add questions")  # fmt: skip


@FUZZ
@given(score=st.one_of(TEXT, st.from_regex(r"-?\d{1,40}\.\d{1,40}", fullmatch=True)), note=TEXT)
def test_grading_forms_never_500(teacher_world: Any, client: Any, score: str, note: str) -> None:
    s = teacher_world
    essay = s.essay.id
    _ok(
        client.post(
            f"/teach/quizzes/{s.quiz.id}/grading/{essay}",
            data={"criterion_0": score, "score": score, "comment": note},
        ),
        "rubric",
    )
    _ok(
        client.post(
            f"/teach/attempts/{s.attempt.id}/responses/{essay}/override",
            data={f"r{essay}-score": score, f"r{essay}-reason": note},
        ),
        "override",
    )
    total = {"total-total": score, "total-reason": note}
    _ok(client.post(f"/teach/attempts/{s.attempt.id}/override", data=total), "attempt override")


@FUZZ
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
), seq=st.one_of(st.integers(), TEXT, st.none(), st.floats()))  # fmt: skip
def test_autosave_never_500_whatever_the_json(
    student_attempt: int, client: Any, value: Any, seq: Any
) -> None:
    for position in range(1, 9):
        r = client.post(f"/attempts/{student_attempt}/responses/{position}",
                        json={"value": value, "seq": seq})  # fmt: skip
        assert r.status_code in (200, 400, 409), (position, value, seq, r.status_code)


def test_a_score_with_more_digits_than_decimal_precision_is_a_clear_error(
    teacher_world: Any, client: Any
) -> None:
    """Found by the fuzzer: 31 significant digits made parse_points raise InvalidOperation."""
    s = teacher_world
    essay = s.essay.id
    long = "228571428571428571428571391.857"
    for url, data in (
        (f"/teach/quizzes/{s.quiz.id}/grading/{essay}", {"criterion_0": long}),
        (f"/teach/attempts/{s.attempt.id}/responses/{essay}/override",
         {f"r{essay}-score": long, f"r{essay}-reason": "x"}),
        (f"/teach/attempts/{s.attempt.id}/override", {"total-total": long, "total-reason": "x"}),
    ):  # fmt: skip
        r = client.post(url, data=data)
        assert r.status_code == 400, (url, r.status_code)
        assert "decimal places" in r.get_data(as_text=True), url
