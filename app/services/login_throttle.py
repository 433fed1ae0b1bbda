"""Failed-login throttling, kept in the database so every worker and instance shares it.

Designed so that guessing is slow but nobody can lock a classmate out:
- failures are counted per account *and* address: one student mistyping in a lab behind one
  address (NAT) does not touch the other students, and someone guessing a named student's
  password from elsewhere does not block the student;
- each address has a generous ceiling (a whole lab mistyping passwords stays far below it), so one
  machine cannot try thousands of accounts;
- an account attacked from many addresses is slowed, not locked: once it has many failures, each
  new try must wait a little longer after the last failure (capped at ``slow_max``), so the owner
  with the right password gets in after at most that wait.

Only a wrong password is a failure: an outage (the database or anything else answering 503)
never reaches ``record_failure``. Services flush, never commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import LoginThrottle

_table = LoginThrottle.__table__


@dataclass(frozen=True)
class Policy:
    """The limits; each deployment sets them in config (see ``from_config``)."""

    per_account_and_address: int = 5
    per_address: int = 300
    window_seconds: int = 300
    slow_account_after: int = 10
    slow_max_seconds: int = 30

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        return cls(
            per_account_and_address=int(config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"]),
            per_address=int(config["LOGIN_FAILURES_PER_ADDRESS"]),
            window_seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"]),
            slow_account_after=int(config["LOGIN_SLOW_ACCOUNT_AFTER"]),
            slow_max_seconds=int(config["LOGIN_SLOW_MAX_SECONDS"]),
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # "account-and-address", "address" or "account-slowed" when refused
    retry_after: int = 0  # seconds


def _keys(account: str, address: str) -> tuple[str, str, str]:
    return f"pair:{account}|{address}"[:400], f"addr:{address}"[:400], f"acct:{account}"[:400]


def check(account: str, address: str, now: datetime, policy: Policy) -> Verdict:
    """May a login for ``account`` from ``address`` be tried now?"""
    pair, addr, acct = _keys(account, address)
    rows = {
        r.key: r
        for r in db.session.execute(
            select(
                _table.c.key, _table.c.failures, _table.c.window_start, _table.c.last_failure_at
            ).where(_table.c.key.in_((pair, addr, acct)))
        )
    }
    window = timedelta(seconds=policy.window_seconds)

    def live(key: str) -> Any:
        row = rows.get(key)
        return row if row is not None and row.window_start > now - window else None

    def seconds_until(moment: datetime) -> int:
        return max(1, int((moment - now).total_seconds()) + 1)

    row = live(addr)
    if row is not None and row.failures >= policy.per_address:
        return Verdict(False, "address", seconds_until(row.window_start + window))
    row = live(pair)
    if row is not None and row.failures >= policy.per_account_and_address:
        return Verdict(False, "account-and-address", seconds_until(row.window_start + window))
    row = live(acct)
    if row is not None and row.failures >= policy.slow_account_after:
        extra = row.failures - policy.slow_account_after
        delay = timedelta(seconds=min(policy.slow_max_seconds, 2 ** min(extra, 16)))
        if now < row.last_failure_at + delay:
            return Verdict(False, "account-slowed", seconds_until(row.last_failure_at + delay))
    return Verdict(True)


def record_failure(account: str, address: str, now: datetime, policy: Policy) -> None:
    """Count one wrong password (never an outage) against the three keys."""
    cutoff = now - timedelta(seconds=policy.window_seconds)
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    for key in _keys(account, address):
        expired = _table.c.window_start <= cutoff
        statement = insert(_table).values(
            key=key, failures=1, window_start=now, last_failure_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "failures": case((expired, 1), else_=_table.c.failures + 1),
                "window_start": case(
                    (expired, literal(now, _table.c.window_start.type)),
                    else_=_table.c.window_start,
                ),
                "last_failure_at": now,
            },
        )
        db.session.execute(statement)
    if random.random() < 0.01:  # now and then, forget failures nobody will look at again
        db.session.execute(delete(_table).where(_table.c.last_failure_at < now - timedelta(days=1)))


def record_success(account: str, address: str) -> None:
    """The right password from this address: its own count starts again (the account's and the
    address's do not, or one correct login would hide a guessing attack)."""
    pair, _, _ = _keys(account, address)
    db.session.execute(delete(_table).where(_table.c.key == pair))
