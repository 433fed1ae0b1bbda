"""Which paragraphs the questions examine, counted from specs alone (no app, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.banks.coverage import (
    CitingQuestion,
    cited_refs,
    coverage,
    passage_problem,
    passages_in,
)


def spec(qid: str, type_: str = "single", **fields: Any) -> dict[str, Any]:
    return {"id": qid, "type": type_, "prompt": f"<p>Prompt of {qid}</p>", **fields}


def q(qid: str, bank: str = "b", type_: str = "single", **fields: Any) -> CitingQuestion:
    return CitingQuestion(qid, bank, spec(qid, type_, **fields))


def test_evidence_key_and_feedback_for_all_count() -> None:
    evidence = spec(
        "e",
        "evidence",
        evidence=["art:p1"],
        key=["art:p2.s1", "art:p2.s3"],
        feedback_for={"art:p5.s2": "Not this one."},
    )
    assert cited_refs(evidence) == ["art:p1", "art:p2.s1", "art:p2.s3", "art:p5.s2"]
    assert passages_in(evidence, "art") == {1: ("p1",), 2: ("p2.s1", "p2.s3"), 5: ("p5.s2",)}


def test_a_key_counts_only_for_evidence_questions() -> None:
    # a single-choice question's `key` is not a passage list; nor is an ordering's
    assert cited_refs(spec("s", key=["art:p3"])) == []


def test_other_sources_and_bad_refs_are_left_out() -> None:
    mixed = spec("m", evidence=["art:p1", "other:p1", "art-2:p2", "art:p0", "art:px", "p3", 7])
    assert passages_in(mixed, "art") == {1: ("p1",)}
    assert passages_in(mixed, "other") == {1: ("p1",)}
    assert passages_in(mixed, "art-2") == {2: ("p2",)}


def test_a_question_counts_once_per_paragraph_with_every_passage_it_cites_there() -> None:
    repeated = spec("r", "evidence", evidence=["art:p4", "art:p4.s2"], key=["art:p4.s2"])
    result = coverage("art", 4, [CitingQuestion("r", "b", repeated)])
    four = result.paragraph(4)
    assert four.count == 1
    assert four.citations[0].passages == ("p4", "p4.s2")
    assert result.questions == 1


def test_counts_levels_and_the_paragraphs_not_yet_examined() -> None:
    questions = [
        q("a", evidence=["art:p1", "art:p3.s2"]),
        q("b", bank="other-bank", evidence=["art:p3"]),
        q("c", "b", "evidence", key=["art:p3.s1"], feedback_for={"art:p5.s1": "x"}),
        q("d", evidence=["elsewhere:p2"]),  # cites another article only
        q("e", evidence=["art:p9"]),  # past the last paragraph: a stale spec, not counted
    ]
    result = coverage("art", 5, questions)
    assert [p.count for p in result.paragraphs] == [1, 0, 3, 0, 1]
    assert [p.level for p in result.paragraphs] == ["some", "none", "well", "none", "some"]
    assert result.examined == (1, 3, 5)
    assert result.not_examined == (2, 4)
    assert result.questions == 3  # a, b and c; d and e cite nothing here
    three = result.paragraph(3)
    assert [(c.key, c.bank, c.type) for c in three.citations] == [
        ("a", "b", "single"),
        ("b", "other-bank", "single"),
        ("c", "b", "evidence"),
    ]


def test_the_prompt_is_shortened_plain_text() -> None:
    long = "<p>Why does the author call it a <em>coup</em> at all? " + "Explain. " * 40 + "</p>"
    result = coverage(
        "art", 1, [CitingQuestion("k", "b", {**spec("k"), "prompt": long, "evidence": ["art:p1"]})]
    )
    prompt = result.paragraph(1).citations[0].prompt
    assert prompt.startswith("Why does the author call it a coup at all? Explain.")
    assert "<" not in prompt and prompt.endswith("…") and len(prompt) <= 121


def test_no_questions_means_nothing_examined() -> None:
    result = coverage("art", 3, [])
    assert result.examined == () and result.not_examined == (1, 2, 3)
    assert result.questions == 0


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("art:p1", None),
        ("art:p2.s3", None),
        ("art:p3", None),
        ("art:p4", "art has no paragraph 4 (it has 3)."),
        ("art:p2.s4", "Paragraph 2 of art has no sentence 4 (it has 3)."),
        ("other:p1", "“other:p1” is not a passage of art (write art:p4 or art:p4.s2)."),
        ("p1", "“p1” is not a passage of art (write art:p4 or art:p4.s2)."),
        ("art:p0", "“art:p0” is not a passage of art (write art:p4 or art:p4.s2)."),
        ("art:p1.s1 ", "“art:p1.s1 ” is not a passage of art (write art:p4 or art:p4.s2)."),
    ],
)
def test_passage_problem(ref: str, problem: str | None) -> None:
    assert passage_problem(ref, "art", [2, 3, 1]) == problem


def test_a_long_ref_is_shortened_in_the_message() -> None:
    problem = passage_problem("art:" + "x" * 100, "art", [1])
    assert problem == f"“art:{'x' * 35}…” is not a passage of art (write art:p4 or art:p4.s2)."
