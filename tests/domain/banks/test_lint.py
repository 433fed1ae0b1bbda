"""Bank linter: each warning code fires on a weak item, stays quiet on a good one, and honours
`lint_ignore`."""

from __future__ import annotations

from app.domain.banks.lint import LINT_CODES, lint_banks
from app.domain.banks.schema import Bank, load_bank_file, parse_bank
from tests.support.bank_text import HEADER, bank_of, single
from tests.support.paths import BANKS, FIXTURES

GOOD = [("Paris", True), ("Lyon", False), ("Nice", False)]


def codes(bank: Bank) -> list[tuple[str | None, str | None]]:
    return [(p.question_id, p.code) for p in lint_banks([bank])]


def test_a_good_question_has_no_warnings() -> None:
    assert lint_banks([bank_of(single("q1", GOOD))]) == []


def test_warnings_are_warnings_with_documented_codes() -> None:
    bank = bank_of(single("q1", [("All of the above", True), ("x", False)], evidence="[]"))
    problems = lint_banks([bank])
    assert problems
    for problem in problems:
        assert problem.severity == "warning"
        assert problem.code in LINT_CODES
        assert str(problem).startswith("lint.yaml:")
        assert f"warning: {problem.message} [{problem.code}]" in str(problem)
    readme = (BANKS / "README.md").read_text()
    for code in LINT_CODES:
        assert f"`{code}`" in readme


def test_l001_key_always_in_the_same_position() -> None:
    same = [single(f"q{i}", GOOD) for i in range(4)]
    problems = lint_banks([bank_of(*same)])
    assert [(p.question_id, p.code, p.line) for p in problems] == [(None, "L001", 18)]
    assert "option a in all 4" in problems[0].message
    assert codes(bank_of(*same[:3])) == []  # too few questions to tell
    varied = [*same[:3], single("q3", [("Lyon", False), ("Paris", True)])]
    assert codes(bank_of(*varied)) == []


def test_l002_longest_option_is_the_key() -> None:
    long_key = [("The capital city of the French Republic", True), ("Lyon", False)]
    assert codes(bank_of(single("q1", long_key))) == [("q1", "L002")]
    close = [("Paris, France", True), ("Lyon, France", False)]
    assert codes(bank_of(single("q1", close))) == []
    long_distractor = [("Paris", True), ("The capital city of the French Republic", False)]
    assert codes(bank_of(single("q1", long_distractor))) == []


def test_l003_all_or_none_of_the_above() -> None:
    for text in ("All of the above", "none of the above", "Both of these"):
        options = [("Paris", True), ("Lyon", False), (text, False)]
        assert codes(bank_of(single("q1", options))) == [("q1", "L003")], text


def test_l004_near_duplicate_options() -> None:
    options = [("Paris", True), ("The party split", False), ("The party split.", False)]
    bank, problems = parse_bank(HEADER + single("q1", options), filename="lint.yaml")
    assert bank is not None, problems  # not an exact duplicate: valid, but warned
    assert codes(bank) == [("q1", "L004")]
    options = [("Paris", True), ("Corbyn won the vote easily", False),
               ("Corbyn won the vote easily.!", False)]  # fmt: skip
    assert ("q1", "L004") in codes(bank_of(single("q1", options)))


def test_l005_negative_stem_without_emphasis() -> None:
    assert codes(bank_of(single("q1", GOOD, prompt="Which is not a city?"))) == [("q1", "L005")]
    # "at least" asks for a minimum, not the one option that is false
    assert codes(bank_of(single("q1", GOOD, prompt="Which names at least two parties?"))) == []
    assert codes(bank_of(single("q1", GOOD, prompt="Which is the least likely?"))) == [
        ("q1", "L005")
    ]
    assert codes(bank_of(single("q1", GOOD, prompt="All EXCEPT which?"))) == []
    assert codes(bank_of(single("q1", GOOD, prompt="Which is <strong>not</strong> one?"))) == []
    quoted = "“They need not worry.” What does this mean?"
    assert codes(bank_of(single("q1", GOOD, prompt=quoted))) == []
    assert codes(bank_of(single("q1", GOOD, prompt="Is it true or not only partly?"))) == []


