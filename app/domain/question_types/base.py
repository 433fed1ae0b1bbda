"""What every question type is made of, and the small helpers the types share. Pure.

A type is one subclass of ``QuestionType`` in its own module of this package, registered in
``__init__``. The abstract methods are the parts a type must have (the registry refuses a type
that lacks one); the others have defaults that suit types without per-attempt orders, aliases or
page extras. Beside the module, a type has a template of macros
(``templates/question_types/<type>.html``) and a reader/writer for the attempt page
(``app/static/js/question_types/<type>.js``); ``tests/domain/question_types/test_registry.py``
checks all three for every registered type.

The objects handed to ``check``, ``gift_read`` and ``gift_write`` (the bank checker, the GIFT
reader and writer) belong to ``app.domain.banks``: types use their methods and never import
those modules, so the registry can be imported from anywhere without a cycle.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.points import round_half_up

_EPSILON = 1e-9
_TAG_RE = re.compile(r"<[^>]*>")
_STRAIGHTEN = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)  # fmt: skip

# Parts every type provides, besides `name`, `label` and `bank_keys`; the guard test reads this.
REQUIRED_PARTS = (
    "check",
    "student_view",
    "clean",
    "key",
    "grade",
    "answer_display",
    "gift_write",
    "bank_write",
    "editor_read",
    "demo_answer",
    "bench_answer",
)
TEMPLATE_MACROS = (
    "attributes",
    "take",
    "preview",
    "review",
    "instructor_answer",
    "instructor_key",
    "marking",
    "editor",
)


class InvalidAnswer(ValueError):
    """An answer of the wrong shape for its question; the message is shown to the student."""


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response; `fraction` is None only while it awaits a human."""

    fraction: float | None
    state: str
    feedback: tuple[str, ...] = ()

    def points(self, max_points: float) -> float | None:
        """Points earned in a slot worth `max_points`, rounded to 2 decimals as stored."""
        if self.fraction is None:
            return None
        return float(round_half_up(self.fraction * max_points))


UNANSWERED = Grade(0.0, "unanswered", ())
NEEDS_GRADING = Grade(None, "needs_grading", ())


def outcome(spec: Mapping[str, Any], fraction: float, specific: Sequence[str] = ()) -> Grade:
    """Build a Grade from a fraction, adding the general feedback for that outcome."""
    fraction = min(1.0, max(0.0, round(fraction, 6)))
    if fraction >= 1.0 - _EPSILON:
        state, general = "correct", spec.get("feedback_correct", "")
    elif fraction <= _EPSILON:
        state, general = "wrong", spec.get("feedback_wrong", "")
    else:
        state, general = "partial", spec.get("feedback_partial", "")
    feedback = [text for text in specific if text]
    if general:
        feedback.append(general)
    return Grade(fraction, state, tuple(feedback))


def normalise_answer(text: str) -> str:
    """Reduce a typed answer to what matters: NFKC, case folded, straight quotes and dashes,
    no punctuation, single spaces. Used for short answers both when loading and grading."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_STRAIGHTEN)
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif not unicodedata.category(ch).startswith(("P", "C")):  # punctuation, control
            kept.append(ch)
    return " ".join("".join(kept).split())


def plain(html_text: str) -> str:
    """Spec strings are sanitised HTML; compare what the student would read."""
    return html.unescape(_TAG_RE.sub("", html_text))


def normal_text(html_text: str) -> str:
    """Comparable form of a display text: tags dropped, case and spacing ignored."""
    return " ".join(_TAG_RE.sub("", html_text).casefold().split())


def subset(raw: Any, allowed: Sequence[str], message: str) -> list[str] | None:
    """Picked ids in the offered order; anything not offered is refused with `message`."""
    if not isinstance(raw, list) or any(not isinstance(r, str) for r in raw):
        raise InvalidAnswer(message)
    picked = set(raw)
    if not picked <= set(allowed):
        raise InvalidAnswer(message)
    return [a for a in allowed if a in picked] or None


def ordered(entries: Sequence[Mapping[str, Any]], ids: Sequence[str] | None) -> list[dict]:
    """Entries in a layout's order; entries the layout does not name keep their place after."""
    by_id = {e["id"]: dict(e) for e in entries}
    if not ids:
        return list(by_id.values())
    out = [by_id[i] for i in ids if i in by_id]
    out.extend(v for k, v in by_id.items() if k not in set(ids))
    return out


def make_aliases(ids: Sequence[str], rng: random.Random) -> dict[str, str]:
    """Opaque per-attempt names for ids that would reveal the key on the page.

    A matching choice's id is its pair's id, and ordering item ids run in the key's order; the
    page only ever sees these random aliases, mapped back by ``from_page`` when answers arrive.
    """
    tokens: set[str] = set()
    while len(tokens) < len(ids):
        tokens.add(f"x{rng.getrandbits(40):010x}")
    return dict(zip(ids, sorted(tokens, key=lambda _t: rng.random()), strict=True))


