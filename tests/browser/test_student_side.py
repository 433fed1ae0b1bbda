"""The student's side of a close-reading quiz in Chromium, at 1280 and 375 px, on the real banks.

Every page a test visits is checked with axe-core (WCAG 2.1 A/AA): any violation fails.
"""

from __future__ import annotations

import re

import pytest

from tests.support.student_pages import (
    WIDTHS,
    Course,
    checked,
    new_page,
    no_sideways_scroll,
    show_article,
    show_questions,
    start,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def course(live_server) -> Course:
    return Course(live_server)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_quiz_without_evidence_questions_shows_its_article(live_server, browser, course, width):
    live = live_server
    quiz = course.quiz(["tc-triumvirate", "tc-corbynistas-who", "tc-plp-controls"])
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        checked(page)
        no_sideways_scroll(page)
        show_article(page, width)
        article = page.locator("#source-two-coups")
        assert article.is_visible()
        assert "This is a tale of two coups" in article.locator("h2").inner_text()
        assert page.get_by_text("Labour’s power triumvirate").first.is_visible()
        checked(page)
        show_questions(page, width)
        page.locator("label", has_text="The party leadership, the membership and the").click()
        page.wait_for_function(
            "() => document.getElementById('answered-count').textContent === '1'"
        )
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        checked(page)
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        checked(page)
        no_sideways_scroll(page)
        show_article(page, width)
        assert page.locator("#source-two-coups").is_visible()
        checked(page)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_comparison_quiz_shows_both_articles_each_keeping_its_place(
    live_server, browser, course, width
):
    live = live_server
    quiz = course.quiz(["cmp-framings", "cmp-ev-rallies", "cmp-ev-local"])
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        pos = course.positions(attempt_id)
        show_article(page, width)
        checked(page)
        first, second = page.locator("#tab-two-coups"), page.locator("#tab-kamikaze")
        assert first.get_attribute("aria-selected") == "true"
        for slug, title in (
            ("two-coups", "This is a tale of two coups"),
            ("kamikaze", "It was always a kamikaze mission"),
        ):
            header = page.locator(f"#source-{slug} header")
            assert title in header.text_content()
            assert page.locator(f"#source-{slug} .byline").count() == 1
        # read down the first article, switch with one click, then back with one key
        page.locator("#two-coups-p9").scroll_into_view_if_needed()
        scroller = "window" if width < 900 else "document.getElementById('reading-pane')"
        top = f"() => Math.round({scroller}.{'scrollY' if width < 900 else 'scrollTop'})"
        kept = page.evaluate(top)
        assert kept > 300
        second.click()
        assert page.locator("#source-kamikaze").is_visible()
        assert page.locator("#source-two-coups").is_hidden()
        assert (
            "It was always a kamikaze mission" in page.locator("#source-kamikaze h2").inner_text()
        )
        assert "2016" in page.locator("#source-kamikaze .byline").inner_text()
        checked(page)
        second.focus()
        page.keyboard.press("ArrowLeft")
        assert page.locator("#source-two-coups").is_visible()
        assert abs(page.evaluate(top) - kept) <= 2  # the place in the first article is kept
        # evidence selection works in either article
        show_questions(page, width)
        for key, para in (("cmp-ev-rallies", 5), ("cmp-ev-local", 9)):
            page.locator(f"#q{pos[key]} .pick-in-article").click()
            page.get_by_label(f"Select paragraph {para} for question {pos[key]}").check()
            checked(page)
            page.click("#pick-done")
        page.wait_for_function(
            "() => document.getElementById('answered-count').textContent === '2'"
        )
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        checked(page)
        no_sideways_scroll(page)
        text = page.locator(".questions-pane").inner_text()
        assert "Kamikaze, ¶5" in text and "Two coups, ¶9" in text
    finally:
        context.close()
