"""The student's side of a close-reading quiz in Chromium, at 1280 and 375 px, on the real banks.

Every page a test visits is checked with axe-core (WCAG 2.1 A/AA): any violation fails.
"""

from __future__ import annotations

import re
from typing import Any

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


def localised(page: Any) -> list[str]:
    """The text of every <time> on the page (times.js puts them in the reader's zone)."""
    return page.locator("time[data-local]").all_inner_texts()


@pytest.mark.parametrize("width", WIDTHS)
def test_timed_quiz_with_an_extension_confirms_the_start_in_the_readers_time_zone(
    live_server, browser, course, width
):
    from datetime import UTC, datetime, timedelta

    from app.models import Accommodation

    live = live_server
    closes = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=30, second=0)
    quiz = course.quiz(
        ["tc-triumvirate", "tc-corbynistas-who"],
        time_limit_minutes=40,
        closes_at=closes,
        attempts_allowed=2,
    )
    note = "Extra time agreed with the disability office."
    live.db.session.add(
        Accommodation(quiz_id=quiz.id, user_id=course.student.id, time_multiplier=1.5, note=note)
    )
    live.db.session.commit()
    untimed = course.quiz(["tc-plp-controls"], closes_at=closes)
    context, page = new_page(browser, width, timezone="Asia/Tokyo")
    try:
        live.login(page, course.student)
        page.goto(f"{live.url}/courses/{course.course.id}")
        card = page.locator(".quiz-card", has_text="Time limit")
        assert "Time limit: 40 minutes (60 with your extension)" in card.inner_text()
        assert note in card.inner_text()
        # the close date in the reader's zone, named: 10:30 UTC is 19:30 in Tokyo
        assert any("19:30" in t and "GMT+9" in t for t in localised(page)), localised(page)
        checked(page)
        no_sideways_scroll(page)
        page.goto(f"{live.url}/quizzes/{quiz.id}")
        confirm = page.locator("#start").inner_text()
        assert "You have 40 minutes (60 with your extension)" in confirm
        assert "the timer starts when you press Start" in confirm
        assert "2 attempts left, this one included" in confirm
        assert "19:30 GMT+9" in confirm
        assert note in page.locator(".accommodation-note").inner_text()
        checked(page)
        no_sideways_scroll(page)
        page.get_by_role("button", name="Start", exact=True).click()
        page.wait_for_url(re.compile(r"/attempts/\d+$"))
        timer = page.locator("#timer").inner_text()
        assert re.search(r"(60:00|59:[0-5]\d)", timer), timer
        if width >= 600:  # the end time is folded away on a phone
            assert "GMT+9" in page.locator(".timer-ends").inner_text()
        checked(page)
        no_sideways_scroll(page)
        page.locator("#q1 input[type=radio]").first.check()
        page.wait_for_function(
            "() => /^Saved \\d\\d:\\d\\d GMT\\+9$/"
            ".test(document.getElementById('save-status').textContent)"
        )
        # an untimed quiz shows when it closes, never a countdown
        page.goto(f"{live.url}/quizzes/{untimed.id}")
        assert page.locator("#start").count() == 0
        page.get_by_role("button", name=re.compile("^Start")).click()
        page.wait_for_url(re.compile(r"/attempts/\d+$"))
        assert page.locator("#timer").count() == 0
        assert "Closes" in page.locator(".closes").inner_text()
        assert "19:30 GMT+9" in page.locator(".closes").inner_text()
        checked(page)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_instructor_sees_the_attempt_as_the_student_saw_it(live_server, browser, course, width):
    live = live_server
    quiz = course.quiz(["tc-triumvirate", "tc-labour-labels", "tc-argument-order", "cmp-ev-local"])
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        pos = course.positions(attempt_id)
        choice = page.locator(f"#q{pos['tc-triumvirate']} input[type=radio]").first
        choice.check()
        chosen = choice.evaluate("i => i.closest('label').innerText.trim()")
        for select in page.locator(f"#q{pos['tc-labour-labels']} select").all():
            select.select_option(index=1)
        for rank, select in enumerate(page.locator(f"#q{pos['tc-argument-order']} select").all()):
            select.select_option(str(rank + 1))
        page.locator(f"#q{pos['cmp-ev-local']} input[type=checkbox]").first.check()
        page.wait_for_function(
            "() => document.getElementById('answered-count').textContent === '4'"
        )
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        context.clear_cookies()
        live.login(page, course.teacher)
        page.goto(f"{live.url}/teach/attempts/{attempt_id}")
        checked(page)
        text = page.locator(".attempt-answers").inner_text()
        # option text, pairs, order and passages with their text; never the stored values
        assert chosen in text
        assert "Matched with" in text
        assert re.search(r"(Two coups|Kamikaze), ¶1: \S", text), text
        for raw in ('{"', '["', "two-coups:p", "kamikaze:p"):
            assert raw not in text, raw
        assert "marked automatically" in text
    finally:
        context.close()
