"""The item analysis screen in a real browser, on the worked example of
tests/support/example_quiz.py: a row per slot with the drawn questions under random slots,
the quiz maximum, the note on attempts awaiting grading, and the switch to count them as 0."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browser import run_axe
from tests.support.example_quiz import build

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("HUSTINGS_SCREENSHOTS", "/tmp/hustings-screenshots"))


def _serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.fixture
def page(browser):
    """A page that lets axe-core be injected (tests/support/browser.py)."""
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def test_random_slots_and_pending_attempts_on_screen(live_server, page) -> None:
    example = build(live_server.make)
    live_server.login(page, example.instructor)
    page.goto(f"{live_server.url}/teach/quizzes/{example.quiz.id}/items")
    table = page.locator("#item-table")
    table.wait_for()
    slot_rows = table.locator("tbody tr.slot-row")
    labels = [t.split("\n")[0].strip() for t in slot_rows.locator("th").all_inner_texts()]
    assert labels == ["Q1", "Q2", "Q3.1", "Q3.2", "Q4"]
    # Bank B's three questions were each drawn: three sub-rows under Q4.
    q4 = page.locator("#row-slot-00004-001")
    assert "Random from Bank B" in q4.inner_text()
    assert table.locator("tbody tr.sub-row[id^='row-slot-00004-001-v']").count() == 3
    caption = page.locator(".quiz-stats caption").inner_text()
    assert "7 attempts analysed" in caption and "maximum 14 points" in caption
    note = page.locator("#left-out-pending")
    assert "3 attempts left out: awaiting grading" in note.inner_text()
    mean = page.locator(".quiz-stats tr:has(th:text('Mean')) td.num").inner_text()
    assert mean == "58.2%"  # 57 points over 7 attempts of 14
    assert _serious(run_axe(page)) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "item-analysis-random-slots.png"), full_page=True)

    # Counting answers awaiting grading as 0 is an explicit choice on the page.
    page.select_option("#pending", "count_zero")
    page.click("form.dash-filter button[type=submit]")
    page.wait_for_url("**pending=count_zero**")
    assert "8 attempts analysed" in page.locator(".quiz-stats caption").inner_text()
    assert page.locator("#left-out-pending").count() == 0
    assert page.locator("text=ungraded (count 0)").count() >= 1
    # A sub-row's link leads to that question's options, under its slot's name.
    page.locator("#row-slot-00004-001 ~ tr.sub-row a").first.click()
    assert page.locator("h3:focus, h3:target").first.inner_text().startswith("Q4, drawn:")


def test_export_page_notes_and_choices(live_server, page) -> None:
    """The export page says what LMS files will leave out, and its choices reach the file."""
    example = build(live_server.make)
    live_server.login(page, example.instructor)
    page.goto(f"{live_server.url}/teach/courses/{example.course.id}/exports")
    notes = page.locator(".export-notes")
    assert "3 provisional grades" in notes.inner_text()  # Ben, Cal, Gus: an essay waits
    assert _serious(run_axe(page)) == []
    page.select_option("#provisional-gradebook", "leave_out")
    page.select_option("#layout-gradebook", "moodle")
    with page.expect_download() as download:
        page.locator("form:has(#layout-gradebook) button[type=submit]").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Gus" not in text and "Ada" in text  # provisional left out; final kept
