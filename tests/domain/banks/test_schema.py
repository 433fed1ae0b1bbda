"""Bank files: parsing, validation with exact lines, safety, canonical specs, student view."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.banks.schema import (
    DIFFICULTIES,
    FORMAT_VERSION,
    QUESTION_TYPES,
    SKILLS,
    Bank,
    Problem,
    content_hash,
    load_bank_file,
    load_bank_paths,
    parse_bank,
    student_view,
)
from tests.support.paths import BANKS, FIXTURES

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

SINGLE = """\
  - id: q1
    type: single
    prompt: "Pick one"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Because."
    options:
      - {text: "Yes", correct: true}
      - {text: "No"}
"""

TWO_SOURCES = HEADER.replace(
    "questions:\n",
    """\
  - id: other
    title: "Other"
    publication: "Paper"
    text: "Only one paragraph here."
questions:
""",
)


def parse(text: str) -> tuple[Bank | None, list[Problem]]:
    return parse_bank(text, filename="bank.yaml")


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `marker` (so tests assert exact lines)."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    return hits[occurrence - 1]


def only_error(text: str) -> Problem:
    bank, problems = parse(text)
    assert bank is None
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def question(body: str = SINGLE, **replace: str) -> str:
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    return HEADER + body


# --------------------------------------------------------------------------- the happy path


def test_constants_follow_the_readme() -> None:
    assert FORMAT_VERSION == 1
    assert list(SKILLS) == [
        "literal",
        "vocabulary",
        "inference",
        "argument",
        "evidence",
        "rhetoric",
        "perspective",
        "fact-opinion",
        "comparison",
    ]
    assert DIFFICULTIES == ("easy", "medium", "hard")
    assert set(QUESTION_TYPES) == {
        "single",
        "multiple",
        "truefalse",
        "short",
        "matching",
        "ordering",
        "evidence",
        "essay",
        "numeric",
    }


def test_fixture_with_every_type_loads_to_canonical_specs() -> None:
    bank, problems = load_bank_file(FIXTURES / "all_types.yaml")
    assert problems == []
    assert bank is not None
    assert (bank.id, bank.title, bank.description) == (
        "fixture-bank",
        "Fixture bank",
        "Every question type once.",
    )
    assert [s.id for s in bank.sources] == ["short"]
    assert [q.type for q in bank.questions] == list(QUESTION_TYPES)
    by_id = {q.id: q for q in bank.questions}
    common = {
        "id", "type", "prompt", "points", "skill", "difficulty", "evidence", "explanation",
        "source", "feedback_correct", "feedback_partial", "feedback_wrong",
    }  # fmt: skip
    for q in bank.questions:
        assert common <= set(q.spec)
        assert isinstance(q.spec["points"], float)
        assert q.content_hash == content_hash(q.spec)
    single = by_id["fx-single"].spec
    assert by_id["fx-single"].line == 10
    assert single["evidence"] == ["short:p4"]
    assert single["options"][0] == {"id": "a", "text": "The fourth", "correct": True,
                                    "feedback": "Yes."}  # fmt: skip
    assert [o["id"] for o in single["options"]] == ["a", "b", "c"]
    assert single["prompt"] == "Which paragraph is <em>last</em>?"
    assert by_id["fx-multiple"].spec["points"] == 1.5
    assert by_id["fx-truefalse"].spec["answer"] is True
    assert by_id["fx-truefalse"].spec["evidence"] == ["short:p4.s1"]
    assert by_id["fx-short"].spec["accepted"] == [
        {"text": "Test Gazette", "credit": 1.0, "feedback": ""},
        {"text": "Gazette", "credit": 0.5, "feedback": "Nearly: give the full name."},
    ]
    matching = by_id["fx-matching"].spec
    assert [p["id"] for p in matching["pairs"]] == ["1", "2", "3"]
    assert matching["distractors"] == [{"id": "d1", "text": "five"}]
    assert [i["id"] for i in by_id["fx-ordering"].spec["items"]] == ["a", "b", "c", "d"]
    evidence = by_id["fx-evidence"].spec
    assert evidence["key"] == ["short:p3.s1", "short:p4.s1"]
    assert evidence["source"] == "short"
    assert evidence["select"] == "sentence"
    assert evidence["max_selections"] == 3
    assert evidence["feedback_for"] == {"short:p3.s1": "Two words."}
    essay = by_id["fx-essay"].spec
    assert essay["rubric"][1] == {"criterion": "Style", "points": 1.0, "description": ""}
    assert (essay["min_words"], essay["max_words"]) == (10, 200)


def test_content_hash_is_stable_and_changes_with_content() -> None:
    first, _ = parse(question())
    again, _ = parse(question())
    changed, _ = parse(question(**{'"Pick one"': '"Pick one!"'}))
    assert first and again and changed
    assert first.questions[0].content_hash == again.questions[0].content_hash
    assert first.questions[0].content_hash != changed.questions[0].content_hash


def test_readme_example_is_valid() -> None:
    readme = (BANKS / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    base = BANKS
    bank, problems = parse_bank(example, filename="example.yaml", base_dir=base)
    assert problems == []
    assert bank is not None
    assert bank.questions[0].spec["evidence"] == ["two-coups:p17"]


def test_embedded_source_is_split_into_paragraphs() -> None:
    bank, problems = parse(question())
    assert problems == [] and bank is not None
    source = bank.sources[0]
    assert source.paragraphs == ("One is here. Two is here.", "Three is alone.")
    assert source.sentences(1) == ("One is here.", "Two is here.")
    assert source.author is None


def test_problem_formatting() -> None:
    assert str(Problem("b.yaml", 3, "q1", "bad")) == "b.yaml:3: q1: bad"
    assert str(Problem("b.yaml", 3, None, "bad")) == "b.yaml:3: bad"
    warning = Problem("b.yaml", 4, "q2", "odd", severity="warning", code="L003")
    assert str(warning) == "b.yaml:4: q2: warning: odd [L003]"


# --------------------------------------------------------------------------- text fields


@pytest.mark.parametrize(
    ("value", "reads_as"),
    [
        ("No", "true/false"),
        ("on", "true/false"),
        ("yes", "true/false"),
        ("12:30", "whole number"),
        ("2016-09-25", "date"),
        ("1e3", "number"),
        ("42", "whole number"),
        ("3.5", "number"),
        ("~", "null"),
        ("null", "null"),
    ],
)
def test_unquoted_non_text_in_text_field_is_an_error_with_a_quote_hint(
    value: str, reads_as: str
) -> None:
    text = question(**{'prompt: "Pick one"': f"prompt: {value}"})
    problem = only_error(text)
    assert problem.line == line_of(text, "prompt:")
    assert problem.question_id == "q1"
    assert reads_as in problem.message
    assert f'put it in quotes: "{value}"' in problem.message


def test_quoted_values_are_fine() -> None:
    for value in ('"No"', '"12:30"', '"2016-09-25"', "'1e3'", '"~"'):
        bank, problems = parse(question(**{'"Pick one"': value}))
        assert problems == [], value
        assert bank is not None


def test_empty_prompt_is_an_error() -> None:
    text = question(**{'prompt: "Pick one"': "prompt:"})
    problem = only_error(text)
    assert (problem.line, problem.message) == (line_of(text, "prompt:"), "`prompt` has no value")


def test_option_text_must_be_text() -> None:
    text = question(**{'{text: "No"}': "{text: No}"})
    problem = only_error(text)
    assert problem.line == line_of(text, "{text: No}")
    assert "quotes" in problem.message


def test_html_is_sanitised_and_templates_stay_literal() -> None:
    prompt = '"<em>Why</em> <script>alert(1)</script><b onclick=\\"x()\\">{{ config }}</b> & <a href=\\"javascript:x\\">me</a>"'  # noqa: E501
    bank, problems = parse(question(**{'"Pick one"': prompt}))
    assert problems == [] and bank is not None
    assert bank.questions[0].spec["prompt"] == "<em>Why</em> <b>{{ config }}</b> &amp; me"


def test_text_that_is_only_disallowed_html_is_empty() -> None:
    text = question(**{'"Pick one"': '"<script>x</script>"'})
    problem = only_error(text)
    assert problem.line == line_of(text, "prompt:")
    assert "empty once disallowed HTML is removed" in problem.message


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("replace", "marker", "message"),
    [
        ({"skill: literal": "skill: literal\n    points: 0"}, "points: 0", "greater than 0"),
        ({"skill: literal": "skill: literal\n    points: -1"}, "points: -1", "greater than 0"),
        ({"skill: literal": "skill: literal\n    points: 1.234"}, "points: 1.234", "2 decimals"),
        ({"skill: literal": 'skill: literal\n    points: "2"'}, "points:", "must be a number"),
        ({"skill: literal": "skill: literal\n    points: .inf"}, "points:", "must be a number"),
        ({"skill: literal": "skill: literal\n    points: [1]"}, "points:", "must be a number"),
        ({"skill: literal": "skill: litteral"}, "skill:", "did you mean `literal`?"),
        ({"difficulty: easy": "difficulty: trivial"}, "difficulty:", "easy, medium, hard"),
        ({"type: single": "type: singel"}, "type:", "did you mean `single`?"),
        ({"explanation:": 'explanaton: "x"\n    explanation:'}, "explanaton:", "did you mean"),
        ({"skill: literal": "skill: literal\n    answer: true"}, "answer:", "truefalse"),
        ({'{text: "No"}': '{text: "No", correct: true}'}, "options:", "exactly one"),
        ({'{text: "Yes", correct: true}': '{text: "Yes"}'}, "options:", "exactly one"),
        ({'\n      - {text: "No"}': ""}, "options:", "at least 2"),
        ({'{text: "No"}': '{text: " yes "}'}, '{text: " yes "}', "duplicate option text"),
        ({'{text: "No"}': '"No"'}, '- "No"', "mapping with `text:`"),
        ({'{text: "No"}': '{text: "No", correct: "false"}'}, '"false"', "true or false"),
        ({'{text: "No"}': '{text: "No", feedbak: "x"}'}, "feedbak", "did you mean `feedback`?"),
        ({"evidence: [p1]": "evidence: [para1]"}, "evidence:", "not an evidence reference"),
        ({"evidence: [p1]": "evidence: [p9]"}, "evidence:", "has no paragraph 9 (it has 2)"),
        ({"evidence: [p1]": "evidence: [p1.s3]"}, "evidence:", "has no sentence 3 (it has 2)"),
        ({"evidence: [p1]": "evidence: [p0]"}, "evidence:", "not an evidence reference"),
        ({"evidence: [p1]": "evidence: [nope:p1]"}, "evidence:", "unknown source `nope`"),
        ({"evidence: [p1]": "evidence: [p1, art:p1]"}, "evidence:", "listed twice"),
        ({"evidence: [p1]": "evidence: p1"}, "evidence:", "must be a list"),
        ({"evidence: [p1]": "evidence: [p1]\n    source: nope"}, "source:", "not a source"),
        (
            {"evidence: [p1]": "evidence: [p1]\n    lint_ignore: [L002]"},
            "lint_ignore:",
            "needs a `lint_reason`",
        ),
        (
            {"evidence: [p1]": 'evidence: [p1]\n    lint_ignore: [X1]\n    lint_reason: "x"'},
            "lint_ignore:",
            "not a linter code",
        ),
        ({"evidence: [p1]": 'evidence: [p1]\n    lint_reason: "x"'}, "lint_reason", "without"),
        (
            {"skill: literal": "skill: literal\n    skill: inference"},
            "skill: inference",
            "duplicate key `skill` (first given on line",
        ),
    ],
)
def test_invalid_question_is_reported_at_its_line(
    replace: dict[str, str], marker: str, message: str
) -> None:
    text = question(**replace)
    problem = only_error(text)
    assert problem.line == line_of(text, marker), str(problem)
    assert problem.question_id == "q1"
    assert message in problem.message, str(problem)
    assert str(problem).startswith(f"bank.yaml:{problem.line}: q1: ")


@pytest.mark.parametrize("bad_id", ["Q1", "q 1", "q1/x", "-q1", '"q1:x"', "1.5", "x" * 101])
def test_invalid_question_ids(bad_id: str) -> None:
    text = question(**{"id: q1": f"id: {bad_id}"})
    bank, problems = parse(text)
    assert bank is None
    assert problems[0].line == line_of(text, f"id: {bad_id}")
    assert problems[0].question_id is None
    assert "`id`" in problems[0].message


def test_missing_required_fields_are_reported_at_the_question() -> None:
    text = HEADER + "  - id: q1\n    type: single\n    options: []\n"
    bank, problems = parse(text)
    assert bank is None
    messages = {p.message for p in problems}
    for field in ("prompt", "skill", "difficulty", "explanation"):
        assert f"the question is missing `{field}`" in messages
    assert all(p.line == line_of(text, "id: q1") for p in problems if "missing" in p.message)


def test_duplicate_question_ids_in_a_file() -> None:
    text = question(SINGLE + SINGLE)
    problem = only_error(text)
    assert problem.line == line_of(text, "id: q1", 2)
    assert f"first on line {line_of(text, 'id: q1')}" in problem.message


def test_all_problems_are_reported_at_once_sorted_by_line() -> None:
    text = question(
        SINGLE + SINGLE.replace("q1", "q2"),
        **{"skill: literal": "skill: wrong", "difficulty: easy": "difficulty: no"},
    )
    bank, problems = parse(text)
    assert bank is None
    assert len(problems) == 4
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert [p.question_id for p in problems] == ["q1", "q1", "q2", "q2"]


MULTIPLE = SINGLE.replace("type: single", "type: multiple")


def test_multiple_needs_a_correct_option() -> None:
    text = question(MULTIPLE, **{'{text: "Yes", correct: true}': '{text: "Yes"}'})
    problem = only_error(text)
    assert problem.line == line_of(text, "options:")
    assert "at least one option" in problem.message


def test_multiple_allows_several_correct() -> None:
    bank, problems = parse(question(MULTIPLE, **{'{text: "No"}': '{text: "No", correct: true}'}))
    assert problems == [] and bank is not None


TRUEFALSE = """\
  - id: q1
    type: truefalse
    prompt: "True?"
    skill: literal
    difficulty: easy
    evidence: [p2]
    explanation: "Because."
    answer: false
    feedback_true: "No."
