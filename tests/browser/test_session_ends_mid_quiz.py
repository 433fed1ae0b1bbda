"""A session that ends mid-quiz loses no answer (issue 14 point 1), and answers kept in the
browser belong to one user and leave with them (issue 22 point 8). Headless Chromium, CSRF on."""

from __future__ import annotations

import pytest

from tests.support.browser import open_quiz, qid_position, values, wait_saved
from tests.support.quiz_setup import build

pytestmark = pytest.mark.browser

PART_1 = "Part one of my essay, typed before the logout."
PART_2 = " Part two, typed after it."


def stored_keys(page) -> list[str]:
    return page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('hustings-attempt-'))"
    )


def test_logout_in_another_tab_loses_no_answer_and_they_are_sent_after_logging_in_again(
    live_server, context
):
    live = live_server
    s = build(live.make)
    quiz = context.new_page()
    attempt_id = open_quiz(live, quiz, s)
    essay = f"#q{qid_position(live, attempt_id)['q-essay']}-text"
    quiz.fill(essay, PART_1)
    wait_saved(quiz)
    assert values(live, attempt_id)["q-essay"] == PART_1

    other = context.new_page()
    other.goto(f"{live.url}/courses/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url(lambda url: "/login" in url)

    quiz.bring_to_front()
    quiz.type(essay, PART_2)
    alert = quiz.get_by_role("alert")
    alert.wait_for()
    assert "Log in again in another tab" in alert.text_content()
    assert "logged out" in quiz.locator("#save-status").text_content()
    kept = quiz.evaluate("() => JSON.stringify(localStorage)")
    assert "Part two" in kept
    assert values(live, attempt_id)["q-essay"] == PART_1  # not on the server yet

    live.login(other, s.student)  # in the other tab, without leaving the quiz page
    quiz.bring_to_front()
    quiz.evaluate("() => window.dispatchEvent(new Event('focus'))")
    wait_saved(quiz)
    assert quiz.get_by_role("alert").count() == 0
    assert values(live, attempt_id)["q-essay"] == PART_1 + PART_2


def test_answers_kept_in_the_browser_are_keyed_by_user_and_cleared_at_logout(
    live_server, context, page
):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    pos = qid_position(live, attempt_id)
    context.set_offline(True)
    page.fill(f"#q{pos['q-short']}-text", "typed offline")
    page.wait_for_function("() => localStorage.length > 0")
    assert stored_keys(page) == [f"hustings-attempt-{s.student.id}-{attempt_id}"]
    context.set_offline(False)
    wait_saved(page)

    # Logging out while an answer cannot be sent asks first, and keeps it if told to wait.
    context.set_offline(True)
    page.fill(f"#q{pos['q-short']}-text", "typed offline again")
    page.wait_for_function("() => localStorage.length > 0")
    messages: list[str] = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_function("() => document.getElementById('save-status').textContent !== ''")
    page.wait_for_timeout(6000)  # the logout waits up to 5 s for the answers to go out
    assert messages and "not saved yet" in messages[0]
    assert stored_keys(page)  # still kept: the student chose to stay
    context.set_offline(False)
    wait_saved(page)
    assert values(live, attempt_id)["q-short"] == "typed offline again"

    # Everything sent: logging out leaves nothing of this user's answers in the browser.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/login" in url)
    assert stored_keys(page) == []


def test_a_finished_attempt_leaves_nothing_in_the_browser(live_server, context, page):
    live = live_server
    s = build(live.make)
    attempt_id = open_quiz(live, page, s)
    key = f"hustings-attempt-{s.student.id}-{attempt_id}"
    page.evaluate(f"() => localStorage.setItem('{key}', '{{}}')")  # left by an earlier visit
    page.goto(f"{live.url}/attempts/{attempt_id}/submit")
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(lambda url: url.endswith("/result"))
    page.wait_for_function(f"() => localStorage.getItem('{key}') === null")
