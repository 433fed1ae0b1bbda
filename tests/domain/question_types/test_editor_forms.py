"""The studio's editor form is a second way of writing a bank file: every question of the
fixture and of the shipped banks, rendered by its type's `editor` macro and read back as a
browser would submit it, is the same question (same content hash); and a typical mistake
comes back beside the field it is about, in the bank checker's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.domain.banks.editing import EditorForm, FieldProblems, entry_from_form
from app.domain.banks.schema import Problem
from app.domain.banks.writer import QuestionOut, question_entry
from app.services.studio import EditorContext
from tests.domain.question_types.editor_pages import (
    BANK_FILES,
    FIXTURE,
    bank_of,
    check_edited,
    edit,
    editor_html,
    entry_of,
    question_of,
)
from tests.support.form_html import submitted, submitted_values

CASES = [
    pytest.param(path, q.id, id=f"{path.stem}-{q.id}")
    for path in BANK_FILES
    for q in bank_of(path).questions
]


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(("path", "question_id"), CASES)
def test_an_unchanged_editor_gives_back_the_same_question(
    app: Flask, path: Path, question_id: str
) -> None:
    bank = bank_of(path)
    original = question_of(path, question_id)
    html = editor_html(app, entry_of(original), bank)
    entry = entry_from_form(EditorForm.of(submitted_values(html)))
    text, parsed, problems, _ = check_edited(bank, entry)
    assert parsed is not None, (text, [str(p) for p in problems])
    (question,) = parsed.questions
    assert question.spec == original.spec
    assert question.content_hash == original.content_hash


def test_every_type_is_round_tripped_and_levels_and_passages_are_among_them() -> None:
    specs = [q.spec for path in BANK_FILES for q in bank_of(path).questions]
    assert {s["type"] for s in specs} == {
        "single", "multiple", "truefalse", "short", "matching", "ordering", "evidence",
        "essay", "numeric",
    }  # fmt: skip
    assert any(c.get("levels") for s in specs for c in s.get("rubric") or ())
    assert any(s.get("feedback_for") for s in specs)


def test_blank_rows_and_the_rows_add_copies_are_not_posted(app: Flask) -> None:
    html = editor_html(app, entry_of(question_of(FIXTURE, "fx-essay")), bank_of(FIXTURE))
    names = [name for name, _ in submitted(html)]
    assert not any("__i__" in n or "__j__" in n for n in names)
    assert "rubric-2-criterion" in names  # the blank criterion offered for adding
    entry = entry_from_form(EditorForm.of(submitted_values(html)))
    assert [c["criterion"] for c in entry["rubric"]] == ["Argument", "Style"]


def test_a_numbers_written_with_an_exponent_keeps_its_value(app: Flask) -> None:
    spec = dict(question_of(FIXTURE, "fx-numeric").spec)
    spec["answers"] = [{**spec["answers"][0], "value": 1.5e-07, "min": 1.5e-07, "max": 1.5e-07}]
    html = editor_html(app, question_entry(QuestionOut(spec=spec), None), bank_of(FIXTURE))
    assert 'value="1.5e-07"' in html
    entry = entry_from_form(EditorForm.of(submitted_values(html)))
    _, parsed, problems, _ = check_edited(bank_of(FIXTURE), entry)
    assert parsed is not None, [str(p) for p in problems]
    assert parsed.questions[0].spec["answers"][0]["value"] == 1.5e-07


def test_manual_review_and_answer_feedback_survive_the_form(app: Flask) -> None:
    """No shipped bank marks short answers by hand: check that flag and a truefalse key
    flipped to false, with feedback for each answer, on edited copies."""
    bank = bank_of(FIXTURE)
    short = {**question_of(FIXTURE, "fx-short").spec, "manual_review": True}
    truefalse = {
        **question_of(FIXTURE, "fx-truefalse").spec,
        "answer": False,
        "feedback_true": "No: count.",
        "feedback_false": "Yes.",
    }
    for spec in (short, truefalse):
        entry = question_entry(QuestionOut(spec=spec), None, shorten=False)
        html = editor_html(app, entry, bank)
        edited = entry_from_form(EditorForm.of(submitted_values(html)))
        _, parsed, problems, _ = check_edited(bank, edited)
        assert parsed is not None, [str(p) for p in problems]
        assert parsed.questions[0].spec == spec


def test_text_is_escaped_in_the_editor(app: Flask) -> None:
    bank = bank_of(FIXTURE)
    attack = "<script>alert(1)</script>"
    for question_id, field in (
        ("fx-single", "options"),
        ("fx-matching", "pairs"),
        ("fx-ordering", "items"),
        ("fx-short", "accepted"),
        ("fx-numeric", "answers"),
        ("fx-essay", "rubric"),
        ("fx-evidence", "feedback_for"),
        ("fx-truefalse", "feedback_false"),
    ):
        entry = entry_of(question_of(FIXTURE, question_id))
        if field == "options":
            entry[field][0]["text"] = attack
        elif field == "pairs":
            entry[field][0]["right"] = attack
        elif field == "items" or field == "accepted":
            entry[field][0] = attack
        elif field == "answers":
            entry[field][0]["feedback"] = attack
        elif field == "rubric":
            entry[field][0]["criterion"] = attack
        elif field == "feedback_for":
            entry[field] = {"short:p3.s1": attack}
        else:
            entry[field] = attack
        template = app.jinja_env.from_string(
            '{% import "question_types/' + entry["type"] + '.html" as m %}'
            "{{ m.editor(e, errors, ctx) }}"
        )
        html = template.render(
            e=entry, errors=FieldProblems(), ctx=EditorContext(sources=bank.sources)
        )
        assert "<script>" not in html, question_id
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, question_id
        assert attack in [value for _, value in submitted(html)], question_id


# --------------------------------------------------------------------------- mistakes


def _only(placed: FieldProblems, name: str, problems: list[Problem]) -> str:
    """The one message placed at `name`, which must be the checker's own."""
    messages = placed.at(name)
    assert len(messages) == 1, (name, placed)
    assert messages[0] in [p.message for p in problems]
    return messages[0]


