"""The numeric question type: reading what students type, checking bank files, grading,
the key shown in review, and GIFT out and back in."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.attempt_view import InvalidAnswer, answer_display, clean_value, form_value
from app.domain.banks.gift import export_gift_with_report, gift_to_bank_yaml, parse_gift
from app.domain.banks.schema import parse_bank
from app.domain.grading import grade
from app.domain.question_types.numeric import format_number, parse_number

BANK = """\
version: 1
bank:
  id: numbers
  title: "Numbers"
sources:
  - id: art
    title: "Art"
    publication: "Paper"
    text: "The party was founded in 1822."
questions:
  - id: year
    type: numeric
    prompt: "In what year was the party founded?"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Paragraph 1 says 1822."
    feedback_wrong: "Read paragraph 1 again."
"""


def bank_with(answers: str) -> tuple[Any, list[Any]]:
    return parse_bank(BANK + answers, filename="numbers.yaml")


def spec_with(answers: str) -> dict[str, Any]:
    bank, problems = bank_with(answers)
    assert bank is not None, [str(p) for p in problems]
    return bank.questions[0].spec


YEAR = """\
    answers:
      - {value: 1822, feedback: "Exactly."}
      - {value: 1822, tolerance: 2, credit: 0.5, feedback: "Close."}
      - {min: 1800, max: 1850, credit: 0.25}
