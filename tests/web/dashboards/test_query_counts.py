"""Each dashboard and export issues the same number of SQL statements for 5 and 50 students."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db as _db
from tests.support.class_data import random_class


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    # On the Engine class: requests are served by the ``web_app`` fixture's own engine.
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _urls(setup) -> list[str]:
    c, q, s = setup.course.id, setup.quiz.id, setup.students[1].id
    return [
        f"/teach/courses/{c}/dashboard",
        f"/teach/quizzes/{q}/results?sort=score&dir=desc",
        f"/teach/quizzes/{q}/results?state=submitted&q=student",
        f"/teach/quizzes/{q}/items?attempts=graded",
        f"/teach/quizzes/{q}/items?attempts=all",
        f"/teach/courses/{c}/skills",
        f"/teach/courses/{c}/skills?quiz={q}&attempts=first",
        f"/teach/courses/{c}/students/{s}",
        f"/teach/courses/{c}/exports",
        f"/teach/quizzes/{q}/export.csv?layout=plain",
        f"/teach/quizzes/{q}/export.csv?layout=moodle",
        f"/teach/courses/{c}/gradebook.csv?layout=plain",
        f"/teach/courses/{c}/gradebook.csv?layout=moodle",
    ]


def _counts(make, client, login_as, n: int) -> dict[int, int]:
    setup = random_class(make, n, seed=n, attempts=2)
    login_as(setup.instructor)
    counts: dict[int, int] = {}
    for i, url in enumerate(_urls(setup)):
        _db.session.close()  # the request must check out a connection the listener sees
        with count_queries() as statements:
            response = client.get(url)
            body = response.get_data()  # a streamed export runs its queries here
        assert response.status_code == 200, (url, body[:300])
        counts[i] = len(statements)
    return counts


@pytest.mark.both_dbs
@pytest.mark.parametrize("sizes", [(5, 50)])
def test_query_count_does_not_grow_with_the_class(
    make, client, login_as, db, backend, sizes
) -> None:
    small = _counts(make, client, login_as, sizes[0])
    large = _counts(make, client, login_as, sizes[1])
    assert small == large
    assert min(small.values()) > 0 and max(small.values()) <= 16, small
