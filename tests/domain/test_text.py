"""The one text policy: what is refused, where, and what is kept."""

from __future__ import annotations

import json

import pytest

from app.domain.text import TextProblem, accept, displayable, find_problem


@pytest.mark.parametrize(
    ("text", "words", "line", "column"),
    [
        ("ab\x00c", "a NUL character", 1, 3),
        ("first\nx\ud800y", "half of a surrogate pair", 2, 2),
        ("ring\x07", "bell character", 1, 5),
        ("\x1b[31mred", "escape character", 1, 1),
        ("abc\u202edef", "right-to-left override", 1, 4),
        ("x\u2066y", "text-direction control", 1, 2),
        ("c1\x85", "control character (U+0085)", 1, 3),
    ],
)
def test_refused_characters_are_named_with_their_place(text, words, line, column):
    problem = find_problem(text)
    assert problem is not None
    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message("Your answer")
    assert problem.message("Your answer").startswith("Your answer contains ")
    with pytest.raises(TextProblem):
        accept(text)


def test_what_json_stringify_sends_for_half_an_emoji_is_refused():
    value = json.loads('"x\\ud800y"')
    with pytest.raises(TextProblem, match="surrogate"):
        accept(value)


def test_line_breaks_and_tabs_are_text_only_where_text_has_lines():
    assert accept("one\n\ttwo\r\nthree") == "one\n\ttwo\r\nthree"
    for bad in ("a\nb", "a\tb", "a\rb"):
        with pytest.raises(TextProblem):
            accept(bad, multiline=False)


def test_text_is_normalised_to_nfc():
    nfd = "cafe\u0301"
    assert accept(nfd) == "caf\u00e9"
    assert accept(nfd) == accept("caf\u00e9")


def test_right_to_left_text_and_direction_marks_stay():
    arabic = "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u200fok\u200e"
    assert accept(arabic) == arabic
    hebrew = "\u05e9\u05dc\u05d5\u05dd"
    assert accept(hebrew, multiline=False) == hebrew


def test_ordinary_text_passes_unchanged():
    text = "Corbyn \u2014 \u201cthe coup\u201d \u00a3162 \u2026 emoji \U0001f600"
    assert find_problem(text) is None
    assert accept(text) == text


def test_stored_text_with_lone_surrogates_can_still_be_shown():
    shown = displayable("x\ud800y\udfffz")
    assert shown == "x\ufffdy\ufffdz"
    shown.encode("utf-8")
    assert displayable("plain") == "plain"
