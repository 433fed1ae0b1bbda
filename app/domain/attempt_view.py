"""What the attempt pages show, built from immutable specs and per-attempt layouts. Pure.

Two views of a question exist. ``question_view`` is what a student sees while answering: it is
built from ``app.domain.banks.schema.student_view``, so no key, feedback, explanation or evidence
reference can reach the page. ``review_view`` adds only what the review policy's ``Visibility``
allows. This module also owns the attempt layout (shuffled orders, reproducible from the seed)
and the validation of answers that come from the browser.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.banks import rubrics
from app.domain.banks.background import Block, parse_blocks
from app.domain.banks.schema import student_view
from app.domain.question_types import get as question_type
from app.domain.question_types.base import InvalidAnswer
from app.domain.question_types.essay import MAX_ESSAY_CHARS, word_count
from app.domain.question_types.evidence import evidence_source
from app.domain.question_types.ordering import order_ranks, ranks_to_order
from app.domain.question_types.short import MAX_SHORT_CHARS
from app.domain.review import Visibility

__all__ = [
    "MAX_ESSAY_CHARS",
    "MAX_SHORT_CHARS",
    "InvalidAnswer",
    "evidence_source",
    "order_ranks",
    "ranks_to_order",
    "word_count",
]
_MENTION_RE = re.compile(
    r"\bparagraphs?\s+(\d{1,4}(?:\s*(?:,|and|or|&|to|-|–)\s*\d{1,4})*)", re.IGNORECASE
)
_NUMBER_RE = re.compile(r"\d{1,4}")
_TAG_RE = re.compile(r"<[^>]*>")


# --- sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParagraphView:
    number: int
    anchor: str
    text: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class NoteView:
    """A background note beside an article (never part of it): title and text blocks."""

    title: str
    blocks: tuple[Block, ...]


def note_view(title: str, text: str) -> NoteView:
    return NoteView(title, tuple(parse_blocks(text)))


@dataclass(frozen=True)
class SourceView:
    slug: str
    title: str
    byline: str
    url: str | None
    paragraphs: tuple[ParagraphView, ...]
    note: NoteView | None = None

    def refs(self, select: str) -> list[tuple[str, str]]:
        """Selectable evidence refs with a label, in reading order."""
        out: list[tuple[str, str]] = []
        for p in self.paragraphs:
            if select == "sentence":
                for i, sentence in enumerate(p.sentences, start=1):
                    out.append((f"{self.slug}:p{p.number}.s{i}", sentence))
            else:
                out.append((f"{self.slug}:p{p.number}", p.text))
        return out


def anchor_for(slug: str, number: int, *, several: bool) -> str:
    """Paragraph anchors are ``p1``…``pn``; with two articles they carry the article's slug."""
    return f"{slug}-p{number}" if several else f"p{number}"


def source_view(
    slug: str,
    title: str,
    byline: str,
    url: str | None,
    paragraphs: Iterable[tuple[int, str, Sequence[str]]],
    *,
    several: bool = False,
    note: NoteView | None = None,
) -> SourceView:
    return SourceView(
        slug=slug,
        title=title,
        byline=byline,
        url=url,
        note=note,
        paragraphs=tuple(
            ParagraphView(n, anchor_for(slug, n, several=several), text, tuple(sentences or ()))
            for n, text, sentences in paragraphs
        ),
    )


def parse_ref(ref: str) -> tuple[str, int, int | None] | None:
    """``"slug:p4.s2"`` → ``("slug", 4, 2)``; None when it is not a ref."""
    m = re.fullmatch(r"([a-z0-9][a-z0-9_-]*):p(\d{1,6})(?:\.s(\d{1,6}))?", ref)
    if not m:
        return None
    return m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) else None


# --- layout ---------------------------------------------------------------------------------


def make_layout(
    spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
) -> dict[str, Any]:
    """Orders shown to one student, drawn from the attempt's seeded ``rng``.

    Ordering items are always shuffled (their file order *is* the key); options only when the
    quiz shuffles options.
    """
    return question_type(spec.get("type")).make_layout(spec, rng, shuffle_options)


def page_value(spec: Mapping[str, Any], layout: Mapping[str, Any], value: Any) -> Any:
    """A stored answer as the page names things (aliases for matching choices/ordering items)."""
    if value is None:
        return value
    return question_type(spec.get("type")).page_value(layout, value)


