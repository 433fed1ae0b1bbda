"""What text Hustings accepts, and how stored text is made safe to show.

One policy for every place text enters (answers, names, bank files, rosters, comments, articles),
so that a value the database or the page encoder would choke on is refused where a person can
still fix it, with a message saying which character and where. Pure: no Flask, no database.

Accepted text is NFC-normalised (so "café" typed two ways is one string). Refused:
- lone surrogates (what ``JSON.stringify`` sends for half an emoji): no encoder can write them;
- NUL and the other C0/C1 control characters (tab, and in multi-line text CR/LF, excepted):
  PostgreSQL refuses NUL, and the others are invisible in every page and spreadsheet;
- the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069),
  which reorder what a reader sees ("Trojan Source"). Right-to-left letters themselves, and
  the plain direction marks U+200E/U+200F, are ordinary text and stay.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SINGLE_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "\ud800-\udfff]")
_MULTI_LINE_BAD = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "\ud800-\udfff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")

_NAMES = {
    "\x00": "a NUL character",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
    "\x1b": "an escape character (ESC)",
    "\x07": "a bell character (BEL)",
    "\u202e": "a right-to-left override (U+202E)",
    "\u202d": "a left-to-right override (U+202D)",
}


@dataclass(eq=False)
class TextProblem(ValueError):
    """A character the policy refuses: what it is, and where (1-based line and column)."""

    char: str
    line: int
    column: int

    def describe(self) -> str:
        """What the character is, in words a person can act on."""
        if "\ud800" <= self.char <= "\udfff":
            return f"a broken character (half of a surrogate pair, U+{ord(self.char):04X})"
        if self.char in _NAMES:
            return _NAMES[self.char]
        if self.char in _BIDI_CONTROLS:
            return f"a text-direction control character (U+{ord(self.char):04X})"
        return f"a control character (U+{ord(self.char):04X})"

    def message(self, what: str = "The text") -> str:
        """``what`` contains …, on line L, column C; remove it."""
        return (
            f"{what} contains {self.describe()} at line {self.line}, column {self.column}; "
            "remove it and try again."
        )

    def __str__(self) -> str:
        return self.message()


def find_problem(text: str, *, multiline: bool = True) -> TextProblem | None:
    """The first refused character of ``text``, or None when the text is acceptable."""
    match = (_MULTI_LINE_BAD if multiline else _SINGLE_LINE_BAD).search(text)
    if match is None:
        return None
    start = match.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return TextProblem(match.group(), line, column)


def accept(text: str, *, multiline: bool = True) -> str:
    """``text`` NFC-normalised, or raise :class:`TextProblem` for a refused character.

    Single-line text (names, ids, emails) refuses tabs and line breaks too.
    """
    problem = find_problem(text, multiline=multiline)
    if problem is not None:
        raise problem
    return unicodedata.normalize("NFC", text)


def displayable(text: str) -> str:
    """Stored text that can always be encoded: lone surrogates become U+FFFD.

    For rendering what is already in a database from before the policy; never for storing.
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


_TAG = re.compile(r"<[^>]*>")


def plain_text(html_text: str) -> str:
    """What a reader sees of sanitised HTML, as one line: for searching and short excerpts."""
    return " ".join(html.unescape(_TAG.sub(" ", html_text or "")).split())


def excerpt(html_text: str, limit: int = 160) -> str:
    """The start of a text as a reader sees it, cut at a word and marked when cut."""
    text = plain_text(html_text)
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"
