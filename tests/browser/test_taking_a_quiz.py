"""A student takes quizzes in headless Chromium against a live server (CSRF on)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.models import Attempt
from tests.support import specs
from tests.support.browser import (
    Positions,
    attempt_of,
    open_quiz,
    qid_position,
    run_axe,
    values,
    wait_saved,
)
from tests.support.quiz_setup import build

pytestmark = pytest.mark.browser


def answer_everything(page, pos: Positions) -> None:
    page.check(f"#q{pos['q-single']}-b")
    page.check(f"#q{pos['q-multiple']}-a")
    page.check(f"#q{pos['q-multiple']}-b")
    page.check(f"#q{pos['q-tf']}-false")
    page.fill(f"#q{pos['q-short']}-text", "Labourish")
    match, order = pos.alias["q-match"], pos.alias["q-order"]
    page.select_option(f"#q{pos['q-match']}-match-1", match["1"])
    page.select_option(f"#q{pos['q-match']}-match-2", match["2"])
    for rank, item in enumerate("abc", start=1):
        page.select_option(f"#q{pos['q-order']}-rank-{order[item]}", str(rank))
    page.check(f"#q{pos['q-evidence']}-2")
    page.fill(f"#q{pos['q-essay']}-text", "A thoughtful essay of more than five words.")


def test_take_a_quiz_end_to_end(live_server, page):
    live = live_server
    s = build(live.make, closes_at=datetime.now(UTC) + timedelta(days=1))
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    answer_everything(page, pos)
    wait_saved(page)
    assert page.locator("#answered-count").text_content() == "8"
    assert page.locator(f"#q{pos['q-essay']}-words .wc").text_content() == "8"
    assert values(live, attempt_id)["q-essay"] == specs.RIGHT["q-essay"]
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url(re.compile(r"/submit$"))
    assert "Every question has an answer" in page.content()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert "7 / 8" in page.locator(".score").text_content()
    # the article marks the evidence of the question in hand only
    assert page.locator(".para.evidence-hl").count() == 0
    page.locator(f"#q{pos['q-evidence']} .prompt").click()
    assert page.locator(".para.evidence-hl").count() == 1
    assert "evidence for question" in page.locator("#evidence-note").inner_text()
    assert attempt_of(live, s).state == "submitted"


def test_reload_and_restart_keep_answers(live_server, page):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    page.check(f"#q{pos['q-single']}-c")
    page.fill(f"#q{pos['q-essay']}-text", "Half an essay")
    wait_saved(page)
    page.reload()
    assert page.is_checked(f"#q{pos['q-single']}-c")
    assert page.input_value(f"#q{pos['q-essay']}-text") == "Half an essay"
    live.restart()
    page.reload()
    assert page.input_value(f"#q{pos['q-essay']}-text") == "Half an essay"
    # Starting again from the course page resumes, never a new attempt.
    page.goto(f"{live.url}/courses/{s.course.id}")
    page.get_by_role("button", name=re.compile("^Resume")).click()
    assert page.url.endswith(f"/attempts/{attempt_id}")


def test_two_tabs_stale_tab_is_told_to_reload(live_server, context):
    live = live_server
    s = build(live.make)
    first = context.new_page()
    attempt_id = open_quiz(live, first, s)
    pos = qid_position(live, attempt_id)
    second = context.new_page()
    second.goto(f"{live.url}/courses/{s.course.id}")
    second.get_by_role("button", name=re.compile("^Resume")).click()
    # The page's scripts run before DOMContentLoaded: a click before that is not autosaved.
    second.wait_for_load_state()
    assert second.url.endswith(f"/attempts/{attempt_id}")  # the same attempt
    first.check(f"#q{pos['q-single']}-b")
    wait_saved(first)
    second.check(f"#q{pos['q-single']}-c")
    alert = second.get_by_role("alert")
    alert.wait_for()
    assert "another tab" in alert.text_content()
    assert second.get_by_role("button", name="Reload the page").is_visible()
    assert values(live, attempt_id)["q-single"] == "b"  # the newer answer stands
    second.get_by_role("button", name="Reload the page").click()
    second.wait_for_load_state()
    assert second.is_checked(f"#q{pos['q-single']}-b")


def test_offline_answers_are_kept_and_resent(live_server, context, page):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    context.set_offline(True)
    page.check(f"#q{pos['q-single']}-a")
    page.fill(f"#q{pos['q-short']}-text", "typed offline")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent === 'Not saved — retrying'"
    )
    assert "typed offline" in page.evaluate("() => JSON.stringify(localStorage)")
    assert values(live, attempt_id)["q-single"] is None
    context.set_offline(False)
    wait_saved(page)
    got = values(live, attempt_id)
    assert got["q-single"] == "a" and got["q-short"] == "typed offline"


def test_answers_survive_closing_the_tab_while_offline(live_server, context, page):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    context.set_offline(True)
    page.check(f"#q{pos['q-tf']}-true")
    page.wait_for_function("() => localStorage.length > 0")
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"{live.url}/attempts/{attempt_id}")
    assert again.is_checked(f"#q{pos['q-tf']}-true")
    # Sent again and acknowledged (or already on the server, if the request got out in time).
    again.wait_for_function("() => localStorage.length === 0")
    assert values(live, attempt_id)["q-tf"] is True


def test_timer_expiry_submits(live_server, page):
    live = live_server
    s = build(live.make, time_limit_minutes=30)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    attempt = live.db.session.get(Attempt, attempt_id)
    attempt.deadline_at = datetime.now(UTC) + timedelta(seconds=4)
    live.db.session.commit()
    page.reload()
    page.check(f"#q{pos['q-single']}-b")
    page.wait_for_url(re.compile(r"/result$"), timeout=15_000)
    done = attempt_of(live, s)
    assert done.state == "submitted" and done.submitted_by == "timer" and done.score == 1.0


def test_keyboard_only(live_server, page):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)

    def tab_to(selector: str, limit: int = 300) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"could not reach {selector} with Tab")

    tab_to(f"#q{pos['q-single']}-a")
    page.keyboard.press("ArrowDown")  # radios move and select with the arrow keys
    assert page.is_checked(f"#q{pos['q-single']}-b")
    tab_to(f"#q{pos['q-multiple']}-a")
    page.keyboard.press("Space")
    tab_to(f"#q{pos['q-short']}-text")
    page.keyboard.type("Labourish")
    # Evidence from the reading pane, by keyboard.
    tab_to(f"#q{pos['q-evidence']} .pick-in-article")
    page.keyboard.press("Enter")
    page.wait_for_selector(".pick input")
    assert page.evaluate("() => document.activeElement.matches('.pick input')")
    page.keyboard.press("Tab")  # to paragraph 2's box
    page.keyboard.press("Space")
    assert page.is_checked(f"#q{pos['q-evidence']}-2")
    page.keyboard.press("Escape")
    wait_saved(page)
    got = values(live, attempt_id)
    assert got["q-single"] == "b" and got["q-multiple"] == ["a"]
    assert got["q-short"] == "Labourish" and got["q-evidence"] == ["src:p2"]
    # "Show paragraph 2" moves focus to the paragraph.
    page.focus(f"#q{pos['q-single']} a.show-para")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "p2"
    tab_to("button[value=finish]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/submit$"))
    tab_to("button[type=submit]:not(.secondary)")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/result$"))


def test_phone_width(live_server, browser):
    live = live_server
    s = build(live.make)
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        attempt_id = open_quiz(live, page, s)
        pos = qid_position(live, attempt_id)
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)""")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, wide
        # article and questions are two views: the questions first, the article one tap away
        assert page.is_hidden("#reading-pane") and page.is_visible(".questions-pane")
        questions = page.locator(".questions-pane").bounding_box()
        assert questions["x"] >= 0 and questions["x"] + questions["width"] <= 375
        assert questions["y"] < 740
        page.tap("[data-view-button=article]")
        assert page.is_visible("#reading-pane") and page.is_hidden(".questions-pane")
        assert page.is_visible("#answered-count")
        page.tap("[data-view-button=questions]")
        page.tap(f"label[for=q{pos['q-single']}-b]")
        wait_saved(page)
        assert values(live, attempt_id)["q-single"] == "b"
    finally:
        context.close()


