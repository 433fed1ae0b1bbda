"""Bank files: size caps refused early, invisible characters refused, GIFT weights in range.

Issue 22 points 14, 15 and 16.
"""

from __future__ import annotations

import time

import pytest

from app.domain.banks import schema
from app.domain.banks.gift import parse_gift
from app.domain.banks.schema import (
    MAX_OPTION_CHARS,
    MAX_PROMPT_CHARS,
    MAX_QUESTIONS_PER_BANK,
    parse_bank,
)

HEADER = """\
version: 1
bank:
  id: test-bank
  title: "Test bank"
sources:
  - id: art
    title: "Art"
    publication: "Paper"
    text: |
      One is here. Two is here.
      Three is alone.
questions:
"""


def _truefalse(i: int, prompt: str = "True or false: it holds.") -> str:
    return f"""\
  - id: q{i}
    type: truefalse
    prompt: "{prompt}"
    skill: literal
    difficulty: easy
    evidence: [p1]
    answer: false
    explanation: "False, see p1."
"""


def _single(option_a: str, option_b: str = "No", prompt: str = "Pick one") -> str:
    return f"""\
  - id: q1
    type: single
    prompt: "{prompt}"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Because."
    options:
      - {{text: "{option_a}", correct: true}}
      - {{text: "{option_b}"}}
"""


def _errors(text: str) -> list[str]:
    bank, problems = parse_bank(text, filename="b.yaml")
    errors = [str(p) for p in problems if p.severity == "error"]
    assert (bank is None) == bool(errors)
    return errors


def test_a_bank_of_500_questions_loads_and_501_is_refused_with_the_line():
    ok = HEADER + "".join(_truefalse(i) for i in range(MAX_QUESTIONS_PER_BANK))
    assert _errors(ok) == []
    too_many = HEADER + "".join(_truefalse(i) for i in range(MAX_QUESTIONS_PER_BANK + 1))
    assert _errors(too_many) == [
        "b.yaml:12: `questions` has 501 entries; a bank holds at most 500: split it into "
        "several banks"
    ]


def test_a_9000_question_bank_is_refused_before_it_is_read():
    """Before the cap, this file took about 10 s of one worker to check; now a fraction."""
    text = HEADER + "".join(_truefalse(i) for i in range(9058))
    assert len(text.encode()) > 1_500_000
    started = time.perf_counter()
    errors = _errors(text)
    elapsed = time.perf_counter() - started
    assert errors == [
        "b.yaml:12: `questions` has 9,058 entries; a bank holds at most 500: split it into "
        "several banks"
    ]
    assert elapsed < 1.0, f"refusing took {elapsed:.2f} s"


def test_flow_style_lists_are_counted_too():
    items = ", ".join(
        f'{{id: q{i}, type: truefalse, prompt: "P", skill: literal, difficulty: easy, '
        f'evidence: [p1], answer: false, explanation: "E"}}'
        for i in range(3000)
    )
    started = time.perf_counter()
    errors = _errors(HEADER.replace("questions:\n", f"questions: [{items}]\n"))
    assert time.perf_counter() - started < 1.0
    assert errors == [
        "b.yaml:12: `questions` has 3,000 entries; a bank holds at most 500: split it into "
        "several banks"
    ]


def test_any_other_layout_stops_at_the_value_limit(monkeypatch):
    """The backstop while composing: a file can hold only so many YAML values."""
    monkeypatch.setattr(schema, "MAX_YAML_VALUES", 1000)
    errors = _errors(HEADER + "".join(_truefalse(i) for i in range(100)))
    assert len(errors) == 1 and "holds more than 1,000 values" in errors[0]


def test_long_prompts_and_options_are_refused_with_the_line():
    long_prompt = "x" * (MAX_PROMPT_CHARS + 1)
    errors = _errors(HEADER + _single("Yes", prompt=long_prompt))
    assert errors == [
        f"b.yaml:15: q1: `prompt` is {MAX_PROMPT_CHARS + 1:,} characters; at most "
        f"{MAX_PROMPT_CHARS:,}: shorten it"
    ]
    errors = _errors(HEADER + _single("Yes", "y" * (MAX_OPTION_CHARS + 1)))
    assert errors == [
        f"b.yaml:22: q1: `text` is {MAX_OPTION_CHARS + 1:,} characters; at most "
        f"{MAX_OPTION_CHARS:,}: shorten it"
    ]
    errors = _errors(HEADER + _single("Yes", prompt="z" * 200_000))
    assert len(errors) == 1 and "200,000 characters; at most 10,000" in errors[0]


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\\a", "a bell character (BEL)"),
        ("\\e", "an escape character (ESC)"),
        ("\\u202e", "a right-to-left override (U+202E)"),
        ("\\0", "a NUL character"),
    ],
)
def test_control_and_bidi_override_characters_are_refused(char, name):
    errors = _errors(HEADER + _single("Yes", f"No{char}"))
    assert errors == [
        f"b.yaml:22: q1: `text` contains {name} at column 3; remove it (invisible characters "
        "make text read differently than it shows)"
    ]


def test_right_to_left_text_stays_and_text_is_nfc():
    bank, problems = parse_bank(HEADER + _single("نعم", "cafe\u0301"), filename="b.yaml")
    assert bank is not None, problems
    options = bank.questions[0].spec["options"]
    assert [o["text"] for o in options] == ["نعم", "café"]


def test_nfc_and_nfd_spellings_are_one_option():
    errors = _errors(HEADER + _single("café", "cafe\u0301"))
    assert len(errors) == 1 and "duplicate option text" in errors[0]


@pytest.mark.parametrize("weight", ["500", "-200", "101", "-150"])
def test_gift_weights_outside_the_range_are_refused_with_file_and_line(weight):
    text = f"// first\n\n::Q1:: Which? {{=right ~%{weight}%wrong}}\n"
    result = parse_gift(text, filename="w.gift")
    errors = [str(p) for p in result.problems if p.severity == "error"]
    assert result.questions == []
    assert len(errors) == 1
    assert errors[0].startswith("w.gift:3: q1: answer 'wrong' has weight")
    assert "weights must lie between -100% and 100%" in errors[0]


def test_gift_short_answer_weight_over_100_is_refused():
    result = parse_gift("::Q2:: Capital? {=%500%Paris =London}\n", filename="w.gift")
    assert result.questions == []
    assert "weight 500%" in str(result.problems[0])


def test_gift_weights_in_range_still_import():
    result = parse_gift("::Q3:: Ok? {=a ~%-100%b ~%50%c}\n", filename="w.gift")
    assert len(result.questions) == 1
    assert not [p for p in result.problems if p.severity == "error"]


def test_a_gift_file_of_more_than_500_questions_is_refused_before_conversion():
    text = "\n\n".join(f"::Q{i}:: Is {i} even? {{T}}" for i in range(9058))
    started = time.perf_counter()
    result = parse_gift(text, filename="many.gift")
    assert time.perf_counter() - started < 2.0  # the conversion to YAML alone took 2.9 s
    assert result.questions == []
    assert [str(p) for p in result.problems] == [
        "many.gift:1: -: the file has 9,058 questions; a bank holds at most 500: split the file"
    ]
