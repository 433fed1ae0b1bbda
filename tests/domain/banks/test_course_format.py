"""Bank format of the second edition: levelled rubrics, misreading labels, declared exclusions,
and the pure draw that respects exclusions."""

from __future__ import annotations

import random

import pytest

from app.domain.banks import exclusions
from app.domain.banks.schema import MISREADINGS, load_bank_paths, parse_bank, student_view
from tests.support.paths import BANKS

HEADER = """\
version: 1
bank:
  id: fmt-bank
  title: "Format bank"
sources:
  - id: art
    title: "Art"
    publication: "Paper"
    text: |
      One is here. Two is here.

      Three is alone.
questions:
"""

ESSAY = """\
  - id: e1
    type: essay
    prompt: "Discuss."
    points: 3
    skill: argument
    difficulty: hard
    evidence: [p1]
    explanation: "Why."
    model_answer: "Notes."
    rubric:
      - criterion: "Claim"
        points: 2
        description: "States the claim."
        levels:
{levels}
      - criterion: "Use of text"
        points: 1
"""

LEVELS_OK = """\
          - {points: 2, descriptor: "Both halves."}
          - {points: 0, descriptor: "Nothing."}
          - {points: 1, descriptor: "One half."}"""

SINGLE = """\
  - id: {qid}
    type: single
    prompt: "Pick one"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Because."
{extra}    options:
      - {{text: "Yes", correct: true{key_label}}}
      - {{text: "No", misreading: {label}}}
      - {{text: "Maybe"}}
"""


def single(qid: str = "q1", *, label: str = "too-literal", key_label: str = "", extra: str = ""):
    return SINGLE.format(qid=qid, label=label, key_label=key_label, extra=extra)


def parse(body: str):
    return parse_bank(HEADER + body, filename="fmt.yaml")


def messages(problems) -> list[str]:
    return [f"{p.line}: {p.message}" for p in problems]


# --------------------------------------------------------------------------- levelled rubrics


def test_levels_are_sorted_and_kept_in_the_spec() -> None:
    bank, problems = parse(ESSAY.format(levels=LEVELS_OK))
    assert problems == [] and bank is not None
    rubric = bank.questions[0].spec["rubric"]
    assert [level["points"] for level in rubric[0]["levels"]] == [0.0, 1.0, 2.0]
    assert rubric[0]["levels"][1]["descriptor"] == "One half."
    assert "levels" not in rubric[1]  # a criterion without levels stays as it was


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (
            '          - {points: 1, descriptor: "One."}\n'
            '          - {points: 2, descriptor: "Two."}',
            "the levels must run from 0 to the criterion's 2 points (found 1 to 2)",
        ),
        (
            '          - {points: 0, descriptor: "None."}\n'
            '          - {points: 3, descriptor: "Too many."}',
            "the levels must run from 0 to the criterion's 2 points (found 0 to 3)",
        ),
        (
            '          - {points: 0, descriptor: "None."}\n'
            '          - {points: 0, descriptor: "Also none."}\n'
            '          - {points: 2, descriptor: "Two."}',
            "two levels give 0 points (first on line 28)",
        ),
        ('          - {points: 0, descriptor: "Alone."}', "`levels` needs at least 2 entries"),
        (
            '          - {points: 0, descriptor: "None."}\n          - {points: 2}',
            "the rubric level is missing `descriptor`",
        ),
        (
            '          - {points: -1, descriptor: "Less."}\n'
            '          - {points: 2, descriptor: "Two."}',
            "a level's `points` must be 0 or more with at most 2 decimals (found -1)",
        ),
        (
            '          - {points: 0, descriptor: "None.", grade: A}\n'
            '          - {points: 2, descriptor: "Two."}',
            "unknown key `grade` in a rubric level",
        ),
    ],
)
def test_bad_levels_are_reported_with_their_line(levels: str, expected: str) -> None:
    bank, problems = parse(ESSAY.format(levels=levels))
    assert bank is None
    assert any(expected in p.message for p in problems), messages(problems)
    assert all(p.file == "fmt.yaml" and p.line > 20 for p in problems)


