"""Who wants to hear when a grade may have changed.

Grading services call ``attempt_scored`` when an attempt is finalised or its score recomputed
(manual grade, override, regrade) and ``quiz_changed`` when a quiz's points may have changed.
Listeners (grade passback to an LMS) register here, so the grading code does not import them.
Listeners run inside the caller's transaction: they may add rows and flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AttemptListener = Callable[[Any], None]
QuizListener = Callable[[Any], None]

_attempt_listeners: list[AttemptListener] = []
_quiz_listeners: list[QuizListener] = []


def on_attempt_scored(listener: AttemptListener) -> AttemptListener:
    """Register ``listener(attempt)``; registering the same function twice keeps one."""
    if listener not in _attempt_listeners:
        _attempt_listeners.append(listener)
    return listener


def on_quiz_changed(listener: QuizListener) -> QuizListener:
    if listener not in _quiz_listeners:
        _quiz_listeners.append(listener)
    return listener


def attempt_scored(attempt: Any) -> None:
    for listener in _attempt_listeners:
        listener(attempt)


def quiz_changed(quiz: Any) -> None:
    for listener in _quiz_listeners:
        listener(quiz)