"""


def test_truefalse() -> None:
    bank, problems = parse(question(TRUEFALSE))
    assert problems == [] and bank is not None
    spec = bank.questions[0].spec
    assert (spec["answer"], spec["feedback_true"], spec["feedback_false"]) == (False, "No.", "")
    text = question(TRUEFALSE, **{"answer: false": 'answer: "false"'})
    assert only_error(text).line == line_of(text, "answer:")
    text = question(TRUEFALSE, **{"    answer: false\n": ""})
    assert "missing `answer`" in only_error(text).message


SHORT = """\
  - id: q1
    type: short
    prompt: "Who?"
    skill: literal
    difficulty: easy
    evidence: [p2]
    explanation: "Because."
    accepted:
      - "Jeremy Corbyn"
      - {text: "Corbyn", credit: 0.5}
"""


@pytest.mark.parametrize(
    ("replace", "marker", "message"),
    [
        ({"credit: 0.5": "credit: 0"}, "credit:", "more than 0 and at most 1"),
        ({"credit: 0.5": "credit: 1.5"}, "credit:", "more than 0 and at most 1"),
        ({'"Corbyn"': '"jeremy  CORBYN!"'}, "jeremy", "matches the same answers"),
        ({'"Corbyn"': '"?!"'}, '"?!"', "only punctuation"),
        ({'      - "Jeremy Corbyn"\n': ""}, "accepted:", "no accepted answer gives full credit"),
        ({"accepted:": "accepted: []\n    x:"}, "accepted:", "at least 1"),
    ],
)
def test_short_answer_rules(replace: dict[str, str], marker: str, message: str) -> None:
    text = question(SHORT, **replace)
    bank, problems = parse(text)
    assert bank is None
    assert any(p.line == line_of(text, marker) and message in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_short_partial_only_is_fine_with_manual_review() -> None:
    text = question(
        SHORT,
        **{'      - "Jeremy Corbyn"\n': "", "accepted:": "manual_review: true\n    accepted:"},
    )
    bank, problems = parse(text)
    assert problems == [] and bank is not None
    assert bank.questions[0].spec["manual_review"] is True


MATCHING = """\
  - id: q1
    type: matching
    prompt: "Match."
    skill: argument
    difficulty: easy
    evidence: [p2]
    explanation: "Because."
    pairs:
      - {left: "A", right: "x"}
      - {left: "B", right: "y"}
    distractors: ["z"]