def test_student_view_of_an_essay_hides_the_level_descriptors() -> None:
    bank, _ = parse(ESSAY.format(levels=LEVELS_OK))
    assert bank is not None
    view = student_view(bank.questions[0].spec)
    assert view["rubric"] == [
        {"criterion": "Claim", "points": 2.0},
        {"criterion": "Use of text", "points": 1.0},
    ]


# --------------------------------------------------------------------------- misreading labels


def test_a_distractor_keeps_its_misreading_label() -> None:
    bank, problems = parse(single())
    assert problems == [] and bank is not None
    options = bank.questions[0].spec["options"]
    assert options[1]["misreading"] == "too-literal"
    assert "misreading" not in options[0] and "misreading" not in options[2]


def test_an_unknown_label_is_refused_with_the_list_and_a_hint() -> None:
    bank, problems = parse(single(label="too-literally"))
    assert bank is None
    (problem,) = problems
    assert problem.line == 23 and problem.question_id == "q1"
    assert "`misreading` `too-literally` is not one of too-literal" in problem.message
    assert "did you mean `too-literal`" in problem.message


def test_the_key_cannot_carry_a_misreading_label() -> None:
    bank, problems = parse(single(key_label=", misreading: half-answer"))
    assert bank is None
    assert any("a correct option cannot carry a `misreading` label" in p.message for p in problems)


def test_every_label_is_documented_in_the_readme() -> None:

    readme = (BANKS / "README.md").read_text()
    for label in MISREADINGS:
        assert f"| `{label}` |" in readme


def test_a_label_does_not_change_the_version_of_an_unlabelled_question() -> None:
    """Labels are added only where given, so unlabelled questions keep their content hash."""
    plain = SINGLE.replace(", misreading: {label}", "").format(qid="q1", key_label="", extra="")
    bank, problems = parse(plain)
    assert problems == [] and bank is not None
    assert all("misreading" not in o for o in bank.questions[0].spec["options"])


# --------------------------------------------------------------------------- exclusions


def test_excludes_are_kept_beside_the_spec_not_in_it() -> None:
    extra = '    excludes:\n      q2: "Option a quotes q2\'s key."\n'
    bank, problems = parse(single(extra=extra) + single("q2"))
    assert problems == [] and bank is not None
    first, _second = bank.questions
    assert first.excludes == (("q2", "Option a quotes q2's key."),)
    assert "excludes" not in first.spec
    # Declaring an exclusion makes no new version.
    plain, _ = parse(single())
    assert plain is not None and plain.questions[0].content_hash == first.content_hash


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('    excludes:\n      q1: "Self."\n', "a question cannot exclude itself"),
        ("    excludes: [q2]\n", "`excludes` must be a mapping"),
        ("    excludes: {}\n", "`excludes` is empty; name at least one question"),
        ('    excludes:\n      Q-2: "Bad id."\n', "`excludes` "),
        ("    excludes:\n      q2: 12\n", 'put it in quotes: "12"'),
    ],
)
def test_bad_excludes_are_errors(extra: str, expected: str) -> None:
    bank, problems = parse(single(extra=extra))
    assert bank is None
    assert any(expected in p.message for p in problems), messages(problems)


def test_excludes_naming_no_loaded_question_is_a_warning(tmp_path) -> None:
    extra = '    excludes:\n      q9: "Gives q9 away."\n'
    (tmp_path / "b.yaml").write_text(HEADER + single(extra=extra), encoding="utf-8")
    banks, problems = load_bank_paths([tmp_path])
    assert len(banks) == 1
    (problem,) = problems
    assert problem.severity == "warning" and "`excludes` names `q9`" in problem.message


def test_declared_pairs_are_symmetric_and_counted_once() -> None:
    one = '    excludes:\n      q2: "First reason."\n'
    two = '    excludes:\n      q1: "Second reason."\n'
    bank, problems = parse(single(extra=one) + single("q2", extra=two))
    assert problems == [] and bank is not None
    (pair,) = exclusions.declared_pairs([bank])
    assert (pair.first, pair.second, pair.reason) == ("q1", "q2", "First reason.")


