"""Pure attempt views: layouts, answer validation, and no key before review."""

import json
import random

import pytest

from app.domain.attempt_view import (
    InvalidAnswer,
    clean_value,
    form_value,
    make_layout,
    paragraph_mentions,
    question_view,
    ranks_to_order,
    review_view,
)
from app.domain.review import Visibility
from tests.support import specs
from tests.support.specs import SECRET


@pytest.mark.parametrize("spec", specs.all_types(), ids=lambda s: s["type"])
def test_question_view_never_carries_the_key(spec):
    layout = make_layout(spec, random.Random(1), True)
    view = question_view(spec, layout, position=1, max_points=1.0)
    text = json.dumps(view)
    assert SECRET not in text
    assert '"correct"' not in text
    assert "accepted" not in view and "key" not in view and "evidence" not in view


def test_layout_is_reproducible_from_the_seed():
    spec = specs.single()
    a = make_layout(spec, random.Random(42), True)
    b = make_layout(spec, random.Random(42), True)
    assert a == b
    assert sorted(a["options"]) == ["a", "b", "c"]


def test_ordering_never_shown_in_key_order():
    spec = specs.ordering()
    for seed in range(30):
        assert make_layout(spec, random.Random(seed), False)["items"] != ["a", "b", "c"]


def test_options_follow_the_layout():
    view = question_view(specs.single(), {"options": ["c", "a", "b"]}, position=1, max_points=1)
    assert [o["id"] for o in view["options"]] == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (specs.single(), "b", "b"),
        (specs.single(), "", None),
        (specs.multiple(), ["b", "a", "b"], ["a", "b"]),
        (specs.truefalse(), "false", False),
        (specs.truefalse(), True, True),
        (specs.short(), "  ", None),
        (specs.matching(), {"1": "d1", "2": ""}, {"1": "d1"}),
        (specs.ordering(), ["c", "a"], ["c", "a"]),
        (specs.essay(), "Some words", "Some words"),
    ],
)
def test_clean_value_accepts_good_answers(spec, raw, expected):
    assert clean_value(spec, raw) == expected


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (specs.single(), "z"),
        (specs.single(), ["b"]),
        (specs.multiple(), "a"),
        (specs.multiple(), ["a", 3]),
        (specs.truefalse(), "maybe"),
        (specs.short(), 5),
        (specs.short(), "x" * 5000),
        (specs.matching(), {"9": "1"}),
        (specs.matching(), {"1": "nope"}),
        (specs.ordering(), ["a", "a"]),
        (specs.ordering(), ["zz"]),
        (specs.evidence(), ["src:p99"]),
        (specs.evidence(), ["src:p1", "src:p2"]),
    ],
)
def test_clean_value_refuses_bad_shapes(spec, raw):
    with pytest.raises(InvalidAnswer):
        clean_value(spec, raw, evidence_refs=["src:p1", "src:p2", "src:p3"])


def test_form_values_per_type():
    form = {
        "q1": ["b"],
        "q2": ["a", "c"],
        "q5-match-1": ["2"],
        "q5-match-2": [""],
        "q6-rank-a": ["2"],
        "q6-rank-b": ["1"],
        "q6-rank-c": [""],
    }
    get = lambda name: form.get(name, [])  # noqa: E731
    assert form_value(specs.single(), 1, get) == "b"
    assert form_value(specs.multiple(), 2, get) == ["a", "c"]
    assert form_value(specs.matching(), 5, get) == {"1": "2", "2": ""}
    assert form_value(specs.ordering(), 6, get) == ["b", "a"]


def test_ranks_must_differ_and_be_in_range():
    with pytest.raises(InvalidAnswer):
        ranks_to_order(["a", "b"], {"a": "1", "b": "1"})
    with pytest.raises(InvalidAnswer):
        ranks_to_order(["a", "b"], {"a": "7"})


def test_paragraph_mentions():
    assert paragraph_mentions("In paragraph 14, select the sentence") == [14]
    assert paragraph_mentions("Compare paragraphs 2 and 5.") == [2, 5]
    assert paragraph_mentions("No mention here") == []


def test_review_view_shows_only_what_is_allowed():
    spec = specs.single()
    kw = dict(
        position=1,
        max_points=1.0,
        value="a",
        state="wrong",
        score=0.0,
        feedback=[f"{SECRET}-fa"],
        comment="",
    )
    nothing = review_view(spec, {}, shown=Visibility(score=True), **kw)
    assert SECRET not in json.dumps(nothing) and "key" not in nothing and "state" not in nothing
    everything = review_view(spec, {}, shown=Visibility(*([True] * 6)), **kw)
    assert everything["key"] == {"correct": ["b"]}
    assert everything["state"] == "wrong"
    assert everything["option_feedback"]["a"] == f"{SECRET}-fa"
    assert everything["evidence"] == ["src:p2"]