"""


def test_matching_rules() -> None:
    bank, problems = parse(question(MATCHING))
    assert problems == [] and bank is not None
    text = question(MATCHING, **{'{left: "B"': '{left: "a"'})
    assert only_error(text).line == line_of(text, '{left: "a"')
    text = question(MATCHING, **{'["z"]': '["x"]'})
    assert "repeats a right-hand text" in only_error(text).message
    text = question(MATCHING, **{'      - {left: "B", right: "y"}\n': ""})
    problem = only_error(text)
    assert (problem.line, "at least 2" in problem.message) == (line_of(text, "pairs:"), True)
    text = question(MATCHING, **{'{left: "B", right: "y"}': '{left: "B"}'})
    assert only_error(text).message == "the pair is missing `right`"


ORDERING = """\
  - id: q1
    type: ordering
    prompt: "Order."
    skill: argument
    difficulty: easy
    evidence: [p2]
    explanation: "Because."
    items: ["first", "second", "third"]
"""


def test_ordering_rules() -> None:
    bank, problems = parse(question(ORDERING))
    assert problems == [] and bank is not None
    text = question(ORDERING, **{'"third"': '"First"'})
    assert "duplicate item" in only_error(text).message
    text = question(ORDERING, **{'["first", "second", "third"]': '["only"]'})
    assert "at least 2" in only_error(text).message


EVIDENCE = """\
  - id: q1
    type: evidence
    prompt: "Which?"
    skill: evidence
    difficulty: easy
    explanation: "Because."
    select: paragraph
    key: [p1]
