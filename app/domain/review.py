"""Review policy: what a student may see of a finished attempt, and when. Pure.

A quiz's ``review_policy`` is a dict::

    {"score": "immediately", "details": "after_close", "released": False,
     "show": ["correctness", "key", "feedback", "explanation", "evidence"]}

``score`` and ``details`` each take ``immediately`` (once the attempt is submitted),
``after_close`` (once the quiz's close time, or the student's own later close time, has passed),
``released`` (once the instructor sets ``released``) or ``never``. ``show`` lists which details
the review includes once ``details`` allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WHEN = ("immediately", "after_close", "released", "never")
DETAILS = ("correctness", "key", "feedback", "explanation", "evidence")
DEFAULT_POLICY: dict[str, Any] = {
    "score": "immediately",
    "details": "immediately",
    "released": False,
    "show": list(DETAILS),
}


@dataclass(frozen=True)
class Visibility:
    score: bool = False
    correctness: bool = False
    key: bool = False
    feedback: bool = False
    explanation: bool = False
    evidence: bool = False

    @property
    def anything(self) -> bool:
        return any(vars(self).values())

    @property
    def details(self) -> bool:
        """Anything about single questions (with the score alone, only the total is shown)."""
        return any(v for k, v in vars(self).items() if k != "score")


def normalise_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """Fill defaults and drop anything unknown, so stored policies are always well formed."""
    out = dict(DEFAULT_POLICY)
    if policy:
        for key in ("score", "details"):
            if policy.get(key) in WHEN:
                out[key] = policy[key]
        out["released"] = bool(policy.get("released", False))
        if isinstance(policy.get("show"), list | tuple):
            out["show"] = [d for d in DETAILS if d in policy["show"]]
    return out


def _allowed(when: str, *, submitted: bool, closed: bool, released: bool) -> bool:
    if not submitted:
        return False
    return {
        "immediately": True,
        "after_close": closed,
        "released": released,
        "never": False,
    }[when]


def visibility(
    policy: Mapping[str, Any] | None,
    *,
    submitted: bool,
    close_time: datetime | None,
    now: datetime,
    is_instructor: bool = False,
) -> Visibility:
    """What the viewer may see. Instructors see everything; students what the policy allows."""
    if is_instructor:
        return Visibility(True, True, True, True, True, True)
    p = normalise_policy(policy)
    closed = close_time is not None and now >= close_time
    flags = {"submitted": submitted, "closed": closed, "released": p["released"]}
    details = _allowed(p["details"], **flags)
    shown = set(p["show"]) if details else set()
    return Visibility(
        score=_allowed(p["score"], **flags),
        correctness="correctness" in shown,
        key="key" in shown,
        feedback="feedback" in shown,
        explanation="explanation" in shown,
        evidence="evidence" in shown,
    )