def aliases(layout: Mapping[str, Any]) -> dict[str, str]:
    return dict(layout.get("alias") or {})


Passage = Callable[[str], "str | None"]


class QuestionType(ABC):
    """One kind of question: its bank format, page view, answers, key, grading and GIFT form."""

    name: ClassVar[str]
    label: ClassVar[str]  # what instructors read in lists and filters
    bank_keys: ClassVar[tuple[str, ...]]  # the bank-file keys this type adds to the common ones
    has_options: ClassVar[bool] = False  # answers are picks among `options` (item analysis)
    picks_passages: ClassVar[bool] = False  # answers are passage refs of the quiz's articles
    # GIFT answer blocks are offered to the types in this order (lower first); None: never.
    gift_rank: ClassVar[int | None] = None

    # -- bank file

    @abstractmethod
    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        """Add this type's keys to `spec`; record problems with `checker.error` (never raise)."""

    # -- the page

    @abstractmethod
    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The type's part of what a student may see before review: never a key or feedback."""

    def make_layout(
        self, spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
    ) -> dict[str, Any]:
        """Orders (and aliases) shown to one student, drawn from the attempt's seeded `rng`."""
        return {}

    def arrange(self, view: dict[str, Any], layout: Mapping[str, Any]) -> None:
        """Put a student view in this attempt's order, with aliases for revealing ids."""
        return None

    def page_value(self, layout: Mapping[str, Any], value: Any) -> Any:
        """A stored answer as the page names things."""
        return value

    def from_page(self, layout: Mapping[str, Any], raw: Any) -> Any:
        """An answer from the page with the page's names turned back into spec ids."""
        return raw

    def page_extras(self, view: dict[str, Any], spec: Mapping[str, Any], sources: Any) -> None:
        """Values the take macro needs besides the view (saved ranks, word counts...)."""
        return None

    def form_value(
        self,
        spec: Mapping[str, Any],
        name: str,
        getlist: Callable[[str], list[str]],
        layout: Mapping[str, Any],
    ) -> Any:
        """The raw answer from a plain HTML form (no JavaScript); still goes through clean."""
        values = getlist(name)
        return values[0] if values else None

    # -- answers

    @abstractmethod
    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        """The canonical value of a non-empty `raw` (docs/dev/contracts.md), or InvalidAnswer."""

    @abstractmethod
    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """What review shows as the right answer, when the policy shows the key."""

    @abstractmethod
    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """Score a non-blank response of any JSON shape; never raises."""

    def option_feedback(self, spec: Mapping[str, Any]) -> dict[str, str]:
        """Feedback attached to what was picked (option id, true/false, passage ref)."""
        return {}

    @abstractmethod
    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Passage) -> dict:
        """A stored (answered) value in the words the student saw, for instructor pages."""

    # -- GIFT

    def gift_matches(self, answers: str) -> bool:
        """Whether a GIFT answer block (between the braces) is a question of this type."""
        return False

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        """Fill `question` (a bank-file entry) from a GIFT answer block; False if refused."""
        raise NotImplementedError(f"{self.name} questions are not read from GIFT")

    @abstractmethod
    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> str | list[str] | None:
        """The answer block: a string (written inline), lines, or None (not expressible)."""

    def gift_losses(self, spec: Mapping[str, Any]) -> list[str]:
        """Parts of the spec GIFT drops for this type (reported as a warning on export)."""
        return ["feedback_wrong"] if spec.get("feedback_wrong") else []

    # -- bank file out ("Download as YAML")

    @abstractmethod
    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        """This type's bank-file keys for `spec`, in file order: the inverse of `check`, so
        that checking the written keys gives back exactly the same spec (and content hash).
        `writer` shortens evidence references (`writer.ref`), writes numbers as people do
        (`writer.number`) and short lists on one line (`writer.flow`)."""

    # -- the studio's editor form

    @abstractmethod
    def editor_read(self, form: Any) -> dict[str, Any]:
        """This type's bank-file keys from the studio's form (an ``editing.EditorForm``), in
        file order: what ``bank_write`` gives for the question the form shows, so that saving
        an unchanged form makes no new version. Fields are named after the file's paths
        (``options-2-feedback``); the template's ``editor`` macro renders them. The keys are
        written as returned: a required part left empty is best returned empty (``""``,
        ``[]``, None), so that the checker's message is placed beside its field."""

    def editor_start(self, refs: Sequence[str]) -> dict[str, Any]:
        """Keys a new question starts with when written from passages the instructor selected
        (full references); they are its evidence already, some types make more of them."""
        return {}

    # -- made-up answers (demo data, benchmark)

    @abstractmethod
    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        """A plausible right or wrong answer (spec ids), as scripts save them."""

    @abstractmethod
    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        """A valid answer that changes with `variant`, so saves can be told apart."""
