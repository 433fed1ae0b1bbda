"""Grading: every type's scoring rule, feedback, malformed responses, attempt aggregation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.banks.schema import load_bank_file
from app.domain.grading import (
    GRADERS,
    GRADING_METHODS,
    Grade,
    aggregate_attempt_scores,
    grade,
    normalise_answer,
)
from tests.support.paths import FIXTURES


def _specs() -> dict[str, dict[str, Any]]:
    bank, problems = load_bank_file(FIXTURES / "all_types.yaml")
    assert bank is not None, problems
    return {q.type: q.spec for q in bank.questions}


SPECS = _specs()


def test_every_type_has_a_grader() -> None:
    assert set(GRADERS) == set(SPECS)


def test_grade_points() -> None:
    assert Grade(0.5, "partial").points(3) == 1.5
    assert Grade(1 / 3, "partial").points(2) == 0.67
    assert Grade(None, "needs_grading").points(2) is None


# --------------------------------------------------------------------------- single


def test_single() -> None:
    spec = SPECS["single"]
    right = grade(spec, "a")
    assert (right.fraction, right.state) == (1.0, "correct")
    assert right.feedback == ("Yes.", "Well done.")
    wrong = grade(spec, "b")
    assert (wrong.fraction, wrong.state, wrong.feedback) == (
        0.0,
        "wrong",
        ("No: that one comes first.",),
    )
    assert grade(spec, "zz") == Grade(0.0, "wrong", ())


@pytest.mark.parametrize("response", [None, "", "  ", [], {}, ["a"], 1, True, 0.5])
def test_single_malformed_is_unanswered(response: Any) -> None:
    assert grade(SPECS["single"], response) == Grade(0.0, "unanswered", ())


# --------------------------------------------------------------------------- multiple


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        (["a", "c"], 1.0, "correct"),
        (["c", "a", "a"], 1.0, "correct"),  # duplicates count once
        (["a"], 0.5, "partial"),
        (["a", "b"], 0.0, "wrong"),  # 1/2 − 1/2
        (["a", "c", "b"], 0.5, "partial"),  # 2/2 − 1/2
        (["a", "b", "c", "d"], 0.0, "wrong"),  # ticking everything never beats the key
        (["b", "d"], 0.0, "wrong"),  # clamped at 0
        (["a", "c", "zz"], 0.5, "partial"),  # an unknown id is a wrong pick
        (["a", "c", 7], 0.5, "partial"),
    ],
)
def test_multiple_partial_credit(response: list[Any], fraction: float, state: str) -> None:
    result = grade(SPECS["multiple"], response)
    assert (result.fraction, result.state) == (pytest.approx(fraction), state)


def test_multiple_with_no_wrong_options() -> None:
    spec = dict(SPECS["multiple"])
    spec["options"] = [dict(o, correct=True) for o in spec["options"]]
    assert grade(spec, ["a", "b"]).fraction == 0.5


@pytest.mark.parametrize("response", [None, [], "a", {"a": 1}, 3])
def test_multiple_malformed_is_unanswered(response: Any) -> None:
    assert grade(SPECS["multiple"], response).state == "unanswered"


# --------------------------------------------------------------------------- true/false


def test_truefalse() -> None:
    spec = SPECS["truefalse"]
    assert grade(spec, True) == Grade(1.0, "correct", ())
    assert grade(spec, False) == Grade(0.0, "wrong", ("Count again.",))
    assert grade(spec, "true").state == "correct"
    assert grade(spec, " FALSE ").state == "wrong"
    for response in (None, 1, 0, "yes", [True], {}):
        assert grade(spec, response).state == "unanswered"


# --------------------------------------------------------------------------- short answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Jeremy   CORBYN ", "jeremy corbyn"),
        ("Corbyn’s “coup” — again!", "corbyns coup again"),
        ("U.S.", "us"),
        ("ﬁne", "fine"),  # NFKC
        ("Straße", "strasse"),  # casefold
        ("\tline\nbreak\u00a0here", "line break here"),
        ("?!...", ""),
    ],
)
def test_normalise_answer(text: str, expected: str) -> None:
    assert normalise_answer(text) == expected


def test_short_answers() -> None:
    spec = SPECS["short"]
    assert grade(spec, "test gazette") == Grade(1.0, "correct", ())
    assert grade(spec, " The Test-Gazette ").state == "wrong"
    assert grade(spec, "TEST GAZETTE!") == Grade(1.0, "correct", ())
    half = grade(spec, "gazette")
    assert (half.fraction, half.state, half.feedback) == (
        0.5,
        "partial",
        ("Nearly: give the full name.",),
    )
    assert grade(spec, "the times") == Grade(0.0, "wrong", ("Look at the source line.",))
    for response in (None, "", "   ", "!!", 5, ["test gazette"]):
        assert grade(spec, response).state == "unanswered"


def test_short_best_credit_wins_and_html_entities_match() -> None:
    spec = dict(SPECS["short"])
    spec["accepted"] = [
        {"text": "Smith &amp; Co", "credit": 0.5, "feedback": "half"},
        {"text": "smith &amp; co", "credit": 1.0, "feedback": "full"},
    ]
    assert grade(spec, "Smith & Co") == Grade(1.0, "correct", ("full",))


def test_short_manual_review() -> None:
    spec = dict(SPECS["short"], manual_review=True)
    assert grade(spec, "something else") == Grade(None, "needs_grading", ())
    assert grade(spec, "Test Gazette").state == "correct"


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"1": "1", "2": "2", "3": "3"}, 1.0, "correct"),
        ({"1": "1", "2": "3", "3": "2"}, 1.0, "correct"),  # same right text "one" counts
        ({"1": "1", "2": "d1"}, 1 / 3, "partial"),
        ({"1": "2", "2": "1", "3": "1"}, 0.0, "wrong"),
        ({"1": "1", "9": "2", "2": 5, "3": None}, 1 / 3, "partial"),
        ({"1": "nope"}, 0.0, "wrong"),
    ],
)
def test_matching(response: dict[str, Any], fraction: float, state: str) -> None:
    result = grade(SPECS["matching"], response)
    assert (result.fraction, result.state) == (pytest.approx(fraction, abs=1e-6), state)


@pytest.mark.parametrize("response", [None, {}, [], "1", 1])
def test_matching_malformed_is_unanswered(response: Any) -> None:
    assert grade(SPECS["matching"], response).state == "unanswered"


# --------------------------------------------------------------------------- ordering


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        (["a", "b", "c", "d"], 1.0, "correct"),
        (["d", "c", "b", "a"], 0.0, "wrong"),  # reversed
        (["b", "c", "d", "a"], 2 / 3, "partial"),  # one item moved costs one pair
        (["a", "c", "b", "d"], 2 / 3, "partial"),  # adjacent swap
        (["a", "b"], 1 / 3, "partial"),  # missing items earn nothing for their pairs
        (["a", "a", "b", "zz", "c", "d"], 1.0, "correct"),  # first occurrence counts
        (["x", 3, None], 0.0, "wrong"),
    ],
)
def test_ordering_adjacent_pairs(response: list[Any], fraction: float, state: str) -> None:
    result = grade(SPECS["ordering"], response)
    assert (result.fraction, result.state) == (pytest.approx(fraction, abs=1e-6), state)


def test_ordering_malformed_is_unanswered() -> None:
    for response in (None, [], "abcd", {"a": 1}):
        assert grade(SPECS["ordering"], response).state == "unanswered"


# --------------------------------------------------------------------------- evidence


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        (["short:p3.s1", "short:p4.s1"], 1.0),
        (["short:p4.s1", "short:p3.s1", "short:p3.s1"], 1.0),
        (["short:p3.s1"], 2 / 3),  # 2·1/(1+2)
        (["short:p3.s1", "short:p1.s1"], 0.5),  # 2·1/(2+2)
        (["short:p3.s1", "short:p4.s1", "short:p1.s1"], 0.8),  # 2·2/(3+2)
        (["short:p1.s1"], 0.0),
        (["p3.s1", "p4.s1"], 1.0),  # unprefixed refs take the question's source
        (["short:p3.s1", 4], 0.5),  # junk counts as a wrong pick
    ],
)
def test_evidence_f1(response: list[Any], fraction: float) -> None:
    result = grade(SPECS["evidence"], response)
    assert result.fraction == pytest.approx(fraction, abs=1e-6)


def test_evidence_feedback_for_picked_passages() -> None:
    result = grade(SPECS["evidence"], ["short:p1.s1", "short:p3.s1"])
    assert result.feedback == ("Two words.",)
    assert result.state == "partial"


# --------------------------------------------------------------------------- essay


def test_essay() -> None:
    spec = SPECS["essay"]
    assert grade(spec, "A thoughtful answer.") == Grade(None, "needs_grading", ())
    assert grade(spec, "   ").state == "unanswered"
    assert grade(spec, ["x"]).state == "unanswered"


def test_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown question type"):
        grade({"type": "poll"}, "x")


# --------------------------------------------------------------------------- aggregation


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", 0.9), ("last", 0.6), ("first", 0.3), ("average", 0.6)],
)
def test_aggregate_attempt_scores(method: str, expected: float) -> None:
    assert aggregate_attempt_scores(method, [0.3, 0.9, 0.6]) == pytest.approx(expected)
    assert aggregate_attempt_scores(method, []) is None


def test_aggregate_rejects_unknown_method() -> None:
    assert GRADING_METHODS == ("highest", "last", "average", "first")
    with pytest.raises(ValueError, match="unknown grading method"):
        aggregate_attempt_scores("best", [1.0])


# --------------------------------------------------------------------------- properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=12,
)
IDS = st.sampled_from(["a", "b", "c", "d", "1", "2", "3", "d1", "short:p3.s1", "p4.s1", "zz"])
PLAUSIBLE = st.one_of(
    JSON,
    IDS,
    st.lists(IDS, max_size=6),
    st.dictionaries(IDS, IDS, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SPECS)), PLAUSIBLE)
def test_grade_never_raises_and_stays_in_range(qtype: str, response: Any) -> None:
    result = grade(SPECS[qtype], response)
    assert result.state in ("correct", "partial", "wrong", "unanswered", "needs_grading")
    if result.fraction is None:
        assert result.state == "needs_grading"
    else:
        assert 0.0 <= result.fraction <= 1.0
        assert result.state != "correct" or result.fraction == 1.0
    assert all(isinstance(text, str) and text for text in result.feedback)
