"""The quiz spec parser (pure) and the points parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.points import parse_points
from app.domain.quiz_spec import parse_quiz_spec

GOOD = """\
version: 1
join_code: demopol1
title: "Week 3"
settings:
  mode: practice
  opens_at: 2026-11-01T09:00Z
  closes_at: 2026-11-08 17:00
  time_limit_minutes: 30
  attempts_allowed: 0
  grading_method: average
  shuffle_questions: yes
  canvas_assignment_id: "123"
  review_policy: {score: immediately, details: after_close, show: [key, evidence]}
sources: [two-coups]
slots:
  - question: tc-triumvirate
    points: 2.5
    page: 2
  - draw: {bank: two-coups-reading, skill: inference, difficulty: medium, type: single}
    count: 3
"""


def test_good_spec_parses_every_field():
    spec, problems = parse_quiz_spec(GOOD)
    assert problems == []
    assert spec is not None
    assert spec.join_code == "demopol1" and spec.title == "Week 3"
    assert spec.settings["mode"] == "practice"
    assert spec.settings["opens_at"] == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert spec.settings["closes_at"] == datetime(2026, 11, 8, 17, 0, tzinfo=UTC)
    assert spec.settings["attempts_allowed"] == 0
    assert spec.settings["shuffle_questions"] is True
    assert spec.settings["canvas_assignment_id"] == "123"
    assert spec.settings["review_policy"]["show"] == ["key", "evidence"]
    assert spec.sources == ["two-coups"]
    first, second = spec.slots
    assert (first.question, first.points, first.page, first.line) == ("tc-triumvirate", 2.5, 2, 16)
    assert (second.draw_bank, second.draw_skill, second.count, second.line) == (
        "two-coups-reading",
        "inference",
        3,
        19,
    )


def test_every_error_is_reported_with_its_line():
    text = """\
course: 3
join_code: X
title: ""
settings:
  mode: exam
  time_limit_minutes: soon
  colour: red
slots:
  - question: a
    count: 2
  - draw: {skill: inference}
  - points: 1
  - question: b
    points: 1.234
"""
    spec, problems = parse_quiz_spec(text)
    assert spec is None
    lines = {(p.line, p.message.split(":")[0].split(" ")[0]) for p in problems}
    messages = [f"{p.line}: {p.message}" for p in problems]
    assert any(m.startswith("2: give either course or join_code") for m in messages), messages
    assert any(m.startswith("3: title must not be empty") for m in messages)
    assert any(m.startswith("5: settings.mode must be one of graded, practice") for m in messages)
    assert any(
        m.startswith("6: settings.time_limit_minutes must be a whole number") for m in messages
    )
    assert any(m.startswith("7: settings: unknown key “colour”") for m in messages)
    assert any(m.startswith("10: count only applies to a draw") for m in messages)
    assert any(m.startswith("11: draw: bank is missing") for m in messages)
    assert any(m.startswith("12: a slot needs either question") for m in messages)
    assert any(m.startswith("14: points: Use at most 2 decimal places") for m in messages)
    assert lines  # sorted and complete
    assert [p.line for p in problems] == sorted(p.line for p in problems)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty"),
        ("- just\n- a list\n", 1, "mapping"),
        ("title: [unclosed\n", 2, "not valid YAML"),
        ("title: T\ncourse: 1\n", 1, "slots is missing"),
        ("title: T\ncourse: 1\nslots: []\n", 3, "at least one"),
        ("title: T\ncourse: -4\nslots: [{question: a}]\n", 2, "whole number"),
        ("title: T\ncourse: 1\nversion: 2\nslots: [{question: a}]\n", 3, "version must be 1"),
        (
            "title: T\ncourse: 1\nslots: [{question: a}]\nsettings: {opens_at: tomorrow}\n",
            4,
            "date and time",
        ),
    ],
)
def test_bad_files(text, line, fragment):
    spec, problems = parse_quiz_spec(text)
    assert spec is None
    assert problems[0].line == line
    assert fragment in problems[0].message
    assert problems[0].format("q.yaml").startswith(f"q.yaml:{line}: ")


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1.0), (" 2.50 ", 2.5), ("0.25", 0.25), ("3.500", 3.5), ("1e1", 10)]
)
def test_parse_points_accepts(raw, expected):
    assert parse_points(raw, 10) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a number"),
        ("abc", "not a number"),
        ("1.234", "2 decimal places"),
        ("-1", "greater than 0"),
        ("0", "greater than 0"),
        ("11", "At most 10"),
        ("nan", "finite"),
        ("inf", "finite"),
    ],
)
def test_parse_points_refuses(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_points(raw, 10)


def test_parse_points_zero_allowed_for_grades():
    assert parse_points("0", 4, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="from 0 to 4"):
        parse_points("-0.5", 4, allow_zero=True)