"""


@pytest.mark.parametrize(
    ("replace", "marker", "message"),
    [
        ({"key: [p1]": "key: [p1.s1]"}, "key:", "must be a paragraph (p4)"),
        ({"select: paragraph": "select: sentence"}, "key:", "must be a sentence (p4.s2)"),
        ({"select: paragraph": "select: word"}, "select:", "not one of paragraph, sentence"),
        ({"key: [p1]": "key: []"}, "key:", "at least 1"),
        ({"key: [p1]": "key: [p1, p2]\n    max_selections: 1"}, "max_selections", "smaller"),
        ({"key: [p1]": 'key: [p1]\n    feedback_for: {p7: "x"}'}, "feedback_for", "paragraph 7"),
        ({"key: [p1]": 'key: [p1]\n    feedback_for: {p1.s1: "x"}'}, "feedback_for", "p4"),
        ({"key: [p1]": "key: [p1]\n    options: []"}, "options:", "belongs to single/multiple"),
    ],
)
def test_evidence_rules(replace: dict[str, str], marker: str, message: str) -> None:
    text = question(EVIDENCE, **replace)
    problem = only_error(text)
    assert problem.line == line_of(text, marker), str(problem)
    assert message in problem.message


def test_multi_source_refs_need_a_prefix() -> None:
    text = TWO_SOURCES + SINGLE
    problem = only_error(text)
    assert problem.line == line_of(text, "evidence: [p1]")
    assert "needs a source prefix" in problem.message
    bank, problems = parse(TWO_SOURCES + SINGLE.replace("[p1]", "[other:p1, art:p2]"))
    assert problems == [] and bank is not None
    assert bank.questions[0].spec["evidence"] == ["other:p1", "art:p2"]
    # a question's own `source:` lets its references drop the prefix
    bank, problems = parse(TWO_SOURCES + SINGLE.replace("[p1]", "[p1]\n    source: other"))
    assert problems == [] and bank is not None
    assert bank.questions[0].spec["evidence"] == ["other:p1"]


def test_evidence_question_in_multi_source_bank() -> None:
    text = TWO_SOURCES + EVIDENCE
    bank, problems = parse(text)
    assert bank is None
    assert any(
        "needs `source:`" in p.message and p.line == line_of(text, "id: q1") for p in problems
    )
    bank, problems = parse(
        TWO_SOURCES + EVIDENCE.replace("key: [p1]", "source: art\n    key: [p2]")
    )
    assert problems == [] and bank is not None
    assert bank.questions[0].spec["key"] == ["art:p2"]
    text = TWO_SOURCES + EVIDENCE.replace("key: [p1]", "source: art\n    key: [other:p1]")
    assert "not in the question's source `art`" in only_error(text).message


ESSAY = """\
  - id: q1
    type: essay
    prompt: "Discuss."
    points: 3
    skill: perspective
    difficulty: hard
    evidence: [p1]
    explanation: "Open."
    rubric:
      - {criterion: "Claim", points: 2}
      - {criterion: "Style", points: 1.5}