def from_page(spec: Mapping[str, Any], layout: Mapping[str, Any], raw: Any) -> Any:
    """An answer from the page with aliases turned back into spec ids.

    Anything that is not an alias (a spec id typed in by hand, say) becomes an id no question
    has, so ``clean_value`` refuses it: matching "1" to "1" must not score without knowing.
    """
    if raw is None:
        return raw
    return question_type(spec.get("type")).from_page(layout, raw)


def plain_text(html_text: str) -> str:
    return _TAG_RE.sub("", html_text or "")


def paragraph_mentions(prompt: str) -> list[int]:
    """Paragraph numbers a prompt itself names ("In paragraph 14, …"), for "show" links."""
    found: list[int] = []
    for m in _MENTION_RE.finditer(plain_text(prompt)):
        for n in _NUMBER_RE.findall(m.group(1)):
            if int(n) not in found and int(n) > 0:
                found.append(int(n))
    return found


def question_view(
    spec: Mapping[str, Any], layout: Mapping[str, Any], *, position: int, max_points: float
) -> dict[str, Any]:
    """The student-safe view of one question, in this attempt's order."""
    view = student_view(dict(spec))
    view["position"] = position
    view["max_points"] = max_points
    view["mentions"] = paragraph_mentions(view.get("prompt") or "")
    question_type(view.get("type")).arrange(view, layout)
    return view


# --- answers --------------------------------------------------------------------------------


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def clean_value(spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str] = ()) -> Any:
    """The canonical value (docs/dev/contracts.md) for ``raw``, or InvalidAnswer.

    Empty answers become None (unanswered). Unknown ids are refused rather than stored, so that
    what is graded is always something the page offered.
    """
    if raw is None or raw == "" or raw == [] or raw == {}:
        return None
    try:
        qtype = question_type(spec.get("type"))
    except ValueError:
        raise InvalidAnswer("This question cannot be answered.") from None
    return qtype.clean(spec, raw, evidence_refs=evidence_refs)


def form_value(
    spec: Mapping[str, Any],
    position: int,
    getlist: Callable[[str], list[str]],
    layout: Mapping[str, Any] | None = None,
) -> Any:
    """The raw answer to one question from a plain HTML form (the no-JavaScript path).

    Field names: ``q<pos>`` (choices, text, evidence), ``q<pos>-match-<pair>``,
    ``q<pos>-rank-<item>``. The result still goes through ``clean_value``.
    """
    return question_type(spec.get("type")).form_value(spec, f"q{position}", getlist, layout or {})


# --- review ---------------------------------------------------------------------------------


