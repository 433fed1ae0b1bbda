"""What one student is allowed on a quiz, in words they and the instructor read. Pure.

The arithmetic is ``app.domain.deadlines``' (limit × multiplier + extra minutes, capped by the
effective close); this module only says it: "40 minutes (60 with your extension)", and whether a
close date cuts an extension short, so nobody learns it when the timer runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.deadlines import effective_close


@dataclass(frozen=True)
class Allowance:
    base_minutes: int | None  # the quiz's limit; None: untimed
    minutes: float | None  # this student's limit
    base_attempts: int | None  # None or 0: unlimited
    attempts: int | None
    closes_at: datetime | None  # this student's effective close
    note: str = ""  # the instructor's note, shown to the student

    @property
    def extended(self) -> bool:
        return self.minutes is not None and self.minutes != self.base_minutes

    def time_text(self, *, you: bool = True) -> str | None:
        """ "40 minutes (60 with your extension)", or None for an untimed quiz."""
        if self.base_minutes is None or self.minutes is None:
            return None
        base = _minutes(self.base_minutes)
        if not self.extended:
            return base
        whose = "your" if you else "the"
        return f"{base} ({_minutes(self.minutes, unit=False)} with {whose} extension)"

    def latest_full_start(self) -> datetime | None:
        """The last moment an attempt can start and still get all its minutes."""
        if self.minutes is None or self.closes_at is None:
            return None
        return self.closes_at - timedelta(minutes=self.minutes)

    def cut_short(self, start: datetime) -> bool:
        """Whether an attempt started at ``start`` ends at the close, before its time is up."""
        latest = self.latest_full_start()
        return latest is not None and start > latest

    def minutes_if_started(self, start: datetime) -> float | None:
        """Minutes an attempt started at ``start`` really gets."""
        if self.minutes is None:
            return None
        if self.cut_short(start) and self.closes_at is not None:
            return max(0.0, (self.closes_at - start).total_seconds() / 60)
        return self.minutes

    def extension_ever_cut(self) -> bool:
        """An extension that the close date can cut short (for the instructor's warning)."""
        return self.extended and self.latest_full_start() is not None


def allowance(
    *,
    time_limit_minutes: int | None,
    attempts_allowed: int | None,
    quiz_closes_at: datetime | None,
    time_multiplier: float = 1.0,
    extra_minutes: int = 0,
    extra_attempts: int = 0,
    closes_at: datetime | None = None,
    note: str = "",
) -> Allowance:
    """One student's allowance from the quiz's settings and their accommodation (if any)."""
    minutes: float | None = None
    if time_limit_minutes:
        minutes = time_limit_minutes * max(time_multiplier, 1.0) + max(extra_minutes, 0)
        minutes = round(minutes, 1)
    attempts = attempts_allowed
    if attempts:
        attempts += max(extra_attempts, 0)
    return Allowance(
        base_minutes=time_limit_minutes or None,
        minutes=minutes,
        base_attempts=attempts_allowed,
        attempts=attempts,
        closes_at=effective_close(quiz_closes_at, closes_at),
        note=note.strip(),
    )


def _minutes(value: float, *, unit: bool = True) -> str:
    number = f"{value:g}" if value != int(value) else str(int(value))
    if not unit:
        return number
    return f"{number} minute{'' if number == '1' else 's'}"
