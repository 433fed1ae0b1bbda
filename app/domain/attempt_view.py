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
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.banks import rubrics
from app.domain.banks.background import Block, parse_blocks
from app.domain.banks.schema import student_view
from app.domain.text import find_problem

MAX_SHORT_CHARS = 2_000
MAX_ESSAY_CHARS = 100_000
_MENTION_RE = re.compile(
    r"\bparagraphs?\s+(\d{1,4}(?:\s*(?:,|and|or|&|to|-|–)\s*\d{1,4})*)", re.IGNORECASE
)
_NUMBER_RE = re.compile(r"\d{1,4}")
_TAG_RE = re.compile(r"<[^>]*>")


class InvalidAnswer(ValueError):
    """An answer of the wrong shape for its question; the message is shown to the student."""


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


def evidence_source(spec: Mapping[str, Any], sources: Sequence[SourceView]) -> SourceView | None:
    """The article an evidence question picks from: its own source, else the quiz's first."""
    slug = spec.get("source")
    for source in sources:
        if source.slug == slug:
            return source
    return sources[0] if sources else None


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
    qtype = spec.get("type")
    layout: dict[str, Any] = {}
    if qtype in ("single", "multiple"):
        ids = [o["id"] for o in spec["options"]]
        if shuffle_options:
            rng.shuffle(ids)
        layout["options"] = ids
    elif qtype == "matching":
        pairs = [p["id"] for p in spec["pairs"]]
        choices = [c["id"] for c in student_view(dict(spec))["choices"]]
        if shuffle_options:
            rng.shuffle(pairs)
            rng.shuffle(choices)
        layout["pairs"] = pairs
        layout["choices"] = choices
        layout["alias"] = _aliases(choices, rng)
    elif qtype == "ordering":
        items = [i["id"] for i in spec["items"]]
        if len(items) > 1:
            original = list(items)
            for _ in range(10):  # never show the key order itself
                rng.shuffle(items)
                if items != original:
                    break
        layout["items"] = items
        layout["alias"] = _aliases(items, rng)
    return layout


def _aliases(ids: Sequence[str], rng: random.Random) -> dict[str, str]:
    """Opaque per-attempt names for ids that would reveal the key on the page.

    A matching choice's id is its pair's id, and ordering item ids run in the key's order; the
    page only ever sees these random aliases, mapped back by ``from_page`` when answers arrive.
    """
    tokens: set[str] = set()
    while len(tokens) < len(ids):
        tokens.add(f"x{rng.getrandbits(40):010x}")
    return dict(zip(ids, sorted(tokens, key=lambda _t: rng.random()), strict=True))


def _alias(layout: Mapping[str, Any]) -> dict[str, str]:
    return dict(layout.get("alias") or {})


def page_value(spec: Mapping[str, Any], layout: Mapping[str, Any], value: Any) -> Any:
    """A stored answer as the page names things (aliases for matching choices/ordering items)."""
    alias = _alias(layout)
    if not alias or value is None:
        return value
    if spec.get("type") == "matching" and isinstance(value, dict):
        return {k: alias.get(v, v) for k, v in value.items()}
    if spec.get("type") == "ordering" and isinstance(value, list):
        return [alias.get(v, v) if isinstance(v, str) else v for v in value]
    return value


def from_page(spec: Mapping[str, Any], layout: Mapping[str, Any], raw: Any) -> Any:
    """An answer from the page with aliases turned back into spec ids.

    Anything that is not an alias (a spec id typed in by hand, say) becomes an id no question
    has, so ``clean_value`` refuses it: matching "1" to "1" must not score without knowing.
    """
    back = {token: real for real, token in _alias(layout).items()}
    if not back or raw is None:
        return raw

    def real(v: Any) -> Any:
        return back.get(v, "\x00not-offered") if isinstance(v, str) and v else v

    if spec.get("type") == "matching" and isinstance(raw, dict):
        return {k: real(v) for k, v in raw.items()}
    if spec.get("type") == "ordering" and isinstance(raw, list):
        return [real(v) for v in raw]
    return raw