def review_view(
    spec: Mapping[str, Any],
    layout: Mapping[str, Any],
    *,
    position: int,
    max_points: float,
    value: Any,
    state: str,
    score: float | None,
    feedback: Sequence[str],
    comment: str,
    shown: Any,
    manual_score: float | None = None,
    override_score: float | None = None,
    rubric_scores: Mapping[str, Any] | None = None,
    rubric_levels: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The question as answered, plus exactly what ``shown`` allows of the key and feedback.

    A per-question mark says whether the answer was right, so it appears only with the score
    *and* correctness, never with the total alone. A graded essay shows its grade (not
    "awaiting"): the points per rubric criterion with the mark, the level awarded (its
    descriptor) with the feedback."""
    view = question_view(spec, layout, position=position, max_points=max_points)
    view["value"] = page_value(spec, layout, value)
    view["answered"] = is_answered(value)
    if shown.correctness:
        view["state"] = shown_state(state, score, max_points, manual_score, override_score)
        if shown.score and view["state"] != "needs_grading":
            view["score"] = score
            awarded = rubrics.awarded(spec.get("rubric") or (), rubric_scores, rubric_levels)
            if awarded:
                view["rubric_awarded"] = [
                    {
                        "criterion": a.criterion,
                        "points": a.points,
                        "max_points": a.max_points,
                        "level": a.level,
                        "descriptor": a.descriptor if shown.feedback else "",
                        "adjusted": a.adjusted,
                    }
                    for a in awarded
                ]
    if shown.feedback:
        view["feedback"] = [f for f in feedback if f]
        if comment:
            view["comment"] = comment
    if shown.explanation and spec.get("explanation"):
        view["explanation"] = spec["explanation"]
    if shown.evidence:
        view["evidence"] = list(spec.get("evidence") or [])
    if shown.key:
        view["key"] = _key(spec)
    if shown.feedback:
        view["option_feedback"] = _option_feedback(spec)
    return view


def shown_state(
    state: str,
    score: float | None,
    max_points: float,
    manual_score: float | None = None,
    override_score: float | None = None,
) -> str:
    """The state a page shows: a person's grade or override decides it once given.

    ``state`` is what automatic marking said (``needs_grading`` for essays); after a manual
    grade or an override the effective ``score`` is what counts: full, some, or none."""
    if manual_score is None and override_score is None:
        return state
    if score is None:
        return state
    if score >= max_points - 1e-9:
        return "correct"
    return "partial" if score > 0 else "wrong"


def score_source(manual_score: float | None, override_score: float | None) -> str:
    """Where an effective score comes from: ``override``, ``manual`` or ``auto``."""
    if override_score is not None:
        return "override"
    return "manual" if manual_score is not None else "auto"


def _key(spec: Mapping[str, Any]) -> dict[str, Any]:
    return question_type(spec.get("type")).key(spec)


def _option_feedback(spec: Mapping[str, Any]) -> dict[str, str]:
    return question_type(spec.get("type")).option_feedback(spec)


def choice_text(view: Mapping[str, Any], choice_id: str | None) -> str:
    for c in view.get("choices", ()):
        if c["id"] == choice_id:
            return str(c["text"])
    return ""


# --- answers as the student saw them (instructor pages) ----------------------------------------


def answer_display(
    spec: Mapping[str, Any], value: Any, passage: Callable[[str], str | None] = lambda ref: None
) -> dict[str, Any]:
    """A stored answer in the words the student saw: option texts, pairs, the order given, the
    selected passages with their text; never internal ids or JSON.

    Returns ``{"kind": ..., "items": [...]}``: ``text`` (one string), ``choices`` (option text,
    is-key), ``pairs`` (left, chosen right or None), ``order`` (item texts), ``passages``
    (ref, text or None), or ``none`` when unanswered."""
    if not is_answered(value):
        return {"kind": "none", "items": []}
    return question_type(spec.get("type")).answer_display(spec, value, passage)


def passage_lookup(sources: Sequence[SourceView]) -> Callable[[str], str | None]:
    """``ref`` → the paragraph's (or sentence's) text in the given articles, None if absent."""
    paragraphs = {(s.slug, p.number): p for s in sources for p in s.paragraphs}

    def text(ref: str) -> str | None:
        parsed = parse_ref(ref)
        if parsed is None:
            return None
        slug, number, sentence = parsed
        para = paragraphs.get((slug, number))
        if para is None:
            return None
        if sentence is None:
            return para.text
        return para.sentences[sentence - 1] if 0 < sentence <= len(para.sentences) else None

    return text


# --- the author's preview -------------------------------------------------------------------


def author_preview(
    spec: Mapping[str, Any], sources: Sequence[SourceView]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A question as a student will see it (`take`) and, answered rightly, as it will look in
    review with everything the most open policy shows: the views the real pages build, so that
    the studio's preview uses the very same templates."""
    kind = question_type(spec["type"])
    points = float(spec.get("points") or 1)
    layout = make_layout(spec, random.Random(0), shuffle_options=False)
    take = question_view(spec, layout, position=1, max_points=points)
    take.update(value=None, seq=0, answered=False, flagged=False)
    kind.page_extras(take, spec, sources)
    source = evidence_source(spec, list(sources)) if sources else None
    take["anchors"] = {p.number: p.anchor for p in source.paragraphs} if source else {}
    value = kind.demo_answer(spec, right=True)
    grade = kind.grade(spec, value) if is_answered(value) else None
    review = review_view(
        spec,
        layout,
        position=1,
        max_points=points,
        value=value,
        state=grade.state if grade else "unanswered",
        score=grade.points(points) if grade else 0.0,
        feedback=grade.feedback if grade else (),
        comment="",
        shown=Visibility(True, True, True, True, True, True),
    )
    kind.page_extras(review, spec, sources)
    return take, review
