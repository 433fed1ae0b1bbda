"""Score a response against a canonical question spec (see docs/dev/contracts.md).

Pure: no Flask, no database. Responses come from the browser, so every grader accepts any JSON
value and never raises: a value of the wrong shape counts as unanswered, unknown ids as wrong picks.
The scoring rules are the ones documented in question_banks/README.md.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.points import round_half_up

STATES = ("correct", "partial", "wrong", "unanswered", "needs_grading")
GRADING_METHODS = ("highest", "last", "average", "first")

_EPSILON = 1e-9
_TAG_RE = re.compile(r"<[^>]*>")
_STRAIGHTEN = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)  # fmt: skip


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


def _plain(html_text: str) -> str:
    """Spec strings are sanitised HTML; compare what the student would read."""
    return html.unescape(_TAG_RE.sub("", html_text))


def _outcome(spec: Mapping[str, Any], fraction: float, specific: Sequence[str] = ()) -> Grade:
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


UNANSWERED = Grade(0.0, "unanswered", ())


def _is_blank(response: Any) -> bool:
    return response is None or (isinstance(response, str | list | dict) and not response)


def _option_feedback(spec: Mapping[str, Any], picked: set[str]) -> list[str]:
    return [o.get("feedback", "") for o in spec["options"] if o["id"] in picked]


def grade_single(spec: Mapping[str, Any], response: Any) -> Grade:
    """Full credit for the key, nothing otherwise; an unknown id is a wrong pick."""
    if not isinstance(response, str) or not response.strip():
        return UNANSWERED
    key = {o["id"] for o in spec["options"] if o["correct"]}
    return _outcome(spec, 1.0 if response in key else 0.0, _option_feedback(spec, {response}))


def grade_multiple(spec: Mapping[str, Any], response: Any) -> Grade:
    """max(0, hits/correct − false picks/wrong options): ticking everything never beats the key."""
    if not isinstance(response, list) or not response:
        return UNANSWERED
    picked = {r for r in response if isinstance(r, str)}
    unknown_picks = len([r for r in response if not isinstance(r, str)])
    correct = {o["id"] for o in spec["options"] if o["correct"]}
    wrong = {o["id"] for o in spec["options"] if not o["correct"]}
    hits = len(picked & correct)
    false_picks = len(picked - correct) + unknown_picks
    fraction = hits / len(correct) if correct else 0.0
    if wrong:
        fraction -= false_picks / len(wrong)
    return _outcome(spec, max(0.0, fraction), _option_feedback(spec, picked))


def grade_truefalse(spec: Mapping[str, Any], response: Any) -> Grade:
    """Accepts JSON booleans (and the strings "true"/"false" a plain HTML form sends)."""
    if isinstance(response, str) and response.strip().lower() in ("true", "false"):
        response = response.strip().lower() == "true"
    if not isinstance(response, bool):
        return UNANSWERED
    specific = spec.get("feedback_true" if response else "feedback_false", "")
    return _outcome(spec, 1.0 if response == spec["answer"] else 0.0, [specific])


def grade_short(spec: Mapping[str, Any], response: Any) -> Grade:
    """The best-credit accepted answer that matches after normalisation counts."""
    if not isinstance(response, str):
        return UNANSWERED
    answer = normalise_answer(response)
    if not answer:
        return UNANSWERED
    best: Mapping[str, Any] | None = None
    for accepted in spec["accepted"]:
        if normalise_answer(_plain(accepted["text"])) == answer and (
            best is None or accepted["credit"] > best["credit"]
        ):
            best = accepted
    if best is None:
        if spec.get("manual_review"):
            return Grade(None, "needs_grading", ())
        return _outcome(spec, 0.0)
    return _outcome(spec, float(best["credit"]), [best.get("feedback", "")])


def grade_matching(spec: Mapping[str, Any], response: Any) -> Grade:
    """Correct matches / pairs; a choice counts when its text is the pair's right-hand text."""
    if not isinstance(response, dict) or not response:
        return UNANSWERED
    choice_text = {p["id"]: p["right"] for p in spec["pairs"]}
    choice_text.update({d["id"]: d["text"] for d in spec.get("distractors", ())})
    pairs = spec["pairs"]
    matched = 0
    for pair in pairs:
        choice = response.get(pair["id"])
        if isinstance(choice, str) and choice_text.get(choice) == pair["right"]:
            matched += 1
    return _outcome(spec, matched / len(pairs) if pairs else 0.0)


def grade_ordering(spec: Mapping[str, Any], response: Any) -> Grade:
    """For each pair of items adjacent in the correct order, credit if the student placed the
    first before the second; divided by items − 1. One moved item costs little, reversed is 0."""
    if not isinstance(response, list) or not response:
        return UNANSWERED
    position: dict[str, int] = {}
    for index, item_id in enumerate(response):
        if isinstance(item_id, str) and item_id not in position:
            position[item_id] = index
    ids = [item["id"] for item in spec["items"]]
    if len(ids) < 2:
        return _outcome(spec, 0.0)
    in_order = sum(
        1
        for first, second in itertools.pairwise(ids)
        if first in position and second in position and position[first] < position[second]
    )
    return _outcome(spec, in_order / (len(ids) - 1))


def grade_evidence(spec: Mapping[str, Any], response: Any) -> Grade:
    """F1 overlap with the key: missing a key passage and picking extras both cost credit."""
    if not isinstance(response, list) or not response:
        return UNANSWERED
    source = spec.get("source")
    picked: list[str] = []
    for ref in response:
        if not isinstance(ref, str):
            ref = repr(ref)  # an unknown pick: counts against precision
        elif ":" not in ref and source:
            ref = f"{source}:{ref}"
        if ref not in picked:
            picked.append(ref)
    key = set(spec["key"])
    overlap = len(key.intersection(picked))
    fraction = 2 * overlap / (len(picked) + len(key)) if key else 0.0
    feedback_for = spec.get("feedback_for") or {}
    return _outcome(spec, fraction, [feedback_for.get(ref, "") for ref in picked])


def grade_essay(spec: Mapping[str, Any], response: Any) -> Grade:
    """Essays always go to a human; we only decide whether there is anything to read."""
    if not isinstance(response, str) or not response.strip():
        return UNANSWERED
    return Grade(None, "needs_grading", ())


GRADERS: dict[str, Callable[[Mapping[str, Any], Any], Grade]] = {
    "single": grade_single,
    "multiple": grade_multiple,
    "truefalse": grade_truefalse,
    "short": grade_short,
    "matching": grade_matching,
    "ordering": grade_ordering,
    "evidence": grade_evidence,
    "essay": grade_essay,
}


def grade(spec: Mapping[str, Any], response: Any) -> Grade:
    """Grade `response` against a canonical spec. Raises only for a spec of unknown type
    (specs are validated when loaded); any response value is accepted."""
    try:
        grader = GRADERS[spec["type"]]
    except KeyError:
        raise ValueError(f"unknown question type {spec.get('type')!r}") from None
    if _is_blank(response):
        return UNANSWERED
    return grader(spec, response)


def aggregate_attempt_scores(method: str, scores: Sequence[float]) -> float | None:
    """Combine the scores of submitted attempts (in attempt order) by the quiz's grading method;
    None when there is no submitted attempt."""
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}; expected one of {GRADING_METHODS}")
    if not scores:
        return None
    if method == "highest":
        return max(scores)
    if method == "last":
        return scores[-1]
    if method == "first":
        return scores[0]
    return round(math.fsum(scores) / len(scores), 6)