def _ordered(
    entries: Sequence[Mapping[str, Any]], ids: Sequence[str] | None
) -> list[dict[str, Any]]:
    by_id = {e["id"]: dict(e) for e in entries}
    if not ids:
        return list(by_id.values())
    out = [by_id[i] for i in ids if i in by_id]
    out.extend(v for k, v in by_id.items() if k not in set(ids))
    return out


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
    qtype = view.get("type")
    if qtype in ("single", "multiple"):
        view["options"] = _ordered(view["options"], layout.get("options"))
    elif qtype == "matching":
        alias = _alias(layout)
        view["pairs"] = _ordered(view["pairs"], layout.get("pairs"))
        view["choices"] = [
            {**c, "id": alias.get(c["id"], c["id"])}
            for c in _ordered(view["choices"], layout.get("choices"))
        ]
    elif qtype == "ordering":
        alias = _alias(layout)
        view["items"] = [
            {**i, "id": alias.get(i["id"], i["id"])}
            for i in _ordered(view["items"], layout.get("items"))
        ]
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
    qtype = spec.get("type")
    if qtype == "single":
        ids = {o["id"] for o in spec["options"]}
        if not isinstance(raw, str) or raw not in ids:
            raise InvalidAnswer("Choose one of the options.")
        return raw
    if qtype == "multiple":
        ids = [o["id"] for o in spec["options"]]
        return _subset(raw, ids, "Choose among the options.")
    if qtype == "truefalse":
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        if not isinstance(raw, bool):
            raise InvalidAnswer("Choose true or false.")
        return raw
    if qtype in ("short", "essay"):
        if not isinstance(raw, str):
            raise InvalidAnswer("Type your answer as text.")
        limit = MAX_SHORT_CHARS if qtype == "short" else MAX_ESSAY_CHARS
        if len(raw) > limit:
            raise InvalidAnswer(f"The answer is too long (at most {limit:,} characters).")
        problem = find_problem(raw)
        if problem is not None:
            raise InvalidAnswer(problem.message("The answer"))
        raw = unicodedata.normalize("NFC", raw)
        return raw if raw.strip() else None
    if qtype == "matching":
        if not isinstance(raw, dict):
            raise InvalidAnswer("Match each item with one choice.")
        pairs = {p["id"] for p in spec["pairs"]}
        choices = {p["id"] for p in spec["pairs"]} | {d["id"] for d in spec.get("distractors", ())}
        out: dict[str, str] = {}
        for key, choice in raw.items():
            if choice in (None, ""):
                continue
            if key not in pairs or not isinstance(choice, str) or choice not in choices:
                raise InvalidAnswer("Match each item with one of the choices offered.")
            out[key] = choice
        return out or None
    if qtype == "ordering":
        ids = [i["id"] for i in spec["items"]]
        if not isinstance(raw, list) or len(set(map(str, raw))) != len(raw):
            raise InvalidAnswer("Give each item a different place.")
        if any(not isinstance(r, str) or r not in ids for r in raw):
            raise InvalidAnswer("Order only the items offered.")
        return list(raw)
    if qtype == "evidence":
        refs = list(evidence_refs)
        value = _subset(raw, refs, "Select paragraphs or sentences of the article.")
        limit = spec.get("max_selections")
        if value and limit and len(value) > limit:
            raise InvalidAnswer(f"Select at most {limit}.")
        return value
    raise InvalidAnswer("This question cannot be answered.")


def _subset(raw: Any, allowed: Sequence[str], message: str) -> list[str] | None:
    if not isinstance(raw, list) or any(not isinstance(r, str) for r in raw):
        raise InvalidAnswer(message)
    picked = set(raw)
    if not picked <= set(allowed):
        raise InvalidAnswer(message)
    return [a for a in allowed if a in picked] or None


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
    name = f"q{position}"
    qtype = spec.get("type")
    if qtype in ("multiple", "evidence"):
        return getlist(name)
    if qtype == "matching":
        return {p["id"]: (getlist(f"{name}-match-{p['id']}") or [""])[0] for p in spec["pairs"]}
    if qtype == "ordering":
        alias = _alias(layout or {})
        ids = [alias.get(i["id"], i["id"]) for i in spec["items"]]
        return ranks_to_order(ids, {i: (getlist(f"{name}-rank-{i}") or [""])[0] for i in ids})
    values = getlist(name)
    return values[0] if values else None


