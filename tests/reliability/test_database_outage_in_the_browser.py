"""The database goes away while a student answers in Chromium, then comes back.

The real app (CSRF on) is served from a thread on a PostgreSQL database; the test blocks that
database (no connections allowed, existing ones terminated). The autosave gets a 503, the page
says the answer is not saved yet, keeps it in localStorage and sends it again once the database
is back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Response
from tests.support import specs
from tests.support.browser import LiveServer, wait_saved
from tests.support.config import TEST_CONFIG
from tests.support.deployment import quick_world
from tests.support.postgres import block_postgres, temporary_database, unblock_postgres

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def pg_live_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    with temporary_database("hustings_rel") as database:
        url = database.url
        app = create_app(
            {**TEST_CONFIG, "TESTING": False, "WTF_CSRF_ENABLED": True,
             "RATELIMIT_ENABLED": False, "SQLALCHEMY_DATABASE_URI": database.sqlalchemy_url},
            instance_path=tmp_path / "instance",
        )  # fmt: skip
        with app.app_context():
            db.create_all()
            server = LiveServer(app)
            server.start()
            try:
                yield server, url
            finally:
                unblock_postgres(url)
                server.stop()
                db.session.remove()
                db.engine.dispose()


def test_answer_typed_while_the_database_is_down_is_kept_in_the_browser_and_resent(
    pg_live_server: tuple[LiveServer, str],
    page: Any,
) -> None:
    live, url = pg_live_server
    _, course, student, _ = quick_world(live.make, [specs.single("b-1"), specs.short("b-2")])
    live.login(page, student)
    page.goto(f"{live.url}/courses/{course.id}")
    page.get_by_role("button", name=re.compile(r"^Start")).first.click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/responses/" in r.url else None)

    db.session.rollback()
    block_postgres(url)
    try:
        page.fill("#q2-text", "typed while the database was down")
        page.wait_for_function(
            "() => document.getElementById('save-status').textContent === 'Not saved — retrying'"
        )
        assert 503 in statuses
        assert "typed while the database was down" in page.evaluate(
            "() => JSON.stringify(localStorage)"
        )
    finally:
        unblock_postgres(url)
    wait_saved(page, timeout=30_000)
    assert statuses[-1] == 200
    db.session.rollback()
    saved = db.session.scalar(
        select(Response.value).where(Response.attempt_id == attempt_id, Response.position == 2)
    )
    assert saved == "typed while the database was down"
