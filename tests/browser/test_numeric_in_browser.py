"""A numeric question in headless Chromium: typing, the message for what is not a number,
autosave, reload, submit and review (the type's script reads and applies the value)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Response
from tests.support import specs
from tests.support.browser import wait_saved
from tests.support.quiz_setup import build

pytestmark = pytest.mark.browser


def stored(live, attempt_id: int, qid: str):
    live.db.session.rollback()
    live.db.session.expire_all()
    rows = live.db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
    return {r.question_version.spec["id"]: r.value for r in rows}[qid]


def test_numeric_answer_typed_saved_reloaded_and_graded(live_server, page):
    live = live_server
    s = build(live.make, [specs.single(), specs.numeric()])
    live.login(page, s.student)
    page.goto(f"{live.url}/courses/{s.course.id}")
    page.get_by_role("button", name=re.compile(r"^(Start|Resume)")).first.click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    field = page.get_by_label("Your answer (a number)")

    field.fill("1822 years")
    status = page.locator("#q2-status")
    status.filter(has_text="without units or words").wait_for()
    assert status.text_content().startswith("Not saved:")
    assert stored(live, attempt_id, "q-numeric") is None

    field.fill(" 1,822 ")
    page.wait_for_function("() => document.getElementById('q2-status').textContent === ''")
    wait_saved(page)
    assert stored(live, attempt_id, "q-numeric") == 1822
    assert page.locator("#answered-count").text_content() == "1"

    page.reload()
    assert page.get_by_label("Your answer (a number)").input_value() == "1822"

    page.check("#q1-b")
    wait_saved(page)
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url(re.compile(r"/submit$"))
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert "3 / 3" in page.locator(".score").text_content()
    review = page.locator("#q2").text_content()
    assert "1822" in review and "Correct" in review