def ranks_to_order(ids: Sequence[str], ranks: Mapping[str, str]) -> list[str]:
    """Items the student ranked, in rank order; an invalid or duplicated rank is refused."""
    ranked: list[tuple[int, str]] = []
    for item_id in ids:
        rank = (ranks.get(item_id) or "").strip()
        if not rank:
            continue
        if not rank.isdigit() or not 1 <= int(rank) <= len(ids):
            raise InvalidAnswer(f"Use the places 1 to {len(ids)}.")
        ranked.append((int(rank), item_id))
    if len({r for r, _ in ranked}) != len(ranked):
        raise InvalidAnswer("Give each item a different place.")
    return [item_id for _, item_id in sorted(ranked)]


def order_ranks(value: Any) -> dict[str, int]:
    """Item id → place (1-based) for showing a saved ordering answer."""
    if not isinstance(value, list):
        return {}
    return {item_id: i for i, item_id in enumerate(value, start=1) if isinstance(item_id, str)}


def word_count(text: Any) -> int:
    return len(text.split()) if isinstance(text, str) else 0


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
    qtype = spec.get("type")
    if qtype in ("single", "multiple"):
        return {"correct": [o["id"] for o in spec["options"] if o.get("correct")]}
    if qtype == "truefalse":
        return {"answer": bool(spec.get("answer"))}
    if qtype == "short":
        return {
            "accepted": [a["text"] for a in spec.get("accepted", ()) if a.get("credit") == 1]
            or [a["text"] for a in spec.get("accepted", ())]
        }
    if qtype == "matching":
        return {"right": {p["id"]: p["right"] for p in spec["pairs"]}}
    if qtype == "ordering":
        return {"order": [i["text"] for i in spec["items"]]}
    if qtype == "evidence":
        return {"refs": list(spec.get("key") or [])}
    if qtype == "essay":
        return {
            "model_answer": spec.get("model_answer") or "",
            "rubric": [dict(c) for c in spec.get("rubric", ())],
        }
    return {}


def _option_feedback(spec: Mapping[str, Any]) -> dict[str, str]:
    qtype = spec.get("type")
    if qtype in ("single", "multiple"):
        return {o["id"]: o.get("feedback", "") for o in spec["options"] if o.get("feedback")}
    if qtype == "truefalse":
        return {
            k: v
            for k, v in (
                ("true", spec.get("feedback_true", "")),
                ("false", spec.get("feedback_false", "")),
            )
            if v
        }
    if qtype == "evidence":
        return {k: v for k, v in (spec.get("feedback_for") or {}).items() if v}
    return {}


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
    qtype = spec.get("type")
    if qtype in ("single", "multiple"):
        picked = [value] if isinstance(value, str) else list(value or ())
        options = {o["id"]: o for o in spec.get("options", ())}
        return {
            "kind": "choices",
            "items": [
                (options[i]["text"], bool(options[i].get("correct")))
                for i in picked
                if i in options
            ],
        }
    if qtype == "truefalse":
        return {"kind": "text", "items": ["True" if value is True else "False"]}
    if qtype == "matching" and isinstance(value, Mapping):
        texts = {p["id"]: p["right"] for p in spec.get("pairs", ())}
        texts.update({d["id"]: d["text"] for d in spec.get("distractors", ())})
        return {
            "kind": "pairs",
            "items": [(p["left"], texts.get(value.get(p["id"]))) for p in spec.get("pairs", ())],
        }
    if qtype == "ordering" and isinstance(value, list):
        texts = {i["id"]: i["text"] for i in spec.get("items", ())}
        return {"kind": "order", "items": [texts.get(i, "?") for i in value]}
    if qtype == "evidence" and isinstance(value, list):
        return {"kind": "passages", "items": [(ref, passage(ref)) for ref in value]}
    return {"kind": "text", "items": [str(value)]}


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