"""


def test_essay_rubric_must_add_up() -> None:
    text = question(ESSAY)
    problem = only_error(text)
    assert problem.line == line_of(text, "rubric:")
    assert "add up to 3.5 but the question is worth 3 points" in problem.message
    bank, problems = parse(question(ESSAY, **{"points: 1.5": "points: 1"}))
    assert problems == [] and bank is not None
    text = question(
        ESSAY,
        **{"points: 1.5": "points: 1", "rubric:": "min_words: 9\n    max_words: 3\n    rubric:"},
    )
    assert only_error(text).line == line_of(text, "max_words")


def test_no_questions_is_fine_and_version_is_checked() -> None:
    bank, problems = parse(HEADER.replace("questions:", "questions: []"))
    assert problems == [] and bank is not None and bank.questions == ()
    text = HEADER.replace("version: 1", "version: 2") + SINGLE
    problem = only_error(text)
    assert (problem.line, problem.question_id) == (1, None)
    assert "unknown format version 2" in problem.message
    text = HEADER.replace("version: 1\n", "") + SINGLE
    assert only_error(text).message == "the bank file is missing `version`"


def test_unknown_top_level_and_bank_keys() -> None:
    text = HEADER.replace("questions:", "questoins:")
    bank, problems = parse(text)
    assert bank is None
    assert any("did you mean `questions`" in p.message for p in problems)
    text = HEADER.replace("  title:", "  titel:")
    assert any(p.line == 4 and "did you mean `title`" in p.message for p in parse(text)[1])


# --------------------------------------------------------------------------- YAML safety


@pytest.mark.parametrize(
    ("yaml_text", "line", "message"),
    [
        ("version: 1\nbank: &b {id: x}\n", 2, "anchors"),
        ("version: 1\na: &a [1]\nb: *a\n", 2, "anchors"),
        ("version: 1\nbank: *a\n", 2, "aliases"),
        ("version: 1\nbank: !!python/object/apply:os.system ['echo hi']\n", 2, "tags"),
        ("version: 1\nbank: !foo x\n", 2, "tags"),
        ("version: 1\nbank: !!str x\n", 2, "tags"),
        ("version: 1\nbank: ! x\n", 2, "tags"),
        ("version: 1\nbank:\n  id: [unclosed\n", 4, "syntax error"),
        ("version: 1\nbank: x\n\tq: 1\n", 3, "syntax error"),
        ("a: 1\n---\nb: 2\n", 2, "syntax error"),
        ("a: \x00\n", 1, "cannot read"),
        ("", 1, "empty"),
        ("# only a comment\n", 1, "empty"),
        ("- 1\n- 2\n", 1, "must be a mapping"),
    ],
)
def test_unsafe_or_broken_yaml_is_refused_with_a_line(
    yaml_text: str, line: int, message: str
) -> None:
    bank, problems = parse(yaml_text)
    assert bank is None
    assert problems, yaml_text
    assert problems[0].line == line, str(problems[0])
    assert message in problems[0].message


def test_billion_laughs_is_refused_quickly() -> None:
    text = 'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b]\n'
    bank, problems = parse(text)
    assert bank is None and "anchors" in problems[0].message


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "a:\n" + "".join(" " * i + "- \n" for i in range(200)), "{a: " * 5000]
)
def test_deep_nesting_is_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    bank, problems = parse(text)
    assert time.perf_counter() - start < 1
    assert bank is None
    assert problems and ("nested deeper" in problems[0].message or "syntax" in problems[0].message)


def test_moderate_nesting_in_a_valid_place_is_reported_normally() -> None:
    text = "[" * 60 + "]" * 60
    assert "nested deeper than 50" in only_error(text).message


def test_files_over_2mb_are_refused(tmp_path: Path) -> None:
    big = "# " + "x" * (2 * 1024 * 1024) + "\n"
    start = time.perf_counter()
    assert "larger than 2 MB" in only_error(big).message
    path = tmp_path / "big.yaml"
    path.write_text(big)
    bank, problems = load_bank_file(path)
    assert bank is None and "larger than 2 MB" in problems[0].message
    assert time.perf_counter() - start < 1


def test_invalid_utf8_bytes() -> None:
    bank, problems = parse_bank(b"version: 1\nbank: \xff\n", filename="b.yaml")
    assert bank is None
    assert (problems[0].line, problems[0].message) == (2, "the file is not valid UTF-8 text")


def test_bytes_input_with_bom_is_accepted() -> None:
    bank, problems = parse_bank(("\ufeff" + question()).encode(), filename="b.yaml")
    assert problems == [] and bank is not None


# --------------------------------------------------------------------------- file sources


def bank_with_file(path_value: str) -> str:
    return f"""\
