"""Highlights: passages a student marks in an article while answering (pure: no Flask, no DB).

A highlight is a character range of one paragraph's text as the page shows it: the sentences
joined by single spaces, or the paragraph's text when it has no sentences. Offsets count UTF-16
code units, as the browser's strings do (a character outside the Basic Multilingual Plane counts
two), so page and server agree on every text. The page sends
ranges; nothing it sends is trusted: every range is checked against the article the attempt
shows, overlapping or touching ranges of one paragraph are merged, and an attempt keeps at
most ``MAX_HIGHLIGHTS``. Highlights are never graded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_HIGHLIGHTS = 100  # per attempt: far more than a reader marks, small enough to show at once
MAX_RANGES_PER_REQUEST = 20  # one selection may run over several paragraphs
MAX_SLUG = 100


class HighlightError(ValueError):
    """A range the page sent that cannot be kept; the message says why, for the student."""


@dataclass(frozen=True, order=True)
class Span:
    """One highlighted range: ``[start, end)`` of paragraph ``paragraph`` of ``source``."""

    source: str
    paragraph: int
    start: int
    end: int


def paragraph_text(sentences: Sequence[str], text: str) -> str:
    """The paragraph's text as the reading pane shows it (offsets count in this string)."""
    return " ".join(sentences) if sentences else text


def length(text: str) -> int:
    """The length of ``text`` as the browser counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def words(text: str, start: int, end: int) -> str | None:
    """``text[start:end]`` in UTF-16 code units; None when a bound splits a character."""
    try:
        return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HighlightError(f"The highlight's {what} must be a whole number.")
    return value


def parse_ranges(raw: Any, texts: Mapping[tuple[str, int], str]) -> list[Span]:
    """The ranges of one request, checked against ``texts`` ((slug, paragraph) → text).

    ``raw`` is the page's list of ``{"source", "paragraph", "start", "end"}``; an empty or
    whitespace-only range is refused, as is one outside its paragraph or in an article the
    attempt does not show."""
    if not isinstance(raw, list) or not raw:
        raise HighlightError("Send the passage to highlight as a list of ranges.")
    if len(raw) > MAX_RANGES_PER_REQUEST:
        raise HighlightError(
            f"A highlight may cover at most {MAX_RANGES_PER_REQUEST} paragraphs at a time."
        )
    spans: list[Span] = []
    for item in raw:
        if not isinstance(item, dict):
            raise HighlightError("Each range must name its article, paragraph, start and end.")
        source = item.get("source")
        if not isinstance(source, str) or not 0 < len(source) <= MAX_SLUG:
            raise HighlightError("The highlight names no article of this quiz.")
        paragraph = _int(item.get("paragraph"), "paragraph")
        start, end = _int(item.get("start"), "start"), _int(item.get("end"), "end")
        text = texts.get((source, paragraph))
        if text is None:
            raise HighlightError("The highlight names no paragraph of this quiz's articles.")
        if not 0 <= start < end <= length(text):
            raise HighlightError("The highlight lies outside its paragraph; reload the page.")
        marked = words(text, start, end)
        if marked is None:
            raise HighlightError("The highlight splits a character; select whole words.")
        if not marked.strip():
            raise HighlightError("Select some words of the article to highlight them.")
        spans.append(Span(source, paragraph, start, end))
    return spans


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching ranges of one paragraph become one; sorted in reading order."""
    out: list[Span] = []
    for span in sorted(spans):
        last = out[-1] if out else None
        if (
            last is not None
            and (last.source, last.paragraph) == (span.source, span.paragraph)
            and span.start <= last.end
        ):
            out[-1] = Span(last.source, last.paragraph, last.start, max(last.end, span.end))
        else:
            out.append(span)
    return out


def add(existing: Sequence[Span], new: Sequence[Span]) -> list[Span]:
    """The attempt's highlights after adding ``new``; refused past ``MAX_HIGHLIGHTS``."""
    merged = merge([*existing, *new])
    if len(merged) > MAX_HIGHLIGHTS and len(merged) > len(existing):
        raise HighlightError(
            f"You can keep at most {MAX_HIGHLIGHTS} highlights in one attempt: "
            "remove some before adding more."
        )
    return merged


def still_matches(span: Span, quote: str, texts: Mapping[tuple[str, int], str]) -> bool:
    """Whether a stored highlight still marks the words it marked (its article may have been
    replaced by a new version since): one that does not is left out, never moved."""
    text = texts.get((span.source, span.paragraph))
    return (
        text is not None and span.end <= length(text) and words(text, span.start, span.end) == quote
    )
