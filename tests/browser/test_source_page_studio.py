"""The source page in Chromium: select two sentences, follow the bar to the editor with both
as evidence; sentence numbers toggled in place; the paragraph buttons work without JavaScript;
axe and no sideways scrolling at 375 px (CSRF on, real banks)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.database import writing
from app.domain.banks.schema import load_bank_paths
from app.services.bank_sync import sync_banks
from tests.support.browser import run_axe
from tests.support.paths import BANKS

pytestmark = pytest.mark.browser

SELECT_ACROSS = """([first, second]) => {
    const a = document.getElementById(first).firstChild;
    const b = document.getElementById(second).firstChild;
    const range = document.createRange();
    range.setStart(a, Math.floor(a.length / 2));   // the middle of one sentence...
    range.setEnd(b, Math.floor(b.length / 3));     // ...to a third into the next
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
}"""


def _load_real_banks(live) -> None:
    banks, problems = load_bank_paths([BANKS])
    assert not [p for p in problems if p.severity == "error"], problems
    with writing():
        sync_banks(banks)
        live.db.session.commit()


def _teacher_page(live, browser, width: int = 1280, **options):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale="en-GB", **options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, live.make.instructor())
    return context, page


def ticked_evidence(page) -> list[str]:
    return page.locator("input[name=evidence]:checked").evaluate_all(
        "boxes => boxes.map(b => b.value)"
    )


def test_select_two_sentences_and_open_the_editor_with_both(live_server, browser):
    live = live_server
    _load_real_banks(live)
    context, page = _teacher_page(live, browser)
    try:
        page.goto(f"{live.url}/teach/sources/two-coups")
        bar = page.get_by_role("region", name="Selected passage")
        assert bar.is_hidden()
        page.get_by_label("Bank").select_option("two-coups-reading")
        page.get_by_label("Question type").select_option("multiple")

        page.evaluate(SELECT_ACROSS, ["p4.s2", "p4.s3"])
        link = bar.get_by_role("link", name="New question about this passage (p4.s2–p4.s3)")
        link.wait_for()
        assert page.evaluate("document.activeElement === document.body")  # focus not taken
        assert "2 sentences" in bar.inner_text()

        # a selection elsewhere replaces it; a collapsed one hides the bar
        page.evaluate(SELECT_ACROSS, ["p6.s1", "p7.s1"])
        bar.get_by_role("link", name=re.compile(r"\(p6\.s1–p7\.s1\)")).wait_for()
        page.evaluate("window.getSelection().collapseToStart()")
        page.locator("#passage-bar").wait_for(state="hidden")

        page.evaluate(SELECT_ACROSS, ["p4.s2", "p4.s3"])
        link.wait_for()
        link.click()
        page.wait_for_url(re.compile(r"/teach/banks/two-coups-reading/new-question\?"))
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"type": ["multiple"], "ref": ["two-coups:p4.s2", "two-coups:p4.s3"]}
        assert sorted(ticked_evidence(page)) == ["two-coups:p4.s2", "two-coups:p4.s3"]
    finally:
        context.close()


def test_sentence_numbers_toggle_in_place(live_server, browser):
    live = live_server
    _load_real_banks(live)
    context, page = _teacher_page(live, browser)
    try:
        page.goto(f"{live.url}/teach/sources/two-coups")
        toggle = page.get_by_role("button", name="Show sentence numbers")
        assert toggle.get_attribute("aria-pressed") == "false"
        number = page.locator("#p4 .sentence-number").nth(1)
        assert number.is_hidden()
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "true"
        assert number.is_visible() and number.inner_text() == "p4.s2"
        assert page.url.endswith("/teach/sources/two-coups?sentences=1")
        # the numbers are not part of a sentence's text, so selections still map cleanly
        assert "p4.s2" not in page.locator("#p4\\.s2").inner_text()
        page.reload()
        toggle = page.get_by_role("button", name="Show sentence numbers")
        assert toggle.get_attribute("aria-pressed") == "true"
        toggle.click()
        assert number.is_hidden()
        assert page.url.endswith("/teach/sources/two-coups")
    finally:
        context.close()


def test_without_javascript_a_paragraph_button_opens_the_editor(live_server, browser):
    live = live_server
    _load_real_banks(live)
    context, page = _teacher_page(live, browser, java_script_enabled=False)
    try:
        page.goto(f"{live.url}/teach/sources/two-coups")
        page.get_by_role("link", name="Show sentence numbers").click()
        page.wait_for_url(re.compile(r"\?sentences=1$"))
        assert page.locator("#p4 .sentence-number").nth(1).is_visible()
        page.get_by_label("Bank").select_option("two-coups-reading")
        page.get_by_role("button", name="New question about paragraph 4").click()
        page.wait_for_url(re.compile(r"/teach/banks/two-coups-reading/new-question\?"))
        assert ticked_evidence(page) == ["two-coups:p4"]
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_and_no_sideways_scroll_with_everything_shown(live_server, browser, width):
    live = live_server
    _load_real_banks(live)
    context, page = _teacher_page(live, browser, width, bypass_csp=True)
    try:
        for slug in ("two-coups", "kamikaze"):
            page.goto(f"{live.url}/teach/sources/{slug}?sentences=1")
            page.locator("details.citing summary").first.wait_for()
            page.locator("details.citing").evaluate_all("ds => ds.forEach(d => d.open = true)")
            page.evaluate(SELECT_ACROSS, ["p2.s1", "p3.s1"])
            page.get_by_role("region", name="Selected passage").get_by_role("link").wait_for()
            problems = [f"{slug} {v['id']} {v['nodes']}" for v in run_axe(page)]
            assert problems == []
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, f"{slug}: {wide}px wide at {width}px"
    finally:
        context.close()