version: 1
bank: {{id: b, title: "B"}}
sources:
  - id: short
    file: {path_value}
questions: []
"""


def test_source_file_relative_to_the_bank(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a.md").write_text(
        (FIXTURES / "sources" / "short-article.md").read_text()
    )
    bank_file = tmp_path / "b.yaml"
    bank_file.write_text(bank_with_file("sources/a.md"))
    bank, problems = load_bank_file(bank_file)
    assert problems == [] and bank is not None
    assert len(bank.sources[0].paragraphs) == 4
    assert bank.sources[0].publication == "Test Gazette"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/etc/passwd", "relative to the bank file's folder"),
        ('"C:\\\\x.md"', "relative to the bank file's folder"),
        ("../short-article.md", "outside the bank's folder"),
        ("sources/../../x.md", "outside the bank's folder"),
        ("sources/missing.md", "not found"),
        ("~/x.md", "relative"),
    ],
)
def test_source_paths_are_confined(value: str, message: str) -> None:
    text = bank_with_file(value)
    bank, problems = parse_bank(text, filename="fixtures/b.yaml", base_dir=FIXTURES / "sources")
    assert bank is None
    assert len(problems) == 1
    assert problems[0].line == 5
    assert message in problems[0].message


def test_symlink_out_of_the_bank_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text((FIXTURES / "sources" / "short-article.md").read_text())
    bank_dir = tmp_path / "banks"
    bank_dir.mkdir()
    os.symlink(outside, bank_dir / "link.md")
    (bank_dir / "b.yaml").write_text(bank_with_file("link.md"))
    bank, problems = load_bank_file(bank_dir / "b.yaml")
    assert bank is None
    assert "outside the bank's folder" in problems[0].message


def test_file_source_needs_a_base_dir() -> None:
    bank, problems = parse(bank_with_file("sources/short-article.md"))
    assert bank is None and "loaded from a file" in problems[0].message


def test_source_file_errors_cite_the_source_file(tmp_path: Path) -> None:
    (tmp_path / "s.md").write_text(
        '---\nid: "short"\ntitle: "T"\npublication: "P"\ndate: "25 Sept"\n---\n\nText.\n'
    )
    (tmp_path / "b.yaml").write_text(bank_with_file("s.md"))
    bank, problems = load_bank_file(tmp_path / "b.yaml")
    assert bank is None
    assert problems[0].file == str(tmp_path / "s.md")
    assert problems[0].line == 5
    assert "date" in problems[0].message


def test_source_id_must_match_its_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text((FIXTURES / "sources" / "short-article.md").read_text())
    (tmp_path / "b.yaml").write_text(bank_with_file("a.md").replace("id: short", "id: other"))
    bank, problems = load_bank_file(tmp_path / "b.yaml")
    assert bank is None
    assert (problems[0].line, "differs from the id `short`" in problems[0].message) == (4, True)


def test_embedded_source_metadata_is_validated() -> None:
    text = (
        HEADER.replace('publication: "Paper"', 'publication: "Paper"\n    date: "someday"') + SINGLE
    )
    problem = only_error(text)
    assert problem.line == line_of(text, "- id: art")
    assert "date" in problem.message
    text = (
        HEADER.replace('publication: "Paper"', 'publication: "Paper"\n    date: 2016-09-25')
        + SINGLE
    )
    assert "quotes" in only_error(text).message


def test_duplicate_source_ids_in_a_bank() -> None:
    text = TWO_SOURCES.replace("id: other", "id: art") + SINGLE
    problem = only_error(text)
    assert problem.line == line_of(text, "id: art", 2)


# --------------------------------------------------------------------------- many files


def test_load_bank_paths_expands_folders_and_checks_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "ignored.yaml").write_text("not: a bank")
    (tmp_path / "a.yaml").write_text(question())
    (tmp_path / "b.yaml").write_text(question().replace("test-bank", "bank-b"))
    (tmp_path / "c.yaml").write_text(
        question(SINGLE.replace("q1", "q3")).replace("One is here.", "Changed.")
    )
    banks, problems = load_bank_paths([tmp_path, tmp_path / "a.yaml", tmp_path / "nope"])
    assert [b.path for b in banks] == [str(tmp_path / n) for n in ("a.yaml", "b.yaml", "c.yaml")]
    rendered = [str(p) for p in problems]
    assert f"{tmp_path / 'nope'}:1: no such file or folder" in rendered
    b_text = (tmp_path / "b.yaml").read_text()
    assert (
        f"{tmp_path / 'b.yaml'}:{line_of(b_text, 'id: q1')}: q1: question id is also used in "
        f"{tmp_path / 'a.yaml'}:{line_of(b_text, 'id: q1')}; ids must be unique across all banks"
    ) in rendered
    assert any("bank id `test-bank` is also used" in r and "c.yaml:2:" in r for r in rendered)
    assert any("source id `art` names a different text" in r and "c.yaml:6:" in r for r in rendered)


def test_load_bank_paths_clean_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(question())
    (tmp_path / "b.yaml").write_text(
        question(SINGLE.replace("q1", "q2")).replace("test-bank", "b2")
    )
    banks, problems = load_bank_paths([tmp_path])
    assert problems == []
    assert [b.id for b in banks] == ["test-bank", "b2"]


def test_repository_banks_are_valid() -> None:
    folder = BANKS
    _banks, problems = load_bank_paths([folder])
    assert [str(p) for p in problems if p.severity == "error"] == []


# --------------------------------------------------------------------------- student view

SECRET_KEYS = {
    "correct", "feedback", "explanation", "evidence", "key", "accepted", "model_answer",
    "description", "feedback_for", "answer", "feedback_true", "feedback_false",
    "feedback_correct", "feedback_partial", "feedback_wrong", "manual_review", "right",
    "distractors",
}  # fmt: skip


def _all_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _all_keys(v)}
    return set()


def test_student_view_hides_every_secret() -> None:
    bank, _ = load_bank_file(FIXTURES / "all_types.yaml")
    assert bank is not None
    views = {q.id: student_view(q.spec) for q in bank.questions}
    for view in views.values():
        assert not _all_keys(view) & SECRET_KEYS, view
        assert {"id", "type", "prompt", "points"} <= set(view)
    assert views["fx-single"]["options"] == [
        {"id": "a", "text": "The fourth"},
        {"id": "b", "text": "The first"},
        {"id": "c", "text": "The third"},
    ]
    matching = views["fx-matching"]
    assert matching["pairs"] == [
        {"id": "1", "left": "Paragraph 1"},
        {"id": "2", "left": "Paragraph 2"},
        {"id": "3", "left": "Paragraph 4"},
    ]
    assert [c["text"] for c in matching["choices"]] == ["five", "one", "two"]
    assert [i["text"] for i in views["fx-ordering"]["items"]] == [
        "first",
        "fourth",
        "second",
        "third",
    ]
    assert views["fx-evidence"]["select"] == "sentence"
    assert views["fx-evidence"]["source"] == "short"
    assert views["fx-essay"]["rubric"] == [
        {"criterion": "Argument", "points": 3.0},
        {"criterion": "Style", "points": 1.0},
    ]


def test_student_view_does_not_share_mutable_state() -> None:
    bank, _ = load_bank_file(FIXTURES / "all_types.yaml")
    assert bank is not None
    spec = bank.questions[0].spec
    view = student_view(spec)
    view["options"][0]["text"] = "changed"
    assert spec["options"][0]["text"] == "The fourth"


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_parse_bank_never_raises_on_text(text: str) -> None:
    bank, problems = parse(text)
    assert bank is None or isinstance(bank, Bank)
    assert all(isinstance(p, Problem) and p.line >= 1 for p in problems)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_parse_bank_never_raises_on_bytes(data: bytes) -> None:
    _bank, problems = parse_bank(data, filename="b.yaml")
    assert all(isinstance(p, Problem) for p in problems)


VALID = question(
    SINGLE
    + TRUEFALSE.replace("q1", "q2")
    + SHORT.replace("q1", "q3")
    + EVIDENCE.replace("q1", "q4")
)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_parse_bank_never_raises_on_mutated_valid_banks(data: st.DataObject) -> None:
    lines = VALID.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    indent = len(lines[index]) - len(lines[index].lstrip())
    junk = data.draw(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "~",
                    "[]",
                    "{}",
                    "yes",
                    "1e3",
                    "-1",
                    "[p1, p1]",
                    "{a: b}",
                    "- x",
                    "|",
                    ">-",
                    "&a x",
                    "*a",
                ]
            ),
        )
    )
    key = lines[index].lstrip().split(":", 1)[0]
    lines[index] = " " * indent + f"{key}: {junk}"
    bank, problems = parse("\n".join(lines) + "\n")
    assert (bank is None) == any(p.severity == "error" for p in problems)
    assert all(p.line >= 1 for p in problems)
