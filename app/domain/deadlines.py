"""When an attempt must end. Pure: the rule lives here and in docs/deadlines.md, nowhere else.

The deadline is computed once, on the server, when the attempt starts, and stored on the attempt;
browsers only ever display it.

- The effective close time is the quiz's close time, or the student's own accommodation close
  time when that is later (an accommodation never closes a quiz earlier). No quiz close time
  means the quiz never closes.
- With a time limit: ``start + limit × multiplier + extra minutes``, capped by the effective close.
- Without a time limit: the effective close time (or no deadline at all).
- Answers still in flight are accepted for ``grace`` seconds after the deadline; after that the
  attempt is overdue and is finalised with the answers saved so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def effective_close(
    quiz_closes_at: datetime | None, accommodation_closes_at: datetime | None = None
) -> datetime | None:
    """The close time that applies to one student: a later personal close date wins."""
    if quiz_closes_at is None:
        return None
    if accommodation_closes_at is not None and accommodation_closes_at > quiz_closes_at:
        return accommodation_closes_at
    return quiz_closes_at


def compute_deadline(
    started_at: datetime,
    time_limit_minutes: int | None,
    close_at: datetime | None,
    *,
    multiplier: float = 1.0,
    extra_minutes: int = 0,
) -> datetime | None:
    """The moment the attempt ends; ``close_at`` is the effective close (``effective_close``)."""
    deadline: datetime | None = None
    if time_limit_minutes:
        minutes = time_limit_minutes * max(multiplier, 1.0) + max(extra_minutes, 0)
        deadline = started_at + timedelta(minutes=minutes)
    if close_at is not None and (deadline is None or close_at < deadline):
        deadline = close_at
    return deadline


def accepts_answers(deadline: datetime | None, now: datetime, grace_seconds: float) -> bool:
    """Whether a save arriving at ``now`` still counts (the grace covers answers in flight)."""
    return deadline is None or now <= deadline + timedelta(seconds=grace_seconds)


def is_overdue(deadline: datetime | None, now: datetime, grace_seconds: float) -> bool:
    """Past the deadline and its grace: the attempt must be finalised."""
    return not accepts_answers(deadline, now, grace_seconds)


def seconds_left(deadline: datetime | None, now: datetime) -> int | None:
    """Whole seconds until the deadline (0 when past), for the timer shown in the page."""
    if deadline is None:
        return None
    return max(0, int((deadline - now).total_seconds()))


# The page's timer submits at zero by its own clock, which runs from the seconds left when the
# page was served, so it can fire a little before the server's deadline.
TIMER_SLACK_SECONDS = 5


def ended_by_time(deadline: datetime | None, now: datetime) -> bool:
    """Whether a submit at ``now`` counts as "the time ran out". The server decides this from
    the stored deadline; what the page says about it is ignored."""
    return deadline is not None and now >= deadline - timedelta(seconds=TIMER_SLACK_SECONDS)
