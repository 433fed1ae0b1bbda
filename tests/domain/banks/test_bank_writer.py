"""The bank writer ("Download as YAML"): spec → YAML → spec is the identity for every type and
field, so a written bank checks clean and reloads with the same content hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from app.domain import question_types
from app.domain.banks.articles import SourceDocument
from app.domain.banks.schema import BANK_LEVEL, Bank, load_bank_file, parse_bank
from app.domain.banks.writer import BankOut, QuestionOut, QuestionWriter, bank_out, bank_yaml
from tests.support.paths import BANKS, FIXTURES

SHIPPED = sorted(BANKS.glob("*.yaml"))
ALL_TYPES = FIXTURES / "all_types.yaml"


def _load(path: Path) -> Bank:
    bank, problems = load_bank_file(path)
    assert bank is not None, [str(p) for p in problems]
    return bank


def _reread(text: str, sources: tuple[SourceDocument, ...]) -> Bank:
    """The written text checked as an upload would be: sources cited by id from a library."""
    bank, problems = parse_bank(
        text, filename="written.yaml", known_sources={s.id: s for s in sources}
    )
    errors = [str(p) for p in problems if p.severity == "error"]
    assert bank is not None and not errors, errors
    return bank


def _assert_same(original: Bank, again: Bank) -> None:
    assert [q.id for q in again.questions] == [q.id for q in original.questions]
    for before, after in zip(original.questions, again.questions, strict=True):
        assert after.spec == before.spec, before.id
        assert after.content_hash == before.content_hash, before.id
        assert after.excludes == before.excludes, before.id
    assert again.lint_ignores == original.lint_ignores
    assert again.lint_reasons == original.lint_reasons
    assert (again.id, again.title, again.description) == (
        original.id,
        original.title,
        original.description,
    )
    assert [s.id for s in again.sources] == [s.id for s in original.sources]


@pytest.mark.parametrize("path", [*SHIPPED, ALL_TYPES], ids=lambda p: p.name)
def test_shipped_banks_and_every_type_come_back_identical(path: Path) -> None:
    original = _load(path)
    versions = {q.id: n for n, q in enumerate(original.questions, start=1)}
    text = bank_yaml(bank_out(original, versions))
    again = _reread(text, original.sources)
    _assert_same(original, again)
    assert {q.id: q.based_on for q in again.questions} == versions
    # and writing what was read gives the same text again: a fixed point
    assert bank_yaml(bank_out(again)) == text


def test_the_shipped_banks_hold_every_type_and_126_questions() -> None:
    banks = [_load(path) for path in SHIPPED]
    fixture = _load(ALL_TYPES)
    assert sum(len(b.questions) for b in banks) == 126
    assert {q.type for q in fixture.questions} == set(question_types.NAMES)
    shipped_types = {q.type for b in banks for q in b.questions}
    assert len(shipped_types) >= 7, shipped_types


def test_the_shipped_banks_keep_their_lint_ignores_and_exclusions() -> None:
    """The round trip above would be weak if the banks had none of the extra keys."""
    banks = [_load(path) for path in SHIPPED]
    assert any(b.lint_ignores for b in banks)
    assert all(b.lint_reasons.keys() == b.lint_ignores.keys() for b in banks)
    assert any(q.excludes for b in banks for q in b.questions)


# Text YAML would read as something else, or that needs quoting or escaping.
AWKWARD = [
    "No",
    "yes",
    "off",
    "12:30",
    "1e3",
    "1_000",
    "0x1F",
    ".5",
    "null",
    "~",
    "2024-01-01",
    "true",
    "'single' quotes",
    '"double" quotes',
    'it\'s "mixed"',
    "a: colon",
    "- a dash",
    "# not a comment",
    "@at `tick` %percent &amp *star !bang |pipe >fold",
    "[brackets], {braces}",
    "Unicode: é ü ß 日本語 — « guillemets » ‘curly’ “quotes” ☃",
    "<em>HTML</em> and <strong>tags</strong> &amp; entities &lt;kept&gt;",
    '<b onclick="x()">bold</b> <script>gone()</script> 1 < 2',
    "First paragraph.\n\nSecond paragraph,\n  indented line.",
    "   leading spaces and a trailing colon:",
    "ends with a backslash \\",
    "a very long line " * 12 + "that the writer must not fold into something else",
]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _awkward_bank() -> str:
    lines = [
        "version: 1",
        "bank:",
        "  id: awkward",
        f"  title: {_q('Awkward: ' + AWKWARD[0])}",
        f"  description: {_q(AWKWARD[20])}",
        "  lint_ignore: [L001]",
        f"  lint_reason: {_q(AWKWARD[3])}",
        "sources:",
        "  - id: short",
        "    file: sources/short-article.md",
        "questions:",
    ]
    for n, text in enumerate(AWKWARD):
        other = AWKWARD[(n + 1) % len(AWKWARD)]
        lines += [
            f"  - id: {_q(f'{n}.{n}')}",
            "    type: single",
            f"    prompt: {_q(text)}",
            "    points: 2.5",
            "    skill: literal",
            "    difficulty: easy",
            "    evidence: [p1, short:p3.s1]",
            f"    explanation: {_q(other)}",
            f"    feedback_wrong: {_q(text)}",
            "    options:",
            f"      - text: {_q(text)}",
            "        correct: true",
            f"        feedback: {_q(other)}",
            f"      - text: {_q('not ' + text)}",
            "        misreading: too-literal",
            f"    excludes: {{{_q(f'{n + 1}.{n + 1}')}: {_q(text.strip()[:200] or 'x')}}}",
            "    lint_ignore: [L006, L002]",
            f"    lint_reason: {_q(text)}",
        ]
    lines += [
        "  - id: short-awkward",
        "    type: short",
        "    prompt: Type one.",
        "    skill: vocabulary",
        "    difficulty: hard",
        "    explanation: Any of them.",
        "    manual_review: true",
        "    accepted:",
        *[f"      - {_q(t)}" for t in AWKWARD[:12]],
        f"      - {{text: {_q('partial')}, credit: 0.33, feedback: {_q(AWKWARD[13])}}}",
        "  - id: matching-awkward",
        "    type: matching",
        "    prompt: Match.",
        "    skill: argument",
        "    difficulty: hard",
        "    explanation: As given.",
        "    pairs:",
        *[
            f"      - {{left: {_q(a)}, right: {_q('r ' + b)}}}"
            for a, b in zip(AWKWARD[:6], AWKWARD[6:12], strict=True)
        ],
        f"    distractors: [{_q(AWKWARD[14])}, {_q(AWKWARD[15])}]",
        "  - id: ordering-awkward",
        "    type: ordering",
        "    prompt: Order.",
        "    skill: argument",
        "    difficulty: medium",
        "    explanation: As given.",
        "    items: [" + ", ".join(_q(t) for t in AWKWARD[:8]) + "]",
        "  - id: essay-awkward",
        "    type: essay",
        f"    prompt: {_q(AWKWARD[23])}",
        "    points: 5",
        "    skill: perspective",
        "    difficulty: hard",
        "    explanation: Open.",
        f"    model_answer: {_q(AWKWARD[23])}",
        "    max_words: 300",
        "    rubric:",
        f"      - criterion: {_q(AWKWARD[1])}",
        "        points: 3.5",
        f"        description: {_q(AWKWARD[4])}",
        "        levels:",
        f"          - {{points: 0, descriptor: {_q(AWKWARD[0])}}}",
        f"          - {{points: 1.75, descriptor: {_q(AWKWARD[12])}}}",
        f"          - {{points: 3.5, descriptor: {_q(AWKWARD[22])}}}",
        "      - {criterion: Style, points: 1.5}",
        "  - id: numeric-awkward",
        "    type: numeric",
        "    prompt: How much?",
        "    skill: literal",
        "    difficulty: easy",
        "    explanation: The article says.",
        "    answers:",
        f"      - {{value: 0.1, tolerance: 1.5e-07, feedback: {_q(AWKWARD[2])}}}",
        "      - {value: -1822, credit: 0.5}",
        "      - {min: -5.5, max: 1.0e+20, credit: 0.25}",
        "      - {value: 1e3, tolerance: 0}",
        "  - id: tf-awkward",
        "    type: truefalse",
        f"    prompt: {_q(AWKWARD[9])}",
        "    skill: inference",
        "    difficulty: easy",
        "    explanation: Yes.",
        "    answer: false",
        f"    feedback_true: {_q(AWKWARD[0])}",
        f"    feedback_false: {_q(AWKWARD[1])}",
        "  - id: evidence-awkward",
        "    type: evidence",
        f"    prompt: {_q(AWKWARD[10])}",
        "    skill: evidence",
        "    difficulty: hard",
        "    explanation: These.",
        "    select: paragraph",
        "    key: [p1, short:p3]",
        "    max_selections: 2",
        f"    feedback_for: {{p1: {_q(AWKWARD[11])}, short:p4: {_q(AWKWARD[12])}}}",
    ]
    return "\n".join(lines) + "\n"


def test_awkward_strings_and_every_type_come_back_identical(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "short-article.md").write_bytes(
        (FIXTURES / "sources" / "short-article.md").read_bytes()
    )
    path = tmp_path / "awkward.yaml"
    path.write_text(_awkward_bank(), encoding="utf-8")
    original = _load(path)
    assert len(original.questions) == len(AWKWARD) + 7
    assert original.questions[0].spec["prompt"] == "No"  # the fixture is what it claims
    text = bank_yaml(bank_out(original))
    again = _reread(text, original.sources)
    _assert_same(original, again)
    # YAML-special words stay text: quoted where YAML would read something else
    assert "prompt: 'No'" in text and "prompt: '12:30'" in text and 'prompt: "1e3"' in text
    assert "日本語" in text  # unicode written as itself, not escaped
    assert "prompt: |-\n      First paragraph.\n\n      Second paragraph," in text


def test_a_question_records_the_version_it_was_written_from() -> None:
    original = _load(ALL_TYPES)
    text = bank_yaml(bank_out(original, {"fx-single": 3}))
    entry = yaml.safe_load(text)["questions"][0]
    assert list(entry)[:4] == ["id", "type", "version", "prompt"]
    assert entry["version"] == 3
    again = _reread(text, original.sources)
    assert again.questions[0].based_on == 3
    assert again.questions[1].based_on is None  # not given: optional in hand-written files


def test_version_must_be_a_positive_whole_number() -> None:
    head = "  - id: fx-single\n    type: single\n"
    text = ALL_TYPES.read_text(encoding="utf-8").replace(head, head + "    version: 0\n")
    bank, problems = parse_bank(text, filename="v.yaml", base_dir=FIXTURES)
    assert bank is None
    assert any("fx-single: `version` must be at least 1" in str(p) for p in problems)


def test_sources_are_cited_by_id_and_references_kept_short() -> None:
    out = BankOut(
        id="b",
        title="B",
        source_ids=("one", "two"),
        questions=(
            QuestionOut(
                spec={
                    "id": "q",
                    "type": "truefalse",
                    "prompt": "P",
                    "points": 1.0,
                    "skill": "literal",
                    "difficulty": "easy",
                    "evidence": ["one:p1", "two:p2.s1"],
                    "explanation": "E",
                    "source": "one",
                    "answer": True,
                    "feedback_true": "",
                    "feedback_false": "",
                },
            ),
        ),
        lint_ignore=("L007",),
        lint_reason="Two articles.",
        header=("Written by a test.", ""),
    )
    text = bank_yaml(out)
    assert text.startswith("# Written by a test.\n#\nversion: 1\n")
    data = yaml.safe_load(text)
    assert data["sources"] == [{"id": "one"}, {"id": "two"}]
    assert data["questions"][0]["evidence"] == ["p1", "two:p2.s1"]
    assert "points" not in data["questions"][0]  # the default stays implicit
    assert data["bank"]["lint_ignore"] == ["L007"] and BANK_LEVEL == ""


def test_numbers_are_written_as_people_write_them() -> None:
    assert QuestionWriter.number(2.0) == 2 and isinstance(QuestionWriter.number(2.0), int)
    assert QuestionWriter.number(0.5) == 0.5
    assert QuestionWriter(None).ref("a:p1") == "a:p1"
    assert QuestionWriter("a").ref("a:p1.s2") == "p1.s2"
