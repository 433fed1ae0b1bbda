"""Review steps on an extracted article: delete, put back, join, split; positions kept."""

from __future__ import annotations

import json

import pytest

from app.domain.banks.extraction import RemovedBlock
from app.domain.banks.source_review import (
    MAX_REMOVED_CHARS,
    ReviewError,
    ReviewState,
    decode_removed,
    encode_removed,
)

STATE = ReviewState(
    paragraphs=("One. Two.", "Three.", "Four. Five. Six."),
    removed=(
        RemovedBlock("Cookie banner text here", "page furniture", 0),
        RemovedBlock("Read more: another story", "link to another story", 1),
        RemovedBlock("A reader's comment here", "not part of the article", 3),
    ),
)


def test_delete_moves_the_paragraph_to_the_removed_blocks_in_its_place() -> None:
    state = STATE.delete(2)
    assert state.paragraphs == ("One. Two.", "Four. Five. Six.")
    assert [(b.text, b.after) for b in state.removed] == [
        ("Cookie banner text here", 0),
        ("Read more: another story", 1),
        ("Three.", 1),
        ("A reader's comment here", 2),
    ]
    assert state.removed[2].reason == "deleted in review"


def test_delete_then_restore_gives_the_same_text_back() -> None:
    state = STATE.delete(2)
    back = state.restore(2)
    assert back.paragraphs == STATE.paragraphs


def test_restore_puts_a_block_back_where_it_stood() -> None:
    state = STATE.restore(1)
    assert state.paragraphs == (
        "One. Two.",
        "Read more: another story",
        "Three.",
        "Four. Five. Six.",
    )
    assert [(b.text, b.after) for b in state.removed] == [
        ("Cookie banner text here", 0),
        ("A reader's comment here", 4),
    ]
    first = STATE.restore(0)
    assert first.paragraphs[0] == "Cookie banner text here"
    assert [b.after for b in first.removed] == [2, 4]


def test_restore_keeps_page_order_among_blocks_of_the_same_gap() -> None:
    state = ReviewState(("A.", "B."), (RemovedBlock("x1 x", "r", 1), RemovedBlock("x2 x", "r", 1)))
    restored = state.restore(0)
    assert restored.paragraphs == ("A.", "x1 x", "B.")
    assert restored.removed == (RemovedBlock("x2 x", "r", 2),)


def test_join_and_split_are_inverse() -> None:
    joined = STATE.join(1)
    assert joined.paragraphs == ("One. Two. Three.", "Four. Five. Six.")
    assert [b.after for b in joined.removed] == [0, 1, 2]
    split = joined.split(1, 3)
    assert split.paragraphs == STATE.paragraphs
    # a block that stood between the joined paragraphs now follows both halves
    assert [b.after for b in split.removed] == [0, 2, 3]


def test_split_after_a_paragraph_moves_later_blocks() -> None:
    state = STATE.split(3, 2)
    assert state.paragraphs[2:] == ("Four.", "Five. Six.")
    assert state.removed[-1].after == 4


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda s: s.delete(0), "There is no paragraph 0"),
        (lambda s: s.delete(4), r"There is no paragraph 4 \(the text has 3\)"),
        (lambda s: s.join(3), "There is no paragraph 4"),
        (lambda s: s.split(2, 2), "Paragraph 2 has 1 sentence"),
        (lambda s: s.split(1, 1), "before sentence 2 at the earliest"),
        (lambda s: s.restore(3), "no longer in the list"),
        (lambda s: s.restore(-1), "no longer in the list"),
    ],
)
def test_steps_that_do_not_apply_say_why(step, message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        step(STATE)


def test_removed_blocks_survive_the_round_trip_through_the_form() -> None:
    assert decode_removed(encode_removed(STATE.removed)) == list(STATE.removed)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "not json",
        "{}",
        json.dumps([["text", "reason"]]),
        json.dumps([["text", "reason", -1]]),
        json.dumps([["text", "reason", True]]),
        json.dumps([[1, "reason", 0]]),
        json.dumps([["   ", "reason", 0]]),
        "[" * 100_000,
    ],
)
def test_tampered_removed_blocks_are_dropped(data: str | None) -> None:
    assert decode_removed(data) == []


def test_removed_blocks_are_cut_to_what_a_form_field_carries() -> None:
    many = [RemovedBlock("слово " * 2000, "r", 0) for _ in range(100)]
    encoded = encode_removed(many)
    assert len(encoded.encode("utf-8")) <= MAX_REMOVED_CHARS
    assert 0 < len(decode_removed(encoded)) < 100