def test_truefalse_without_an_answer(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-truefalse", {"answer": ""})
    message = _only(placed, "answer", problems)
    assert message == "`answer` must be true or false (unquoted), not null (nothing)"


def test_short_answer_worth_no_credit(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-short", {"accepted-1-credit": "0"})
    message = _only(placed, "accepted-1-credit", problems)
    assert message == "`credit` must be more than 0 and at most 1 (found 0)"
    assert placed.under("accepted-1") == [message]


def test_short_answers_none_of_full_credit(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-short", {"accepted-0-credit": "0.5"})
    assert _only(placed, "accepted", problems).startswith("no accepted answer gives full credit")


def test_matching_pair_with_an_empty_right_side(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-matching", {"pairs-1-right": " "})
    assert _only(placed, "pairs-1-right", problems) == "`right` is empty"


def test_matching_distractor_repeating_an_answer(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-matching", {"distractors-0": "two"})
    assert _only(placed, "distractors-0", problems) == (
        "this distractor repeats a right-hand text or another distractor"
    )


def test_ordering_with_a_repeated_item(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-ordering", {"items-2": "First"})
    assert _only(placed, "items-2", problems).startswith("duplicate item (same as line ")


def test_evidence_mistakes_beside_their_fields(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-evidence", {"key": [], "max_selections": "0"})
    assert _only(placed, "key", problems) == "`key` needs at least 1 entries (found 0)"
    assert _only(placed, "max_selections", problems) == (
        "`max_selections` must be at least 1 (found 0)"
    )
    problems, placed = edit(app, FIXTURE, "fx-evidence", {"feedback_for-0-ref": "short:p2"})
    assert _only(placed, "feedback_for-0", problems) == (
        "feedback_for `short:p2` must be a sentence (p4.s2) because `select` is sentence"
    )
    problems, placed = edit(app, FIXTURE, "fx-evidence", {"feedback_for-0-text": ""})
    assert placed.under("feedback_for-0") == ["`feedback_for` is empty"]


def test_essay_rubric_that_does_not_add_up(app: Flask) -> None:
    problems, placed = edit(app, FIXTURE, "fx-essay", {"rubric-1-points": "2"})
    assert _only(placed, "rubric", problems) == (
        "the rubric's points add up to 5 but the question is worth 4 points"
    )


def test_essay_levels_that_do_not_reach_the_criterion(app: Flask) -> None:
    problems, placed = edit(
        app,
        FIXTURE,
        "fx-essay",
        {
            "rubric-0-levels-0-points": "0",
            "rubric-0-levels-0-descriptor": "Nothing",
            "rubric-0-levels-1-points": "2",
            "rubric-0-levels-1-descriptor": "Most",
            "rubric-1-points": "",
        },
    )
    assert _only(placed, "rubric-0-levels", problems) == (
        "the levels must run from 0 to the criterion's 3 points (found 0 to 2)"
    )
    assert _only(placed, "rubric-1-points", problems) == (
        "`points` must be a number, not null (nothing)"
    )


def test_numeric_range_that_runs_backwards(app: Flask) -> None:
    problems, placed = edit(
        app, FIXTURE, "fx-numeric", {"answers-2-min": "1850", "answers-2-max": "1800"}
    )
    assert _only(placed, "answers-2-max", problems) == "`max` (1800) is less than `min` (1850)"
    assert placed.other == []


def test_problems_are_shown_beside_the_fields_in_the_editor(app: Flask) -> None:
    _problems, placed = edit(app, FIXTURE, "fx-matching", {"pairs-1-right": ""})
    entry = entry_of(question_of(FIXTURE, "fx-matching"))
    html = editor_html(app, entry, bank_of(FIXTURE), placed)
    assert 'id="f-pairs-1-right-error"' in html
    assert 'aria-describedby="f-pairs-1-right-error"' in html


BLANK_EDITOR_PROBLEMS = {
    "single": {"options": "`options` needs at least 2 entries (found 0)"},
    "multiple": {"options": "`options` needs at least 2 entries (found 0)"},
    "truefalse": {"answer": "`answer` must be true or false (unquoted), not null (nothing)"},
    "short": {"accepted": "`accepted` needs at least 1 entries (found 0)"},
    "matching": {"pairs": "`pairs` needs at least 2 entries (found 0)"},
    "ordering": {"items": "`items` needs at least 2 entries (found 0)"},
    "evidence": {"select": "`select` is empty", "key": "`key` needs at least 1 entries (found 0)"},
    "essay": {},
    "numeric": {"answers": "`answers` needs at least 1 entries (found 0)"},
}


@pytest.mark.parametrize("qtype", sorted(BLANK_EDITOR_PROBLEMS))
def test_a_new_questions_blank_fields_are_named_beside_them(app: Flask, qtype: str) -> None:
    """A new question posted with its type's fields untouched: what is missing is said at the
    field or list (not at the question's id line, nor above the form)."""
    entry = {
        "id": "q-new",
        "type": qtype,
        "prompt": "Why?",
        "points": 1,
        "skill": "literal",
        "difficulty": "easy",
        "evidence": ["short:p1"],
        "explanation": "Because.",
    }
    html = editor_html(app, entry, bank_of(FIXTURE))
    edited = entry_from_form(EditorForm.of(submitted_values(html)))
    _text, parsed, _problems, placed = check_edited(bank_of(FIXTURE), edited)
    assert {name: " · ".join(m) for name, m in placed.by_field.items()} == (
        BLANK_EDITOR_PROBLEMS[qtype]
    )
    assert placed.other == []
    assert (parsed is not None) == (qtype == "essay")


def test_a_problem_is_shown_once_beside_its_field_and_a_rows_own_under_the_row(
    app: Flask,
) -> None:
    _problems, placed = edit(app, FIXTURE, "fx-matching", {"pairs-1-right": ""})
    entry = entry_of(question_of(FIXTURE, "fx-matching"))
    html = editor_html(app, entry, bank_of(FIXTURE), placed)
    assert html.count("`right` is empty") == 1
    # a row's own problem (at its first line) and one of a field a row has no field for
    _problems, placed = edit(app, FIXTURE, "fx-evidence", {"feedback_for-0-ref": "short:p2"})
    entry = entry_of(question_of(FIXTURE, "fx-evidence"))
    html = editor_html(app, entry, bank_of(FIXTURE), placed)
    assert html.count("must be a sentence (p4.s2)") == 1
    assert 'data-field-error="feedback_for-0">feedback_for `short:p2`' in html


def test_line_breaks_in_short_texts_survive_the_form(app: Flask) -> None:
    """A one-line input drops line breaks when posted: a text that has some is edited in a
    box of several lines, so an unchanged form stays the same question."""
    bank = bank_of(FIXTURE)
    single = question_of(FIXTURE, "fx-single").spec
    matching = question_of(FIXTURE, "fx-matching").spec
    short = question_of(FIXTURE, "fx-short").spec
    options = [{**single["options"][0], "feedback": "Yes.\nSee p4."}, *single["options"][1:]]
    pairs = [{**matching["pairs"][0], "right": "two\nsentences"}, *matching["pairs"][1:]]
    accepted = [short["accepted"][0], {**short["accepted"][1], "feedback": "Nearly:\nfull."}]
    edited_specs = [
        {**single, "options": options},
        {**matching, "pairs": pairs},
        {**short, "accepted": accepted},
    ]
    for spec in edited_specs:
        html = editor_html(app, question_entry(QuestionOut(spec=spec), None, shorten=False), bank)
        edited = entry_from_form(EditorForm.of(submitted_values(html)))
        _, parsed, problems, _ = check_edited(bank, edited)
        assert parsed is not None, [str(p) for p in problems]
        assert parsed.questions[0].spec == spec
