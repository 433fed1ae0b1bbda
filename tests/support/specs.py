"""Canonical specs of every question type (docs/dev/contracts.md), for attempt tests.

Secrets (key, feedback, explanation, model answer) carry recognisable marker words so tests can
assert that none of them reaches the page before the review policy allows.
"""

from __future__ import annotations

from typing import Any

SECRET = "ZEBRA"  # appears only in key material


def _common(qid: str, qtype: str, prompt: str, **extra: Any) -> dict[str, Any]:
    spec = {
        "id": qid,
        "type": qtype,
        "prompt": prompt,
        "points": 1.0,
        "skill": "literal",
        "difficulty": "easy",
        "evidence": ["src:p2"],
        "source": "src",
        "explanation": f"{SECRET}-explanation {qid}",
        "feedback_correct": f"{SECRET}-right",
        "feedback_partial": f"{SECRET}-partly",
        "feedback_wrong": f"{SECRET}-wrong",
    }
    spec.update(extra)
    return spec


def single(qid: str = "q-single") -> dict[str, Any]:
    return _common(
        qid,
        "single",
        "In paragraph 2, which is right?",
        options=[
            {"id": "a", "text": "Alpha", "correct": False, "feedback": f"{SECRET}-fa"},
            {"id": "b", "text": "Bravo", "correct": True, "feedback": f"{SECRET}-fb"},
            {"id": "c", "text": "Charlie", "correct": False, "feedback": f"{SECRET}-fc"},
        ],
    )


def multiple(qid: str = "q-multiple") -> dict[str, Any]:
    return _common(
        qid,
        "multiple",
        "Which apply?",
        options=[
            {"id": "a", "text": "Delta", "correct": True, "feedback": ""},
            {"id": "b", "text": "Echo", "correct": True, "feedback": ""},
            {"id": "c", "text": "Foxtrot", "correct": False, "feedback": f"{SECRET}-ff"},
        ],
    )


def truefalse(qid: str = "q-tf") -> dict[str, Any]:
    return _common(
        qid,
        "truefalse",
        "True or false: the sky is green.",
        answer=False,
        feedback_true=f"{SECRET}-ft",
        feedback_false=f"{SECRET}-ff2",
    )


def short(qid: str = "q-short") -> dict[str, Any]:
    return _common(
        qid,
        "short",
        "Name the party.",
        manual_review=False,
        accepted=[
            {"text": "Labourish", "credit": 1.0, "feedback": f"{SECRET}-acc"},
        ],
    )


def matching(qid: str = "q-match") -> dict[str, Any]:
    return _common(
        qid,
        "matching",
        "Match each label.",
        pairs=[
            {"id": "1", "left": "Lost", "right": "Brown years"},
            {"id": "2", "left": "New", "right": "Blair years"},
        ],
        distractors=[{"id": "d1", "text": "Attlee years"}],
    )


def ordering(qid: str = "q-order") -> dict[str, Any]:
    return _common(
        qid,
        "ordering",
        "Put in order.",
        items=[
            {"id": "a", "text": "First step"},
            {"id": "b", "text": "Second step"},
            {"id": "c", "text": "Third step"},
        ],
    )


def evidence(qid: str = "q-evidence") -> dict[str, Any]:
    return _common(
        qid,
        "evidence",
        "Select the paragraph that says it.",
        select="paragraph",
        key=["src:p2"],
        max_selections=1,
        feedback_for={"src:p2": f"{SECRET}-ev"},
    )


def essay(qid: str = "q-essay") -> dict[str, Any]:
    return _common(
        qid,
        "essay",
        "Discuss.",
        rubric=[
            {"criterion": "Claim", "points": 1.0, "description": f"{SECRET}-rubric"},
        ],
        model_answer=f"{SECRET}-model",
        min_words=5,
        max_words=300,
    )


def numeric(qid: str = "q-numeric") -> dict[str, Any]:
    """A year, with partial credit for a near miss and a little for the right half-century."""
    return _common(
        qid,
        "numeric",
        "In what year was the party founded?",
        points=2.0,
        answers=[
            {"value": 1822, "tolerance": 0, "min": 1822, "max": 1822, "credit": 1.0,
             "feedback": f"{SECRET}-exact"},
            {"value": 1822, "tolerance": 2, "min": 1820, "max": 1824, "credit": 0.5,
             "feedback": f"{SECRET}-close"},
            {"value": None, "tolerance": None, "min": 1800, "max": 1850, "credit": 0.25,
             "feedback": ""},
        ],
    )  # fmt: skip


def all_types() -> list[dict[str, Any]]:
    return [single(), multiple(), truefalse(), short(), matching(), ordering(), evidence(), essay()]


# A right answer for each, by question id (what a student who knows the key would send).
RIGHT: dict[str, Any] = {
    "q-single": "b",
    "q-multiple": ["a", "b"],
    "q-tf": False,
    "q-short": "labourish",
    "q-match": {"1": "1", "2": "2"},
    "q-order": ["a", "b", "c"],
    "q-evidence": ["src:p2"],
    "q-essay": "A thoughtful essay of more than five words.",
}