def test_no_accessibility_violations(live_server, browser):
    live = live_server
    s = build(live.make, closes_at=datetime.now(UTC) + timedelta(days=1), time_limit_minutes=60)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        attempt_id = open_quiz(live, page, s)
        pos = qid_position(live, attempt_id)
        assert run_axe(page) == []
        page.check(f"#q{pos['q-single']}-b")
        page.locator(f"#q{pos['q-evidence']} .pick-in-article").click()
        assert run_axe(page) == []  # with the evidence boxes in the article
        page.keyboard.press("Escape")
        wait_saved(page)
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        assert run_axe(page) == []
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        assert run_axe(page) == []
        page.goto(f"{live.url}/courses/{s.course.id}")
        assert run_axe(page) == []
        page.goto(f"{live.url}/quizzes/{s.quiz.id}")
        assert run_axe(page) == []
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(f"{live.url}/attempts/{attempt_id}/result")
        assert run_axe(page) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_comparison_quiz_tabs(live_server, browser):
    from app.models import QuizSource

    live = live_server
    s = build(live.make, [{**specs.evidence(), "source": "other"}, specs.single()])
    other = live.make.source("other", paragraphs=2)
    live.db.session.add(QuizSource(quiz_id=s.quiz.id, source_id=other.id, position=1))
    live.db.session.commit()
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        open_quiz(live, page, s)
        assert page.is_visible("#source-src") and page.is_hidden("#source-other")
        page.get_by_role("tab", name="Article src").focus()
        page.keyboard.press("ArrowRight")
        assert page.is_visible("#source-other") and page.is_hidden("#source-src")
        # "Select in the article" opens the question's own article.
        page.get_by_role("tab", name="Article src").click()
        page.locator("#q1 .pick-in-article").click()
        assert page.is_visible("#source-other")
        page.get_by_label("Select paragraph 2 for question 1").check()
        assert page.is_checked("#q1-2")
        assert run_axe(page) == []
    finally:
        context.close()


