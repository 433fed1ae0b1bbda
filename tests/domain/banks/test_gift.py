"""Moodle GIFT import/export (app.domain.banks.gift): conformance data, behaviours, round trips."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.banks.gift import (
    PLACEHOLDER_EXPLANATION,
    GiftImport,
    GiftProblem,
    export_gift,
    export_gift_with_report,
    gift_to_bank_yaml,
    parse_gift,
    slugify,
)
from tests.support.paths import SHARED

CONFORMANCE = SHARED / "gift-conformance"
CASES = sorted(p.stem for p in CONFORMANCE.glob("*.gift")) if CONFORMANCE.is_dir() else []
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
SKILLS = {"literal", "vocabulary", "inference", "argument", "evidence", "rhetoric"}


def parse(text: str) -> GiftImport:
    return parse_gift(text, filename="t.gift")


def only(text: str) -> dict:
    result = parse(text)
    assert len(result.questions) == 1, result.problems
    return result.questions[0]


def messages(result: GiftImport, severity: str | None = None) -> list[str]:
    """Problem messages, without the summary about placeholder explanations."""
    return [
        p.message
        for p in result.problems
        if severity in (None, p.severity) and PLACEHOLDER_EXPLANATION not in p.message
    ]


# --------------------------------------------------------------------------------------------
# Conformance suite (GIFT-grammar-PEG.js expectations mapped onto Hustings' bank form)
# --------------------------------------------------------------------------------------------


def plain(text: str | None) -> str:
    """Compare texts by what a reader sees: no tags, entities decoded, whitespace collapsed.

    Our import turns Moodle line breaks into <br> and Markdown into HTML; the suite keeps the
    source text.  Moodle also trims every line of a GIFT file (so <pre> indentation is lost in
    Moodle too), which this normalisation ignores as well.
    """
    text = re.sub(r"<br\s*/?>", " ", text or "")
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    text = " ".join(text.split())
    return re.sub(r"\s+([.,;:?!])", r"\1", text)


def expected_text(value: dict | None) -> str:
    if not value:
        return ""
    text = value["text"]
    if value.get("format") == "markdown":
        text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)
        text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
        text = re.sub(r"(?<!\w)([*_])([^\s*_].*?)\1(?!\w)", r"\2", text)
    return plain(text)


def check_choice(ours: dict, theirs: dict) -> None:
    choices = theirs["choices"]
    # With a '=' answer Moodle makes a single-answer question: only '=' answers are keys
    # (weighted '~%50%' ones lose their partial credit).  Without one, positive weights are keys.
    single_mode = any(c["isCorrect"] for c in choices)
    keys = [c["isCorrect"] if single_mode else (c["weight"] or 0) > 0 for c in choices]
    assert ours["type"] == ("single" if single_mode and sum(keys) == 1 else "multiple")
    assert [o["correct"] for o in ours["options"]] == keys
    texts = [expected_text(c["text"]) for c in choices]
    assert [plain(o["text"]) for o in ours["options"]] == texts
    assert [plain(o.get("feedback")) for o in ours["options"]] == [
        expected_text(c["feedback"]) for c in choices
    ]


def check_truefalse(ours: dict, theirs: dict) -> None:
    assert ours["type"] == "truefalse"
    assert ours["answer"] is theirs["isTrue"]
    first, second = theirs["trueFeedback"], theirs["falseFeedback"]
    if theirs["isTrue"]:
        # The suite reads {TRUE#a#b} as a = feedback for "true".  Moodle's
        # split_truefalse_comment reads the first '#' as the feedback for the WRONG answer and
        # the second as the feedback for the right one, whatever the key; we follow Moodle.
        first, second = second, first
    assert plain(ours.get("feedback_true")) == expected_text(first)
    assert plain(ours.get("feedback_false")) == expected_text(second)


def check_short(ours: dict, theirs: dict) -> None:
    assert ours["type"] == "short"
    wanted = []
    for choice in theirs["choices"]:
        credit = 1.0 if choice["weight"] is None else choice["weight"] / 100
        if choice["text"]["text"] == "*" and credit == 0:
            # Moodle's "any other answer" with 0% credit is Hustings' feedback_wrong.
            assert plain(ours.get("feedback_wrong")) == expected_text(choice["feedback"])
            continue
        wanted.append((expected_text(choice["text"]), credit, expected_text(choice["feedback"])))
    got = [(plain(a["text"]), a["credit"], plain(a.get("feedback"))) for a in ours["accepted"]]
    assert got == wanted


def check_matching(ours: dict, theirs: dict) -> None:
    assert ours["type"] == "matching"
    pairs = [p for p in theirs["matchPairs"] if p["subquestion"]["text"]]
    assert [(plain(p["left"]), p["right"]) for p in ours["pairs"]] == [
        (expected_text(p["subquestion"]), p["subanswer"]) for p in pairs
    ]
    distractors = [p["subanswer"] for p in theirs["matchPairs"] if not p["subquestion"]["text"]]
    assert ours.get("distractors", []) == distractors


def check_essay(ours: dict, theirs: dict) -> None:
    assert ours["type"] == "essay"
    assert sum(c["points"] for c in ours["rubric"]) == ours["points"] == 1


def _their_intervals(choice: dict) -> tuple[float, float]:
    text = choice.get("text", choice)
    if text.get("type") == "high-low":
        return (text["numberLow"], text["numberHigh"])
    tolerance = text.get("range", 0) or 0
    return (text["number"] - tolerance, text["number"] + tolerance)


def check_numerical(ours: dict, theirs: dict) -> None:
    assert ours["type"] == "numeric"
    choices = theirs["choices"] if isinstance(theirs["choices"], list) else [theirs["choices"]]
    earning = [
        c
        for c in choices
        if (c.get("weight") is None or c["weight"] > 0)
        and c.get("text", c).get("text") != "*"
        and c.get("isCorrect", True)
    ]
    got = []
    for answer in ours["answers"]:
        if "value" in answer:
            tolerance = answer.get("tolerance", 0)
            got.append((answer["value"] - tolerance, answer["value"] + tolerance))
        else:
            got.append((answer["min"], answer["max"]))
    wanted = [bound for c in earning for bound in _their_intervals(c)]
    assert [bound for interval in got for bound in interval] == pytest.approx(wanted)
    credits = [a.get("credit", 1) for a in ours["answers"]]
    assert credits == pytest.approx(
        [1 if c.get("weight") is None else c["weight"] / 100 for c in earning]
    )


CHECKS = {
    "Numerical": check_numerical,
    "MC": check_choice,
    "TF": check_truefalse,
    "Short": check_short,
    "Matching": check_matching,
    "Essay": check_essay,
}


@pytest.mark.skipif(not CASES, reason="shared/gift-conformance is missing")
@pytest.mark.parametrize("name", CASES)
def test_conformance_case(name: str) -> None:
    text = (CONFORMANCE / f"{name}.gift").read_text(encoding="utf-8")
    expected = json.loads((CONFORMANCE / f"{name}.json").read_text(encoding="utf-8"))
    result = parse_gift(text, filename=f"{name}.gift")

    imported = iter(result.questions)
    descriptions = 0
    for theirs in expected:
        kind = theirs["type"]
        if kind == "Category":
            continue  # a bank is the category: nothing to import, nothing to report
        if kind == "Description":
            descriptions += 1
            continue
        ours = next(imported)
        assert ID_PATTERN.match(ours["id"])
        if theirs.get("id"):
            assert ours["id"] == slugify(theirs["id"])
        elif theirs.get("title"):
            assert ours["id"].startswith(slugify(theirs["title"]))
        assert plain(ours["prompt"]) == expected_text(theirs["stem"])
        if theirs.get("globalFeedback"):
            assert plain(ours["explanation"]) == expected_text(theirs["globalFeedback"])
        else:  # a bank question needs an explanation: the import leaves a visible placeholder
            assert ours["explanation"] == PLACEHOLDER_EXPLANATION
        assert ours["points"] == 1
        assert ours["evidence"] == []
        ignored = [t for t in theirs.get("tags") or [] if t not in SKILLS]
        assert sum(f"tag {t!r} ignored" in m for t in ignored for m in messages(result)) == len(
            ignored
        )
        CHECKS[kind](ours, theirs)
    assert next(imported, None) is None

    assert messages(result).count("description skipped: Hustings has no text-only items") == (
        descriptions
    )
    assert messages(result, "error") == []
    assert len({q["id"] for q in result.questions}) == len(result.questions)


# --------------------------------------------------------------------------------------------
# Behaviours
# --------------------------------------------------------------------------------------------


def test_ids_from_metadata_title_or_position_and_unique() -> None:
    result = parse(
        "// [id:Q 12]\n::Title::A?{T}\n\n"
        "::Grant's Tomb — 2::B?{T}\n\n"
        "C?{T}\n\n"
        "::Grant's Tomb — 2::D?{T}\n\n"
        "// [id:]]\n::!!::E?{T}\n"
    )
    assert [q["id"] for q in result.questions] == [
        "q-12",
        "grants-tomb-2",
        "gift-3",
        "grants-tomb-2-2",
        "gift-5",
    ]


def test_tags_set_skill_and_difficulty_and_others_are_reported() -> None:
    result = parse_gift(
        "// [tag:Inference] [tag:hard] [tag:week-3]\nQ?{T}\n\nR?{F}",
        default_skill="rhetoric",
        default_difficulty="easy",
    )
    first, second = result.questions
    assert (first["skill"], first["difficulty"]) == ("inference", "hard")
    assert (second["skill"], second["difficulty"]) == ("rhetoric", "easy")
    assert messages(result) == ["tag 'week-3' ignored: not a Hustings reading skill or difficulty"]


def test_unknown_defaults_are_refused() -> None:
    with pytest.raises(ValueError, match="skill"):
        parse_gift("Q?{T}", default_skill="reading")
    with pytest.raises(ValueError, match="difficulty"):
        parse_gift("Q?{T}", default_difficulty="tricky")


def test_every_escape() -> None:
    question = only(r"[html]a\~b\=c\#d\{e\}f\:g\\h\nI \\n {=x\=y#fb\#1\\}")
    assert question["prompt"] == "a~b=c#d{e}f:g\\h\nI \\n"
    assert question["accepted"] == [{"text": "x=y", "credit": 1.0, "feedback": "fb#1\\"}]


def test_comments_and_categories_are_skipped() -> None:
    result = parse("// intro\n\n$CATEGORY: $course$/top/Week 1\n\n// about q\nQ?{T}\n// trailer")
    assert [q["prompt"] for q in result.questions] == ["Q?"]
    assert messages(result) == []


def test_text_formats() -> None:
    assert only("[plain]1 < 2\nand {T}")["prompt"] == "1 &lt; 2<br>\nand"
    assert only("[moodle]line one\nline two{T}")["prompt"] == "line one<br>\nline two"
    assert only("[html]<p>x</p>\n<p>y</p>{T}")["prompt"] == "<p>x</p>\n<p>y</p>"
    markdown = only(r"[markdown]Read **this**, _that_ and `x<y`:\n\n- one\n- two{T}")
    assert markdown["prompt"] == (
        "<p>Read <strong>this</strong>, <em>that</em> and <code>x&lt;y</code>:</p>"
        "<ul><li>one</li><li>two</li></ul>"
    )
    # answers and feedback take the question's format unless they name their own
    question = only("[markdown]Q?{=**a**#[html]<i>fb</i> ~[plain]<b>#_c_}")
    assert question["options"] == [
        {"text": "<strong>a</strong>", "correct": True, "feedback": "<i>fb</i>"},
        {"text": "&lt;b&gt;", "correct": False, "feedback": "<em>c</em>"},
    ]


def test_markdown_blank_is_not_emphasis() -> None:
    assert only("[markdown]{=Asia} is _big_.")["prompt"] == "_____ is <em>big</em>."


def test_missing_word_keeps_a_blank_in_the_stem() -> None:
    assert only("Grant is {~buried =entombed} in the tomb.")["prompt"] == (
        "Grant is _____ in the tomb."
    )
    assert only("Grant is entombed in the tomb.{T}")["prompt"] == "Grant is entombed in the tomb."


def test_single_choice_with_partial_credit_keeps_one_key_and_warns() -> None:
    result = parse("Q?{~wrong ~%50%half#meh ~%-25%bad =right}")
    (question,) = result.questions
    assert question["type"] == "single"
    assert [o["correct"] for o in question["options"]] == [False, False, False, True]
    assert question["options"][1]["feedback"] == "meh"
    assert len(messages(result, "warning")) == 2


def test_several_full_credit_answers_become_multiple_response() -> None:
    result = parse("Seasons?{=spring =summer ~easter}")
    assert result.questions[0]["type"] == "multiple"
    assert "imported as multiple response" in messages(result)[0]


def test_multiple_response_weights() -> None:
    equal = parse("Q?{~%50%a ~%50%b ~%-100%c ~d}")
    assert [o["correct"] for o in equal.questions[0]["options"]] == [True, True, False, False]
    assert messages(equal) == []
    unequal = parse("Q?{~%70%a ~%30%b ~c}")
    assert unequal.questions[0]["type"] == "multiple"
    assert "not equal shares" in messages(unequal, "warning")[0]
    none = parse("Q?{~%-50%a ~b}")
    assert none.questions == []
    assert "positive weight" in messages(none, "error")[0]


def test_truefalse_feedback_follows_moodle() -> None:
    question = only("Q?{TRUE#shown to those who said false#shown to those who said true}")
    assert question["answer"] is True
    assert question["feedback_false"] == "shown to those who said false"
    assert question["feedback_true"] == "shown to those who said true"
    question = only("Q?{F#to true}")
    assert (question["answer"], question["feedback_true"]) == (False, "to true")
    assert "feedback_false" not in question
    # Moodle's true/false tokens are upper case; anything else is a short answer
    assert only("Q?{true}")["type"] == "short"


def test_short_answer_credit_wildcard_and_zero_credit() -> None:
    result = parse("Q?{=Nazareth#yes =%50%Nazereth =%0%Rome#no =%0%*#wrong}")
    (question,) = result.questions
    assert question["accepted"] == [
        {"text": "Nazareth", "credit": 1.0, "feedback": "yes"},
        {"text": "Nazereth", "credit": 0.5},
    ]
    assert question["feedback_wrong"] == "wrong"
    assert "'Rome' with 0% credit dropped" in messages(result)[0]
    assert "no accepted answer" in messages(parse("Q?{=%0%a}"), "error")[0]


def test_what_the_bank_validator_would_refuse_is_handled_here() -> None:
    duplicate = parse("Q?{=Yes ~ yes ~no}")
    assert duplicate.questions == []
    assert "two answers read" in messages(duplicate, "error")[0]
    too_many = parse("Q?{=a " + " ".join(f"~x{i}" for i in range(26)) + "}")
    assert "at most 26" in messages(too_many, "error")[0]
    # short answers: Moodle takes the first match, so later look-alikes never count
    result = parse("Q?{=Corbyn =%50%corbyn! =%50%... =%50%Smith}")
    (question,) = result.questions
    assert [a["text"] for a in question["accepted"]] == ["Corbyn", "Smith"]
    assert len(messages(result, "warning")) == 2
    partial = parse("Q?{=%50%Corbyn}")
    assert partial.questions[0]["manual_review"] is True
    assert "manual_review is set" in messages(partial)[0]


def test_missing_explanations_get_a_placeholder_and_one_summary() -> None:
    result = parse("A?{T}\n\nB?{F####Because.}\n\nC?{T}")
    assert [q["explanation"] for q in result.questions] == [
        PLACEHOLDER_EXPLANATION,
        "Because.",
        PLACEHOLDER_EXPLANATION,
    ]
    (summary,) = [p for p in result.problems if PLACEHOLDER_EXPLANATION in p.message]
    assert (summary.line, summary.title, summary.severity) == (1, None, "warning")
    assert summary.message.startswith("2 question(s) had no general feedback")


def test_matching_with_distractor() -> None:
    question = only("Match.{=Canada -> Ottawa =Italy->Rome = -> Paris}")
    assert question["pairs"] == [
        {"left": "Canada", "right": "Ottawa"},
        {"left": "Italy", "right": "Rome"},
    ]
    assert question["distractors"] == ["Paris"]
    assert "no '->'" in messages(parse("Match.{=a -> b =c}"), "error")[0]
    assert "at least 2 pairs" in messages(parse("Match.{=a -> b = -> c}"), "error")[0]
    assert "same left-hand side" in messages(parse("M.{=a -> b =A -> c}"), "error")[0]
    repeated = parse("M.{=a -> 1 =b -> 2 = -> 2}")
    assert "distractors" not in repeated.questions[0]
    assert "repeats a right-hand side" in messages(repeated)[0]


def test_numerical_questions_in_every_moodle_form() -> None:
    (tolerance,) = parse("Q?{#1822:5}").questions
    assert tolerance["type"] == "numeric"
    assert tolerance["answers"] == [{"value": 1822, "tolerance": 5}]
    (exact,) = parse("Q?{#-1}").questions
    assert exact["answers"] == [{"value": -1}]
    (span,) = parse("Q?{#1..5}").questions
    assert span["answers"] == [{"min": 1, "max": 5}]
    (several,) = parse("Q?{#\n=1822:0#Right\n=%50%1822:2#close\n~#no}").questions
    assert several["answers"] == [
        {"value": 1822, "feedback": "Right"},
        {"value": 1822, "tolerance": 2, "credit": 0.5, "feedback": "close"},
    ]
    assert several["feedback_wrong"] == "no"
    (decimals,) = parse("Pi?{#3.1415:0.0005}").questions
    assert decimals["answers"] == [{"value": 3.1415, "tolerance": 0.0005}]


def test_numerical_answers_that_are_no_numbers_are_refused_clearly() -> None:
    for gift, wanted in (
        ("Q?{#abc}", "'abc' is not a number"),
        ("Q?{#5..1}", "runs backwards"),
        ("Q?{#3:-1}", "the tolerance cannot be negative"),
        ("Q?{#1,822}", "'1,822' is not a number"),
        ("Q?{#=%0%3}", "no numerical answer that earns credit"),
        ("Q?{#=%50%3}", "no numerical answer gives full credit"),
    ):
        result = parse(gift)
        assert result.questions == []
        assert any(wanted in m for m in messages(result, "error")), (gift, messages(result))


def test_numerical_zero_credit_answers_lose_only_their_feedback() -> None:
    (question,) = parse("Q?{#=%0%5#Too few =%100%9#Yes =%0%*#Count again}").questions
    assert question["answers"] == [{"value": 9, "feedback": "Yes"}]
    assert question["feedback_wrong"] == "Count again"
    assert any("credit dropped" in m for m in messages(parse("Q?{#=%0%5 =9}"), "warning"))


def test_essay_gets_a_placeholder_rubric_and_general_feedback() -> None:
    result = parse("::E1::Discuss.{####Look for the two coups.}")
    (question,) = result.questions
    assert question["type"] == "essay"
    assert question["explanation"] == "Look for the two coups."
    assert question["rubric"][0]["points"] == question["points"] == 1
    assert messages(result) == ["essay imported with a placeholder rubric: write a rubric"]


def test_description_is_skipped_with_a_warning() -> None:
    result = parse("::Intro::Read the article first.")
    assert result.questions == []
    assert result.problems == [
        GiftProblem(
            1, "intro", "description skipped: Hustings has no text-only items", "warning", "t.gift"
        )
    ]


def test_structural_errors_and_problem_format() -> None:
    result = parse_gift("\n\n::Q1::Broken {=a\n\nQ? {=a} and {=b}", filename="week1.gift")
    assert [str(p) for p in result.problems] == [
        "week1.gift:3: q1: no {…} answer block: a '{' or '}' is missing (escape literal ones as"
        " \\{ \\})",
        "week1.gift:5: gift-2: more than one {…} answer block: GIFT allows one per question",
    ]
    assert all(p.severity == "error" for p in result.problems)
    assert result.questions == []


def test_error_questions_do_not_take_their_id() -> None:
    result = parse("::Same::Q?{#abc}\n\n::Same::Q?{T}")
    assert [q["id"] for q in result.questions] == ["same"]


# --------------------------------------------------------------------------------------------
# Bank YAML
# --------------------------------------------------------------------------------------------


def test_bank_yaml_is_a_valid_quoted_block_style_document() -> None:
    result = parse("::A::Is it?{=No =yes ~12:30}\n\n::B::Say it.{=No =%50%Off}\n\n::C::X?{#x}")
    text = gift_to_bank_yaml(result, bank_id="imported-week1", title="Week 1: imported")
    document = yaml.safe_load(text)
    assert document["version"] == 1
    assert document["bank"] == {"id": "imported-week1", "title": "Week 1: imported"}
    assert document["sources"] == []
    assert document["questions"] == result.questions
    assert '  - text: "No"' in text
    assert "{" not in text.split("questions:")[1].replace("evidence: []", "")  # block style
    assert "#   error: t.gift:5: c: numerical answer 'x': 'x' is not a number" in text


@pytest.mark.skipif(not CASES, reason="shared/gift-conformance is missing")
def test_imported_banks_pass_the_bank_validator() -> None:
    """The contract with app.domain.banks.schema: an import plus a source is a loadable bank."""
    schema = pytest.importorskip("app.domain.banks.schema")
    source = {"id": "article", "title": "T", "publication": "P", "text": "One.\n\nTwo."}
    for name in CASES:
        result = parse_gift((CONFORMANCE / f"{name}.gift").read_text(encoding="utf-8"))
        text = gift_to_bank_yaml(result, bank_id="imported", title="I", sources=[source])
        bank, problems = schema.parse_bank(text, filename=f"{name}.yaml")
        assert [str(p) for p in problems] == []
        assert bank is not None


def test_bank_yaml_shares_no_anchors_and_takes_sources() -> None:
    shared = {"text": "a", "correct": True}
    question = {"id": "q", "type": "single", "options": [shared, shared]}
    text = gift_to_bank_yaml(
        GiftImport([question, question], []),
        bank_id="b",
        title="t",
        sources=[{"id": "two-coups", "file": "sources/tale-of-two-coups.md"}],
    )
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load(text)["sources"][0]["id"] == "two-coups"
    with pytest.raises(ValueError, match="bank id"):
        gift_to_bank_yaml(GiftImport([], []), bank_id="Not OK", title="t")


# --------------------------------------------------------------------------------------------
# Export and round trips (canonical specs built by hand, see docs/dev/contracts.md)
# --------------------------------------------------------------------------------------------


def spec(qid: str, qtype: str, **fields: Any) -> dict:
    base = {
        "id": qid,
        "type": qtype,
        "prompt": f"Prompt of {qid}?",
        "points": 1.0,
        "skill": "rhetoric",
        "difficulty": "hard",
        "evidence": [],
        "explanation": f"Why {qid} is keyed so.",
        "source": None,
        "feedback_correct": "",
        "feedback_partial": "",
        "feedback_wrong": "",
    }
    return base | fields


def options(*items: tuple[str, bool, str]) -> list[dict]:
    return [
        {"id": chr(ord("a") + i), "text": text, "correct": correct, "feedback": feedback}
        for i, (text, correct, feedback) in enumerate(items)
    ]


SPECS = [
    spec(
        "tc-fantasy-labour",
        "single",
        prompt="What does the author mean by “Fantasy Labour”? {see p17} 50% = half: a~b #tag",
        explanation="The closing line mocks a party\nthat ignores voters.",
        options=options(
            ("A party detached from what <em>voters</em> think.", True, "Yes: p16."),
            ("[Sic] a new faction", False, "Tempting, but no."),
            ("%50% of the party", False, ""),
            ("C:\\path\\n -> x", False, "#1 {b}"),
        ),
    ),
    spec(
        "km-reasons",
        "multiple",
        options=options(
            ("Smith was unknown", True, "Right."),
            ("Corbyn's mandate", True, ""),
            ("The weather", False, "No."),
            ("Brexit", True, ""),
            ("Polls", False, ""),
        ),
    ),
    spec("km-all-right", "multiple", options=options(("a", True, ""), ("b", True, ""))),
    spec("tf-true", "truefalse", answer=True, feedback_true="Yes.", feedback_false="No: p3."),
    spec("tf-false", "truefalse", answer=False, feedback_true="", feedback_false="Right."),
    spec("tf-only-true-fb", "truefalse", answer=True, feedback_true="Yes!", feedback_false=""),
    spec("tf-bare", "truefalse", answer=False, feedback_true="", feedback_false=""),
    spec(
        "sa-leader",
        "short",
        prompt="Who won? _____",
        accepted=[
            {"text": "Jeremy Corbyn", "credit": 1.0, "feedback": "Yes."},
            {"text": "Corbyn", "credit": 0.5, "feedback": ""},
            {"text": "[the] leader", "credit": 0.25, "feedback": "Be precise."},
        ],
        manual_review=False,
        feedback_wrong="Read p2 again.",
    ),
    spec(
        "match-people",
        "matching",
        pairs=[
            {"id": "1", "left": "Corbyn", "right": "Leader"},
            {"id": "2", "left": "Smith -&gt; challenger", "right": "Challenger -> loser = x"},
        ],
        distractors=[{"id": "d1", "text": "Mayor"}],
    ),
    spec(
        "essay-coups",
        "essay",
        points=1.0,
        explanation="Compare the two coups.",
        rubric=[{"criterion": "Argument", "points": 1.0, "description": "Clear claim."}],
        model_answer="",
        min_words=None,
        max_words=None,
    ),
]


def bank_view(spec: dict) -> dict:
    """What a Hustings question can keep through GIFT, in the bank form parse_gift returns."""
    view: dict[str, Any] = {
        key: spec[key] for key in ("id", "type", "prompt", "points", "skill", "difficulty")
    }
    view |= {"evidence": [], "explanation": spec["explanation"]}
    kind = spec["type"]
    if kind in ("single", "multiple"):
        view["options"] = [
            {"text": o["text"], "correct": o["correct"]}
            | ({"feedback": o["feedback"]} if o["feedback"] else {})
            for o in spec["options"]
        ]
    elif kind == "truefalse":
        view["answer"] = spec["answer"]
        view |= {k: spec[k] for k in ("feedback_true", "feedback_false") if spec[k]}
    elif kind == "short":
        view["accepted"] = [
            {"text": a["text"], "credit": a["credit"]}
            | ({"feedback": a["feedback"]} if a["feedback"] else {})
            for a in spec["accepted"]
        ]
        if spec["feedback_wrong"]:
            view["feedback_wrong"] = spec["feedback_wrong"]
    elif kind == "matching":
        view["pairs"] = [{"left": p["left"], "right": p["right"]} for p in spec["pairs"]]
        if spec["distractors"]:
            view["distractors"] = [d["text"] for d in spec["distractors"]]
    elif kind == "essay":
        view["rubric"] = None  # GIFT has no rubric: the import writes a placeholder
    return view


def roundtrip_view(question: dict) -> dict:
    return question | ({"rubric": None} if question["type"] == "essay" else {})


def test_export_then_import_gives_the_same_questions() -> None:
    text = export_gift(SPECS)
    result = parse_gift(text, default_skill="literal", default_difficulty="easy")
    assert [roundtrip_view(q) for q in result.questions] == [bank_view(s) for s in SPECS]
    assert messages(result, "error") == []


def test_export_matches_moodle_conventions() -> None:
    text = export_gift(SPECS, category="Hustings/Two coups")
    assert text.startswith("// Exported from Hustings.\n\n$CATEGORY: Hustings/Two coups\n\n")
    assert "// [id:km-reasons]\n// [tag:rhetoric] [tag:hard]\n::km-reasons::[html]" in text
    # +1/3 for each key and -1/2 for each wrong option: Moodle then scores like Hustings
    assert "\t~%33.33333%Smith was unknown#Right.\n" in text
    assert "\t~%-50%The weather#No.\n" in text
    assert "{TRUE#No\\: p3.#Yes.####Why " in text
    assert "{FALSE##Right.####Why " in text
    assert "{TRUE##Yes!####Why " in text
    assert "\t=%100%Jeremy Corbyn#Yes.\n" in text
    assert "\t=%0%*#Read p2 again.\n" in text
    assert "\t= -> Mayor\n" in text
    assert "::essay-coups::[html]Prompt of essay-coups?{####Compare the two coups.}" in text
    # every question is separated by a blank line and no line of it is blank
    for block in text.strip().split("\n\n")[2:]:
        assert all(line.strip() for line in block.split("\n"))


def test_export_reports_what_gift_cannot_hold() -> None:
    specs = [
        spec("ord-1", "ordering", items=[{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]),
        spec("ev-1", "evidence", select="paragraph", key=["two-coups:p3"]),
        spec(
            "sc-1",
            "single",
            points=2.0,
            evidence=["two-coups:p4"],
            feedback_correct="Well done",
            options=options(("a", True, ""), ("b", False, "")),
        ),
        spec("sa-odd", "short", accepted=[{"text": "x", "credit": 0.35, "feedback": ""}]),
    ]
    text, problems = export_gift_with_report(specs)
    assert "// Hustings: ordering question ord-1 cannot be expressed in GIFT" in text
    assert "// Hustings: evidence question ev-1 cannot be expressed in GIFT" in text
    got = [(p.title, p.severity, p.message) for p in problems]
    assert got == [
        ("ord-1", "error", "ordering questions cannot be expressed in GIFT"),
        ("ev-1", "error", "evidence questions cannot be expressed in GIFT"),
        (
            "sc-1",
            "warning",
            "not expressible in GIFT, dropped: points (2; Moodle gives 1), evidence references,"
            " feedback_correct",
        ),
        (
            "sa-odd",
            "warning",
            "credit 0.35 for 'x' is not one of Moodle's grades: Moodle will refuse this question",
        ),
    ]
    lines = text.split("\n")
    assert all(lines[p.line - 1].startswith("//") for p in problems)
    # the reported line is where the question starts in the exported text
    assert lines[problems[2].line - 1] == "// [id:sc-1]"
    imported = parse(text)
    assert [q["id"] for q in imported.questions] == ["sc-1", "sa-odd"]


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

GIFT_ALPHABET = st.sampled_from([*"{}=~#%:->\\/[]$*_ \n\tabTRUEF01.", "::", "//", "####"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(GIFT_ALPHABET, max_size=60).map("".join)))
def test_parse_never_raises(text: str) -> None:
    result = parse_gift(text)
    assert all(ID_PATTERN.match(q["id"]) for q in result.questions)
    assert len({q["id"] for q in result.questions}) == len(result.questions)
    assert all(p.severity in ("error", "warning") for p in result.problems)
    yaml.safe_load(gift_to_bank_yaml(result, bank_id="b", title="t"))


NONCHARACTERS = "".join(chr(c) for c in range(0xFDD0, 0xFDD8))
texts = (
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r" + NONCHARACTERS),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda t: t and t == t.strip(" \t\n\r\0\x0b"))
)


@settings(max_examples=150, deadline=None)
@given(texts, texts, texts, texts, st.booleans())
def test_any_text_survives_a_round_trip(
    prompt: str, right: str, wrong: str, feedback: str, key_first: bool
) -> None:
    # options that read the same are refused, as the bank validator refuses them
    assume(" ".join(right.casefold().split()) != " ".join(wrong.casefold().split()))
    items = [(right, True, feedback), (wrong, False, "")]
    question = spec(
        "q",
        "single",
        prompt=prompt,
        explanation=feedback,
        options=options(*(items if key_first else items[::-1])),
    )
    (back,) = parse(export_gift([question])).questions
    assert back == bank_view(question)


@pytest.mark.parametrize(
    ("stem", "said"),
    [
        ('Listen: <audio src="clip.mp3"></audio> Who speaks?', "audio"),
        ('Look at <img src="@@PLUGINFILE@@/chart.png"> What rose?', "attached files, images"),
        ("Read [the report](http://example.org/r) first. What does it find?", "links"),
        ("See ![chart](chart.png). What rose?", "images"),
        ('<iframe src="x"></iframe> Which party?', "embedded content"),
    ],
)
def test_links_and_media_in_a_question_are_reported_before_they_are_cleaned_away(
    stem: str, said: str
) -> None:
    result = parse(f"::Q:: {stem} {{=Yes ~No}}")
    warnings = [m for m in messages(result, "warning") if "will be removed" in m]
    assert warnings == [
        f"the question text's {said} will be removed (Hustings shows no links or media); if the "
        "question depends on them, rewrite it before loading"
    ]


def test_a_plain_question_gets_no_media_warning() -> None:
    result = parse("::Q:: Which party won [the] most seats? {=Labour ~Conservatives}")
    assert not [m for m in messages(result) if "will be removed" in m]
