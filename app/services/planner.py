"""Fresh planner statistics after bulk loads.

PostgreSQL plans from table statistics that autovacuum refreshes only some time after a big
load; until then it believes the freshly filled tables are nearly empty and picks nested loops
that turn a gradebook export of seconds into minutes. Whatever writes many rows at once
(``hustings demo-data generate``, bulk roster imports) calls :func:`analyze` on the tables it
wrote. On SQLite, ``ANALYZE`` fills ``sqlite_stat1`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text

from app.extensions import db

__all__ = ["BULK_TABLES", "analyze"]

# The tables a generated course fills.
BULK_TABLES = (
    "user",
    "enrolment",
    "bank",
    "question",
    "question_version",
    "quiz",
    "quiz_slot",
    "attempt",
    "response",
    "attempt_skill_totals",
)


def analyze(tables: Iterable[str] = BULK_TABLES) -> list[str]:
    """Refresh the planner statistics of ``tables`` (names from the models, never user
    input) in the current transaction; returns the tables analysed."""
    known = set(db.metadata.tables)
    done = []
    for table in tables:
        if table not in known:
            raise ValueError(f"unknown table {table!r}")
        quoted = db.session.get_bind().dialect.identifier_preparer.quote(table)
        db.session.execute(text(f"ANALYZE {quoted}"))
        done.append(table)
    return done
