"""The question navigator, "flag for review" and highlights in Chromium, at 1280 and 375 px.

Every page a test visits is checked with axe-core (WCAG 2.1 A/AA), and no student page may be
wider than the phone. Flags and highlights are kept on the server: a reload shows them again.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Highlight, Response
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


KEYS = ["tc-triumvirate", "tc-corbynistas-who", "tc-plp-controls", "tc-citadel"]


def nav_item(page, position):
    return page.locator(f"#navigator .nav-q[data-position='{position}']")


def open_navigator(page):
    if not page.locator("#navigator").evaluate("d => d.open"):
        page.locator("#navigator summary").click()


def flagged_on_server(live, attempt_id):
    live.db.session.rollback()
    rows = live.db.session.execute(
        select(Response.position, Response.flagged).where(Response.attempt_id == attempt_id)
    )
    return {p for p, f in rows if f}


@pytest.mark.parametrize("width", WIDTHS)
def test_navigator_and_flags(live_server, browser, course, width):
    live = live_server
    quiz = course.quiz(KEYS, questions_per_page=2)
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        checked(page)
        no_sideways_scroll(page)
        # a phone starts with the navigator folded into the status bar
        assert page.locator("#navigator").evaluate("d => d.open") is (width >= 600)
        open_navigator(page)
        assert page.locator("#navigator .nav-q").count() == 4
        assert "not answered" in nav_item(page, 1).inner_text()
        # "Clear answer" only once there is an answer to clear
        assert page.locator("#q1 .clear-answer").is_hidden()
        page.locator("#q1 input[type=radio]").first.check()
        page.wait_for_function(
            "() => document.querySelector(\"#navigator .nav-q[data-position='1']\")"
            ".classList.contains('is-answered')"
        )
        assert page.locator("#q1 .clear-answer").is_visible()
        assert ", answered" in nav_item(page, 1).inner_text()
        # flag question 2: kept on the server, shown in the button and the navigator
        flag = page.locator("#q2 .flag-toggle")
        assert flag.get_attribute("aria-pressed") == "false"
        flag.click()
        page.wait_for_function(
            "() => document.querySelector('#q2 .flag-toggle').getAttribute('aria-pressed')"
            " === 'true'"
        )
        assert flagged_on_server(live, attempt_id) == {2}
        assert "flagged for review" in nav_item(page, 2).inner_text()
        assert page.locator("#nav-flagged-count").inner_text() == "1"
        checked(page)
        page.reload()
        assert page.locator("#q2 .flag-toggle").get_attribute("aria-pressed") == "true"
        open_navigator(page)
        assert "flagged for review" in nav_item(page, 2).inner_text()
        assert ", answered" in nav_item(page, 1).inner_text()
        # jump to a question of another page: the answers of this page are saved on the way
        nav_item(page, 4).click()
        page.wait_for_url(re.compile(r"page=2#q4$"))
        assert page.locator("#q4").is_visible()
        checked(page)
        no_sideways_scroll(page)
        page.locator("#q4 .flag-toggle").click()
        page.wait_for_function(
            "() => document.querySelector('#q4 .flag-toggle').getAttribute('aria-pressed')"
            " === 'true'"
        )
        assert flagged_on_server(live, attempt_id) == {2, 4}
        # on this page, a question of this page is a link that moves the focus to it
        open_navigator(page)
        nav_item(page, 3).click()
        assert page.evaluate("() => document.activeElement.closest('#q3') !== null")
        # the submit page lists the flagged and unanswered questions first
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        checked(page)
        no_sideways_scroll(page)
        first = page.locator(".to-check").inner_text()
        assert "Question 2" in first and "Flagged for review" in first
        assert "Question 3" in first and "Question 1" not in first
        assert "Question 1" in page.locator(".answered-list").inner_text()
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        checked(page)
        # after submit the flags cannot change
        status = page.evaluate(
            """async (id) => (await fetch(`/attempts/${id}/flags/1`, {method: 'POST',
                headers: {'Content-Type': 'application/json',
                          'X-CSRFToken': document.querySelector('input[name=csrf_token]').value},
                body: JSON.stringify({flagged: true})})).status""",
            attempt_id,
        )
        assert status == 409
        assert flagged_on_server(live, attempt_id) == {2, 4}
    finally:
        context.close()


SELECT_WORDS = """([para, from, to]) => {
    const words = document.querySelector(`.para[data-paragraph="${para}"] .ptext`);
    const walker = document.createTreeWalker(words, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let at = 0, node;
    while ((node = walker.nextNode())) {
        const len = node.data.length;
        if (from >= at && from <= at + len) range.setStart(node, from - at);
        if (to >= at && to <= at + len) { range.setEnd(node, to - at); break; }
        at += len;
    }
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    return range.toString();
}"""


def highlights_on_server(live, attempt_id):
    live.db.session.rollback()
    rows = live.db.session.scalars(select(Highlight).where(Highlight.attempt_id == attempt_id))
    return sorted((h.paragraph, h.start_offset, h.end_offset, h.quote) for h in rows)


@pytest.mark.parametrize("width", WIDTHS)
def test_highlights_are_kept_with_the_attempt_and_shown_in_the_review(
    live_server, browser, course, width
):
    live = live_server
    quiz = course.quiz(KEYS)
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        show_article(page, width)
        add = page.get_by_role("button", name="Highlight selection")
        assert add.is_disabled()
        words = page.evaluate(SELECT_WORDS, [2, 4, 40])
        assert words == "Parliamentary Labour Party’s chaotic"
        add.click()
        page.wait_for_selector("mark.hl")
        assert page.locator("mark.hl").inner_text() == words
        # a second selection across two paragraphs, overlapping nothing
        page.evaluate(SELECT_WORDS, [3, 0, 19])
        add.click()
        page.wait_for_function("() => document.querySelectorAll('mark.hl').length === 2")
        assert highlights_on_server(live, attempt_id) == [
            (2, 4, 40, words),
            (3, 0, 19, "For the Corbynistas"),
        ]
        checked(page)
        no_sideways_scroll(page)
        # kept on reload, listed with a way to remove each
        page.reload()
        show_article(page, width)
        assert page.locator("mark.hl").count() == 2
        page.locator(".hl-list summary").click()
        assert "For the Corbynistas" in page.locator(".hl-list").inner_text()
        checked(page)
        page.get_by_role("button", name=re.compile("Remove highlight “For the")).click()
        page.wait_for_function("() => document.querySelectorAll('mark.hl').length === 1")
        assert [h[0] for h in highlights_on_server(live, attempt_id)] == [2]
        # overlapping a highlight merges into it
        page.evaluate(SELECT_WORDS, [2, 20, 50])
        add.click()
        page.wait_for_function("() => document.querySelector('mark.hl').textContent.length > 40")
        assert [h[1:3] for h in highlights_on_server(live, attempt_id)] == [(4, 50)]
        # without a mouse: a whole paragraph from the list, by keyboard
        page.locator(".hl-list summary").evaluate("s => s.parentElement.open = true")
        page.get_by_label("Or highlight a whole paragraph").select_option("p1")
        page.get_by_role("button", name="Highlight paragraph").press("Enter")
        page.wait_for_function("() => document.querySelectorAll('mark.hl').length === 2")
        assert highlights_on_server(live, attempt_id)[0] == (
            1,
            0,
            28,
            "This is a tale of two coups.",
        )
        checked(page)
        # an answer still works beside them; then the review shows them, read-only
        show_questions(page, width)
        page.locator("#q1 input[type=radio]").first.check()
        page.wait_for_function(
            "() => /^Saved/.test(document.getElementById('save-status').textContent)"
        )
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        show_article(page, width)
        marks = page.locator("mark.hl").all_inner_texts()
        assert marks[0] == "This is a tale of two coups."
        assert "Parliamentary Labour Party’s chaotic coup" in marks[1]
        assert page.get_by_role("button", name="Highlight selection").count() == 0
        assert page.locator(".hl-remove").count() == 0
        checked(page)
        no_sideways_scroll(page)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_review_marks_only_the_evidence_of_the_question_in_hand(
    live_server, browser, course, width
):
    live = live_server
    quiz = course.quiz(["cmp-framings", "cmp-ev-rallies", "cmp-ev-local"])
    context, page = new_page(browser, width)
    try:
        live.login(page, course.student)
        attempt_id = start(live, page, quiz)
        pos = course.positions(attempt_id)
        page.goto(f"{live.url}/attempts/{attempt_id}/submit")
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/result$"))
        assert page.locator(".para.evidence-hl").count() == 0  # nothing until a question is chosen
        local = page.locator(f"#q{pos['cmp-ev-local']}")
        local.locator(".prompt").click()
        marked = page.locator(".para.evidence-hl")
        ids = marked.evaluate_all("els => els.map(e => e.id)")
        assert sorted(ids) == ["kamikaze-p8", "two-coups-p10", "two-coups-p11"]
        assert "evidence for question" in page.locator("#evidence-note").inner_text()
        checked(page)
        # the note's links reach evidence in the other article's tab
        show_article(page, width)
        page.locator("#evidence-note a", has_text="Kamikaze").click()
        assert page.locator("#tab-kamikaze").get_attribute("aria-selected") == "true"
        assert page.locator("#kamikaze-p8").is_visible()
        checked(page)
        show_questions(page, width)
        rallies = page.locator(f"#q{pos['cmp-ev-rallies']}")
        rallies.locator(".evidence-links a").first.focus()
        ids = page.locator(".para.evidence-hl").evaluate_all("els => els.map(e => e.id)")
        assert sorted(ids) == ["kamikaze-p12", "two-coups-p15"]
        no_sideways_scroll(page)
    finally:
        context.close()