"""


# --------------------------------------------------------------------------- what students type


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1822", 1822),
        (" 1822 ", 1822),
        ("1,822", 1822),
        ("1,234,567.5", 1234567.5),
        ("1 822", 1822),
        ("1\u202f822", 1822),  # a narrow no-break space between thousands
        ("1.5e3", 1500),
        ("1.5E-3", 0.0015),
        ("-3.5", -3.5),
        ("\u22123.5", -3.5),  # a typographic minus
        ("+4", 4),
        (".5", 0.5),
        ("5.", 5),
        ("\uff11\uff18\uff12\uff12", 1822),  # full-width digits
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, number: float) -> None:
    assert parse_number(typed) == pytest.approx(number)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1822 years", "without units or words"),
        ("about 1822", "without units or words"),
        ("50%", "without units or words"),
        ("1,5", "Use a point for decimals"),
        ("1,8222", "Use a point for decimals"),
        ("12,34", "Use a point for decimals"),
        ("1.2.3", "Type a number"),
        ("--3", "Type a number"),
        ("1e99999", "Type a number"),
        ("1e400", "too large"),
        (".", "Type a number"),
        ("1" * 101, "too long"),
        ("nan", "without units or words"),
        ("inf", "without units or words"),
    ],
)
def test_what_is_not_a_number_gets_a_message_saying_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(InvalidAnswer, match=message):
        parse_number(typed)


def test_blank_is_unanswered_and_values_are_stored_as_numbers() -> None:
    spec = spec_with(YEAR)
    assert clean_value(spec, "   ") is None
    assert clean_value(spec, "") is None
    assert clean_value(spec, "1,822") == 1822
    assert isinstance(clean_value(spec, "1,822"), int)
    assert clean_value(spec, "0.1") == 0.1
    assert clean_value(spec, 2.5) == 2.5
    for bad in (True, ["1822"], {"v": 1}, math.inf, math.nan):
        with pytest.raises(InvalidAnswer):
            clean_value(spec, bad)


def test_the_plain_form_sends_the_typed_text() -> None:
    spec = spec_with(YEAR)
    assert form_value(spec, 3, lambda name: ["1,822"] if name == "q3" else []) == "1,822"


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_a_stored_number_reads_back_as_itself(number: float) -> None:
    assert parse_number(format_number(number)) == float(format_number(number))
    assert float(format_number(number)) == number


# --------------------------------------------------------------------------- bank files


def test_canonical_spec() -> None:
    spec = spec_with(YEAR)
    assert spec["answers"] == [
        {"value": 1822, "tolerance": 0, "min": 1822, "max": 1822, "credit": 1.0,
         "feedback": "Exactly."},
        {"value": 1822, "tolerance": 2, "min": 1820, "max": 1824, "credit": 0.5,
         "feedback": "Close."},
        {"value": None, "tolerance": None, "min": 1800, "max": 1850, "credit": 0.25,
         "feedback": ""},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("    answers: []\n", "`answers` needs at least 1 entries"),
        ("    answers:\n      - {tolerance: 2}\n", "an answer needs `value`"),
        ("    answers:\n      - {min: 1}\n", "an answer needs `value`"),
        ("    answers:\n      - {value: 1, min: 0, max: 2}\n", "either `value`"),
        ("    answers:\n      - {min: 0, max: 2, tolerance: 1}\n", "`tolerance` goes with `value`"),
        ("    answers:\n      - {value: 1, tolerance: -1}\n", "`tolerance` cannot be negative"),
        ("    answers:\n      - {min: 5, max: 1}\n", "`max` (1) is less than `min` (5)"),
        ('    answers:\n      - {value: "1,822"}\n', "`value` must be a number"),
        ("    answers:\n      - {value: 1822, credit: 0.5}\n", "no answer gives full credit"),
        ("    answers:\n      - {value: 1822, credit: 2}\n", "`credit` must be more than 0"),
        ("    answers:\n      - {value: 2}\n      - {min: 2, max: 2}\n", "the same numbers"),
        ("    answers:\n      - {value: 2, units: cm}\n", "unknown key `units`"),
        ("    options: []\n    answers:\n      - {value: 2}\n", "`options` is not used"),
        ('    accepted: ["x"]\n', "is missing `answers`"),
    ],
)
def test_bank_problems_are_reported_with_their_line(answers: str, message: str) -> None:
    bank, problems = bank_with(answers)
    assert bank is None
    assert any(message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.line > 1 for p in problems)


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize(
    ("response", "fraction", "state", "feedback"),
    [
        (1822, 1.0, "correct", ("Exactly.",)),
        ("1,822", 1.0, "correct", ("Exactly.",)),
        (1823.5, 0.5, "partial", ("Close.",)),
        (1820, 0.5, "partial", ("Close.",)),
        (1849, 0.25, "partial", ()),
        (1799.99, 0.0, "wrong", ("Read paragraph 1 again.",)),
        (-1822, 0.0, "wrong", ("Read paragraph 1 again.",)),
        ("not a number", 0.0, "unanswered", ()),
        (None, 0.0, "unanswered", ()),
        (True, 0.0, "unanswered", ()),
        ([1822], 0.0, "unanswered", ()),
    ],
)
def test_the_best_credit_among_the_answers_that_hold_the_number(
    response: Any, fraction: float, state: str, feedback: tuple[str, ...]
) -> None:
    result = grade(spec_with(YEAR), response)
    assert (result.fraction, result.state, result.feedback) == (fraction, state, feedback)


def test_floats_within_rounding_count_as_equal() -> None:
    spec = spec_with("    answers:\n      - {value: 0.3}\n")
    assert grade(spec, 0.1 + 0.2).state == "correct"
    assert grade(spec, 0.30001).state == "wrong"
    spec = spec_with("    answers:\n      - {value: 3.1415, tolerance: 0.0005}\n")
    assert grade(spec, "3.141").state == "correct"
    assert grade(spec, "3.142").state == "correct"
    assert grade(spec, "3.1425").state == "wrong"


def test_the_key_and_the_answer_as_instructors_see_them() -> None:
    from app.domain.attempt_view import _key

    assert _key(spec_with(YEAR)) == {
        "answers": [
            {"text": "1822", "credit": 1.0},
            {"text": "1822 ± 2", "credit": 0.5},
            {"text": "1800 to 1850", "credit": 0.25},
        ]
    }
    assert answer_display(spec_with(YEAR), 1822) == {"kind": "text", "items": ["1822"]}
    assert answer_display(spec_with(YEAR), 0.5) == {"kind": "text", "items": ["0.5"]}


# --------------------------------------------------------------------------- GIFT out and in


def test_gift_export_writes_moodle_numerical_and_reads_back_the_same_spec() -> None:
    spec = spec_with(YEAR)
    text, problems = export_gift_with_report([spec])
    assert "\t#\n\t=%100%1822:0#Exactly.\n\t=%50%1822:2#Close.\n\t=%25%1800..1850\n" in text
    assert "\t~#Read paragraph 1 again.\n" in text
    assert [p.message for p in problems] == [
        "not expressible in GIFT, dropped: evidence references"
    ]
    result = parse_gift(text)
    assert [p.message for p in result.problems if p.severity == "error"] == []
    source = {"id": "art", "title": "Art", "publication": "Paper", "text": "Founded in 1822."}
    yaml_text = gift_to_bank_yaml(result, bank_id="back", title="Back", sources=[source])
    bank, problems = parse_bank(yaml_text, filename="back.yaml")
    assert bank is not None, [str(p) for p in problems]
    again = bank.questions[0].spec
    assert again["answers"] == spec["answers"]
    assert again["feedback_wrong"] == spec["feedback_wrong"]


def test_gift_export_warns_about_credits_moodle_refuses() -> None:
    spec = spec_with("    answers:\n      - {value: 1}\n      - {value: 2, credit: 0.45}\n")
    _text, problems = export_gift_with_report([spec])
    assert any("credit 0.45" in p.message and "Moodle will refuse" in p.message for p in problems)
