"""Which paragraphs of an article the questions examine, counted from the questions' specs.

A question examines a paragraph when its spec cites it: an `evidence` reference, the `key` of an
evidence-selection question, or a `feedback_for` reference (a sentence reference `p4.s2` counts
for paragraph 4). The source page uses this to show an instructor which passages are well covered
and which no question asks about yet, so the next question starts where it is most needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.text import excerpt

_REF = re.compile(
    r"(?P<source>[a-z0-9][a-z0-9_-]*):p(?P<p>[1-9][0-9]{0,5})(?:\.s(?P<s>[1-9][0-9]{0,5}))?"
)
WELL_COVERED = 2  # questions from which a paragraph counts as well covered
PROMPT_CHARS = 120


@dataclass(frozen=True)
class CitingQuestion:
    """One current question as the input of `coverage`: what the database row holds."""

    key: str
    bank: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class Citation:
    """A question citing one paragraph: the passages it cites there (`p4`, `p4.s2`...)."""

    key: str
    bank: str
    type: str
    prompt: str  # plain text, shortened
    passages: tuple[str, ...]


@dataclass(frozen=True)
class ParagraphCoverage:
    number: int
    citations: tuple[Citation, ...]

    @property
    def count(self) -> int:
        return len(self.citations)

    @property
    def level(self) -> str:
        """ "none", "some" or "well": a word for the marker, so it never rests on colour."""
        if self.count == 0:
            return "none"
        return "well" if self.count >= WELL_COVERED else "some"


@dataclass(frozen=True)
class Coverage:
    paragraphs: tuple[ParagraphCoverage, ...]
    questions: int  # distinct questions citing at least one paragraph of the source

    @property
    def examined(self) -> tuple[int, ...]:
        return tuple(p.number for p in self.paragraphs if p.count)

    @property
    def not_examined(self) -> tuple[int, ...]:
        return tuple(p.number for p in self.paragraphs if not p.count)

    def paragraph(self, number: int) -> ParagraphCoverage:
        return self.paragraphs[number - 1]


def cited_refs(spec: Mapping[str, Any]) -> list[str]:
    """Every passage reference a spec cites, in spec order (duplicates kept)."""
    refs = [str(ref) for ref in spec.get("evidence") or ()]
    if spec.get("type") == "evidence":
        refs += [str(ref) for ref in spec.get("key") or ()]
    feedback_for = spec.get("feedback_for")
    if isinstance(feedback_for, Mapping):
        refs += [str(ref) for ref in feedback_for]
    return refs


def passages_in(spec: Mapping[str, Any], source: str) -> dict[int, tuple[str, ...]]:
    """Paragraph number → the passages of ``source`` the spec cites there (`p4`, `p4.s2`),
    each once, in spec order. References to other sources are left out."""
    found: dict[int, dict[str, None]] = {}
    for ref in cited_refs(spec):
        match = _REF.fullmatch(ref)
        if match is None or match["source"] != source:
            continue
        passage = ref.partition(":")[2]
        found.setdefault(int(match["p"]), {})[passage] = None
    return {number: tuple(passages) for number, passages in found.items()}


def coverage(source: str, paragraphs: int, questions: Iterable[CitingQuestion]) -> Coverage:
    """Per paragraph 1..``paragraphs`` of ``source``, the questions whose spec cites it, in the
    order given. A reference past the last paragraph (a stale spec) is not counted."""
    by_paragraph: list[list[Citation]] = [[] for _ in range(paragraphs)]
    citing: set[str] = set()
    for question in questions:
        cited = passages_in(question.spec, source)
        prompt = excerpt(str(question.spec.get("prompt") or ""), PROMPT_CHARS)
        for number in sorted(cited):
            if number > paragraphs:
                continue
            citing.add(question.key)
            by_paragraph[number - 1].append(
                Citation(
                    key=question.key,
                    bank=question.bank,
                    type=str(question.spec.get("type") or ""),
                    prompt=prompt,
                    passages=cited[number],
                )
            )
    return Coverage(
        paragraphs=tuple(
            ParagraphCoverage(number, tuple(found))
            for number, found in enumerate(by_paragraph, start=1)
        ),
        questions=len(citing),
    )


def passage_problem(ref: str, source: str, sentences: Sequence[int]) -> str | None:
    """Why ``ref`` names no passage of ``source`` (whose paragraph n has ``sentences[n-1]``
    sentences), or None: what a "new question about this passage" link may carry."""
    match = _REF.fullmatch(ref)
    if match is None or match["source"] != source:
        shown = ref if len(ref) <= 40 else ref[:39] + "…"
        return f"“{shown}” is not a passage of {source} (write {source}:p4 or {source}:p4.s2)."
    number = int(match["p"])
    if number > len(sentences):
        return f"{source} has no paragraph {number} (it has {len(sentences)})."
    if match["s"] is not None and int(match["s"]) > sentences[number - 1]:
        return (
            f"Paragraph {number} of {source} has no sentence {match['s']} "
            f"(it has {sentences[number - 1]})."
        )
    return None