def test_conflicts_lists_declared_pairs_in_order() -> None:
    excluded = exclusions.exclusion_map([(1, 2), (3, 4)])
    assert exclusions.conflicts([2, 5, 1, 4], excluded) == [(2, 1)]
    assert exclusions.conflicts([5, 6], excluded) == []


def test_draw_without_exclusions_is_exactly_random_sample() -> None:
    candidates = list(range(20))
    for seed in range(5):
        expected = random.Random(seed).sample([c for c in candidates if c != 3], 4)
        got = exclusions.draw(random.Random(seed), candidates, 4, {3}, {})
        assert got == expected


def test_draw_never_puts_an_excluded_pair_together() -> None:
    excluded = exclusions.exclusion_map([(0, 1), (2, 3), (4, 5), (0, 5)])
    for seed in range(200):
        picked = exclusions.draw(random.Random(seed), list(range(8)), 4, set(), excluded)
        assert len(picked) == 4 and len(set(picked)) == 4
        assert exclusions.conflicts(picked, excluded) == []


def test_draw_skips_questions_excluded_by_one_already_used() -> None:
    excluded = exclusions.exclusion_map([(10, 1), (10, 2)])
    for seed in range(50):
        picked = exclusions.draw(random.Random(seed), [1, 2, 3, 4], 2, {10}, excluded)
        assert sorted(picked) == [3, 4]


def test_draw_comes_up_short_only_when_clashes_leave_too_few() -> None:
    excluded = exclusions.exclusion_map([(1, 2), (1, 3), (2, 3)])
    picked = exclusions.draw(random.Random(1), [1, 2, 3], 2, set(), excluded)
    assert len(picked) == 1


# --------------------------------------------------------------------------- GIFT round trip


def _real(qid: str) -> dict:

    banks, _ = load_bank_paths([BANKS])
    return next(q.spec for b in banks for q in b.questions if q.id == qid)


def test_gift_round_trip_keeps_rubric_levels_and_misreading_labels() -> None:
    from app.domain.banks.gift import export_gift_with_report, gift_to_bank_yaml, parse_gift

    essay, single = _real("km-essay-perspective"), _real("tc-bomb-proof")
    text, problems = export_gift_with_report([essay, single])
    assert not [p for p in problems if "rubric" in p.message]
    assert text.count("// hustings: ") == 2
    imported = parse_gift(text)
    assert not [p for p in imported.problems if "placeholder rubric" in p.message]
    yaml_text = gift_to_bank_yaml(
        imported, bank_id="round-trip", title="Round trip", sources=[{"id": "kamikaze"}]
    )
    from app.domain.banks.schema import parse_bank

    bank, bank_problems = parse_bank(
        yaml_text,
        filename="rt.yaml",
        known_sources={s.id: s for s in _sources()},
    )
    assert bank is not None, bank_problems
    essay2, single2 = bank.questions
    assert essay2.spec["rubric"] == essay["rubric"]
    assert essay2.spec["points"] == essay["points"]
    assert essay2.spec["model_answer"] == essay["model_answer"]
    labels = [o.get("misreading") for o in single["options"]]
    assert [o.get("misreading") for o in single2.spec["options"]] == labels


def _sources():

    banks, _ = load_bank_paths([BANKS])
    return {s for b in banks for s in b.sources}


def test_a_broken_hustings_comment_is_a_warning_not_a_failure() -> None:
    from app.domain.banks.gift import parse_gift

    result = parse_gift('// hustings: {"rubric": [\n::q::Discuss.{}\n')
    assert len(result.questions) == 1
    assert any("not valid JSON" in p.message for p in result.problems)
    mismatched = parse_gift('// hustings: {"misreadings": ["too-literal"]}\n::q::Pick.{=A ~B ~C}\n')
    assert any("do not match the answers" in p.message for p in mismatched.problems)
