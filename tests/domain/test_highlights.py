"""Highlights as ranges of a paragraph's words (app.domain.highlights, pure)."""

from __future__ import annotations

import pytest

from app.domain import highlights
from app.domain.highlights import HighlightError, Span, add, merge, paragraph_text, parse_ranges

TEXTS = {("a", 1): "One two three.", ("a", 2): "Four five.", ("b", 1): "Six."}


def r(source="a", paragraph=1, start=0, end=3):
    return {"source": source, "paragraph": paragraph, "start": start, "end": end}


def test_paragraph_text_is_what_the_page_shows():
    assert paragraph_text(("One two.", "Three."), "ignored") == "One two. Three."
    assert paragraph_text((), "Plain text.") == "Plain text."


def test_ranges_are_checked_against_the_articles():
    assert parse_ranges([r(), r("b", 1, 0, 4)], TEXTS) == [Span("a", 1, 0, 3), Span("b", 1, 0, 4)]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({}, "list of ranges"),
        ([], "list of ranges"),
        ([r()] * 21, "at most 20"),
        ([3], "must name"),
        ([r(source=None)], "no article"),
        ([r(source="x" * 101)], "no article"),
        ([r(paragraph=9)], "no paragraph"),
        ([r(source="c")], "no paragraph"),
        ([r(paragraph=1.0)], "whole number"),
        ([r(start=False)], "whole number"),
        ([r(start=3, end=3)], "outside"),
        ([r(start=4, end=2)], "outside"),
        ([r(start=0, end=15)], "outside"),
        ([r(start=3, end=4)], "Select some words"),
    ],
)
def test_a_bad_range_is_refused_with_its_reason(raw, why):
    with pytest.raises(HighlightError, match=why):
        parse_ranges(raw, TEXTS)


def test_overlapping_and_touching_ranges_of_one_paragraph_merge():
    spans = [Span("a", 1, 4, 7), Span("a", 1, 0, 3), Span("a", 1, 3, 4), Span("a", 2, 0, 4)]
    assert merge(spans) == [Span("a", 1, 0, 7), Span("a", 2, 0, 4)]
    assert merge([Span("a", 1, 0, 3), Span("a", 1, 5, 7)]) == [
        Span("a", 1, 0, 3),
        Span("a", 1, 5, 7),
    ]
    assert merge([Span("a", 1, 0, 3), Span("b", 1, 0, 3)]) == [
        Span("a", 1, 0, 3),
        Span("b", 1, 0, 3),
    ]


def test_an_attempt_keeps_at_most_max_highlights(monkeypatch):
    monkeypatch.setattr(highlights, "MAX_HIGHLIGHTS", 2)
    two = [Span("a", 1, 0, 3), Span("a", 2, 0, 4)]
    with pytest.raises(HighlightError, match="at most 2"):
        add(two, [Span("b", 1, 0, 3)])
    assert add(two, [Span("a", 1, 2, 8)]) == [Span("a", 1, 0, 8), Span("a", 2, 0, 4)]


def test_a_highlight_whose_words_changed_is_left_out():
    span = Span("a", 1, 4, 7)
    assert highlights.still_matches(span, "two", TEXTS)
    assert not highlights.still_matches(span, "owt", TEXTS)
    assert not highlights.still_matches(Span("a", 3, 0, 3), "One", TEXTS)


def test_offsets_count_as_the_browser_does():
    """UTF-16 code units: a character outside the BMP counts two, as in JavaScript."""
    texts = {("a", 1): "Vote 🗳 now."}
    assert highlights.length("Vote 🗳 now.") == 12
    assert parse_ranges([r(start=8, end=11)], texts) == [Span("a", 1, 8, 11)]
    assert highlights.words("Vote 🗳 now.", 8, 11) == "now"
    with pytest.raises(HighlightError, match="splits a character"):
        parse_ranges([r(start=6, end=11)], texts)
    assert highlights.still_matches(Span("a", 1, 5, 7), "🗳", texts)
