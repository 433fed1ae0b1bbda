"""The editor's live check and preview in Chromium: what is typed shows in the student's view,
a mistake is named beside its field as it is made, rows are added on demand, and nothing is
saved by looking."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Question
from tests.support.attempt_data import build_world
from tests.support.browser import fresh, run_axe

pytestmark = pytest.mark.browser


def test_the_preview_follows_the_typing(live_server: Any, browser: Any) -> None:
    live = live_server
    w = build_world(live.make)
    w.short.retired_at = w.short.created_at  # its factory spec has no explanation
    live.db.session.commit()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, w.teacher)
    page.goto(f"{live.url}/teach/banks/{w.bank.slug}/questions/{w.single.key}/edit")
    preview = page.locator("#preview")
    assert preview.get_by_text("Question q-single?").first.is_visible()

    page.fill("#f-prompt", "Which option does paragraph 1 support?")
    preview.get_by_text("Which option does paragraph 1 support?").first.wait_for()
    assert preview.locator('fieldset.question input[type="radio"]').count() == 3

    page.fill("#f-options-2-text", "Option a")  # the same text as option a
    error = page.locator('[data-field-error="options-2-text"]')
    error.wait_for()
    assert "duplicate option text" in error.inner_text()  # the checker's own words
    assert page.locator("#f-options-2-text").get_attribute("aria-invalid") == "true"
    assert "1 problem to fix before saving" in page.locator("#preview-status").inner_text()
    assert "Fix the problems" in preview.inner_text()

    page.fill("#f-options-2-text", "Option c, reworded")
    preview.get_by_text("Option c, reworded").first.wait_for()
    assert page.locator('[data-field-error^="options"]').count() == 0

    rows = page.locator('fieldset[data-rows="options"] > .editor-row')
    before = rows.count()
    page.get_by_role("button", name="Add an option").click()
    assert rows.count() == before + 1
    assert page.locator(f"#f-options-{before}-text").is_visible()
    assert [v for v in run_axe(page) if v["impact"] in ("serious", "critical")] == []

    fresh(live)
    assert live.db.session.get(Question, w.single.id).latest_version == 1  # looking saves nothing
    context.close()
