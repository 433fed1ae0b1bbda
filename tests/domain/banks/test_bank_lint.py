"""Bank-level item-writing lint (L010–L013) and overlap between items (L014)."""

from __future__ import annotations

from app.domain.banks.lint import lint_banks
from tests.support.bank_text import bank_of, single
from tests.support.paths import BANKS

LONG_SECOND = [
    ("Short one", False),
    ("The key, second longest", True),
    ("A much, much longer wrong one", False),
]


def codes(*questions: str, code: str) -> list[tuple[str | None, str]]:
    return [
        (p.question_id, p.code or "") for p in lint_banks([bank_of(*questions)]) if p.code == code
    ]


def messages(*questions: str, code: str) -> list[str]:
    return [p.message for p in lint_banks([bank_of(*questions)]) if p.code == code]


def test_l010_key_length_rank_reports_the_figures() -> None:
    same = [single(f"q{i}", LONG_SECOND) for i in range(6)]
    (message,) = messages(*same, code="L010")
    assert "second-longest option in 6 of 6 single-choice questions (100 %" in message
    assert codes(*same[:5], code="L010") == []  # too few to tell
    varied = [
        *same[:3],
        *(single(f"v{i}", [("The key, the longest", True), ("Wrong", False)]) for i in range(3)),
    ]
    assert codes(*varied, code="L010") == []  # half and half: no pattern


def test_l011_extreme_words_only_in_distractors() -> None:
    questions = [
        single(f"q{i}", [("It is never true", False), ("It is sometimes so", True)])
        for i in range(5)
    ]
    (message,) = messages(*questions, code="L011")
    assert "appear in 5 options, every one a distractor" in message
    keyed = [*questions[:4], single("q9", [("It is always so", True), ("Perhaps", False)])]
    assert codes(*keyed, code="L011") == []


def multiple(qid: str, flags: list[bool]) -> str:
    lines = [
        f"  - id: {qid}",
        "    type: multiple",
        '    prompt: "Which?"',
        "    skill: literal",
        "    difficulty: easy",
        "    evidence: [p1]",
        '    explanation: "Because."',
        "    options:",
    ]
    lines += [
        f'      - {{text: "Option {i} of {qid}", correct: {str(f).lower()}}}'
        for i, f in enumerate(flags)
    ]
    return "\n".join(lines) + "\n"


def test_l012_correct_options_always_first() -> None:
    first = [multiple(f"m{i}", [True, True, False, False]) for i in range(3)]
    assert codes(*first, code="L012") == [(None, "L012")]
    mixed = [*first[:2], multiple("m9", [False, True, True, False])]
    assert codes(*mixed, code="L012") == []
    assert codes(*first[:2], code="L012") == []


def test_l013_hedged_option_always_the_key() -> None:
    hedged = [
        single(
            f"q{i}", [("It may be so, in part", True), ("It is so", False), ("It is not so", False)]
        )
        for i in range(4)
    ]
    (message,) = messages(*hedged, code="L013")
    assert "in 4 of 4 single-choice questions with one hedged option" in message
    one_off = [*hedged[:3], single("q9", [("It may be so", False), ("It is so", True)])]
    assert codes(*one_off, code="L013") == []


SHORT = """\
  - id: s1
    type: short
    prompt: "Which body?"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Because."
    accepted: ["National Executive Committee", "NEC"]
"""


def test_l014_an_option_quoting_another_items_key() -> None:
    quoting = single("q1", [("The National Executive Committee", True), ("The unions", False)])
    assert codes(SHORT, quoting, code="L014") == [("q1", "L014")]
    (message,) = messages(SHORT, quoting, code="L014")
    assert "quotes the key of `s1` (“national executive committee”)" in message
    excluded = quoting.replace(
        "    options:", '    excludes:\n      s1: "Names the body s1 asks for."\n    options:'
    )
    assert codes(SHORT, excluded, code="L014") == []
    # A one-word key without digits ("NEC") is too common to count as a quotation.
    unrelated = single("q2", [("NEC", True), ("TUC", False)])
    assert codes(SHORT, unrelated, code="L014") == []


def test_the_shipped_banks_are_clean_under_the_new_rules() -> None:

    from app.domain.banks.schema import load_bank_paths

    banks, problems = load_bank_paths([BANKS])
    assert problems == []
    assert [
        str(p) for p in lint_banks(banks) if p.code in {"L010", "L011", "L012", "L013", "L014"}
    ] == []