def test_l006_no_evidence_reference() -> None:
    assert codes(bank_of(single("q1", GOOD, evidence="[]"))) == [("q1", "L006")]
    evidence_question = """\
  - id: q2
    type: evidence
    prompt: "Which paragraph?"
    skill: evidence
    difficulty: easy
    explanation: "Because."
    select: paragraph
    key: [p2]
"""
    assert codes(bank_of(evidence_question)) == []


def test_l007_unused_skills_only_in_big_banks() -> None:
    skills = ["literal", "vocabulary", "inference", "argument", "evidence", "rhetoric"]
    questions = [
        single(f"q{i}", GOOD if i % 2 else [("Lyon", False), ("Paris", True)], skill=skills[i % 6])
        for i in range(9)
    ]
    # (Only L007 here: the bank-wide length-rank pattern, L010, is tested in test_bank_lint.)
    problems = [p for p in lint_banks([bank_of(*questions)]) if p.code != "L010"]
    assert [(p.code, p.line) for p in problems] == [("L007", 2)]
    assert problems[0].message.endswith("no question on: perspective, fact-opinion")
    assert [p for p in lint_banks([bank_of(*questions[:8])]) if p.code != "L010"] == []


def test_l008_evidence_key_too_broad() -> None:
    broad = """\
  - id: q1
    type: evidence
    prompt: "Which paragraphs?"
    skill: evidence
    difficulty: easy
    explanation: "Because."
    select: paragraph
    key: [p1, p2, p3]
"""
    assert codes(bank_of(broad)) == [("q1", "L008")]
    assert codes(bank_of(broad.replace("[p1, p2, p3]", "[p1, p2]"))) == []


def test_l009_every_option_correct() -> None:
    question = single("q1", [("Paris", True), ("Lyon", True)]).replace("single", "multiple")
    assert codes(bank_of(question)) == [("q1", "L009")]


def test_lint_ignore_with_reason_silences_a_code() -> None:
    extra = '    lint_ignore: [L006, L002]\n    lint_reason: "A recall question."'
    long_key = [("The capital city of the French Republic", True), ("Lyon", False)]
    assert codes(bank_of(single("q1", long_key, evidence="[]", extra=extra))) == []
    assert codes(bank_of(single("q1", long_key, evidence="[]"))) == [
        ("q1", "L002"),
        ("q1", "L006"),
    ]


def test_lint_ignore_of_an_unknown_code_is_flagged() -> None:
    extra = '    lint_ignore: [L999]\n    lint_reason: "Typo."'
    assert codes(bank_of(single("q1", GOOD, extra=extra))) == [("q1", "L000")]


def test_position_bias_can_be_accepted_by_every_question() -> None:
    extra = '    lint_ignore: [L001]\n    lint_reason: "Options are shuffled."'
    same = [single(f"q{i}", GOOD, extra=extra) for i in range(4)]
    assert codes(bank_of(*same)) == []


def test_fixture_bank_lints_quietly_except_documented_cases() -> None:
    bank, _ = load_bank_file(FIXTURES / "all_types.yaml")
    assert bank is not None
    # Nine questions (one per type) leave three reading skills untested: L007 is informational.
    assert codes(bank) == [(None, "L007"), ("fx-short", "L006")]


def test_bank_level_lint_ignore_silences_bank_warnings_only() -> None:
    same = [single(f"q{i}", GOOD) for i in range(4)]
    accepted = HEADER.replace(
        '  title: "Lint bank"\n',
        '  title: "Lint bank"\n  lint_ignore: [L001]\n  lint_reason: "Shuffled per attempt."\n',
    )
    bank, problems = parse_bank(accepted + "".join(same), filename="lint.yaml")
    assert bank is not None, [str(p) for p in problems]
    assert codes(bank) == []
    assert codes(bank_of(*same)) == [(None, "L001")]


def test_bank_level_lint_ignore_needs_a_reason() -> None:
    text = HEADER.replace('  title: "Lint bank"\n', '  title: "Lint bank"\n  lint_ignore: [L007]\n')
    bank, problems = parse_bank(text + single("q1", GOOD), filename="lint.yaml")
    assert bank is None
    assert any("needs a `lint_reason`" in p.message for p in problems)