def test_without_javascript(live_server, browser):
    live = live_server
    s = build(live.make, questions_per_page=4)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        attempt_id = open_quiz(live, page, s)
        pos = qid_position(live, attempt_id)
        page.check(f"#q{pos['q-single']}-b")
        page.get_by_role("button", name="Next page").click()
        page.wait_for_url(re.compile(r"page=2$"))
        page.check(f"#q{pos['q-evidence']}-2")
        page.fill(f"#q{pos['q-essay']}-text", "Written with no script at all.")
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Your answers are saved.").wait_for()
        got = values(live, attempt_id)
        assert got["q-single"] == "b" and got["q-evidence"] == ["src:p2"]
        assert got["q-essay"] == "Written with no script at all."
        page.get_by_role("button", name="Review and submit").click()
        page.wait_for_url(re.compile(r"/submit$"))
        assert "Question 2" in page.content()  # listed as unanswered
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        assert attempt_of(live, s).state == "submitted"
    finally:
        context.close()


def test_clear_a_single_choice_answer(live_server, page):
    live = live_server
    s = build(live.make, [specs.single()])
    attempt_id = open_quiz(live, page, s)
    page.check("#q1-b")
    wait_saved(page)
    page.get_by_role("button", name="Clear answer to question 1").click()
    page.wait_for_function(
        "() => document.querySelector('#q1 .answered-mark').dataset.answered === 'false'"
    )
    wait_saved(page)
    assert values(live, attempt_id)["q-single"] is None
