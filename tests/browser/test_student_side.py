"""The student's side of a close-reading quiz in Chromium, at 1280 and 375 px, on the real banks.

Every page a test visits is checked with axe-core (WCAG 2.1 A/AA): any violation fails.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Question, Response
from app.services import quizzes
from app.services.demo import load_banks
from tests.support.browser import run_axe
from tests.support.paths import BANKS

pytestmark = pytest.mark.browser

BANKS = BANKS
WIDTHS = (1280, 375)


def checked(page: Any) -> None:
    violations = run_axe(page)
    assert violations == [], (page.url, violations)


class Course:
    def __init__(self, live: Any) -> None:
        self.live = live
        load_banks(BANKS)
        live.db.session.commit()
        self.teacher = live.make.instructor()
        self.course = live.make.course(self.teacher)
        self.student = live.make.student()
        live.make.enrol(self.course, self.student)

    def quiz(self, keys: list[str], **settings: Any) -> Any:
        db = self.live.db
        ids = [db.session.scalar(select(Question.id).where(Question.key == k)) for k in keys]
        quiz = quizzes.create_quiz(
            self.course, quizzes.QuizSettings(title="Close reading", published=True, **settings)
        )
        quizzes.add_questions(quiz, ids)
        db.session.commit()
        return quiz

    def positions(self, attempt_id: int) -> dict[str, int]:
        db = self.live.db
        db.session.rollback()
        rows = db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
        return {r.question_version.spec["id"]: r.position for r in rows}


@pytest.fixture
def course(live_server) -> Course:
    return Course(live_server)


def new_page(browser: Any, width: int) -> tuple[Any, Any]:
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 740 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def start(live: Any, page: Any, quiz: Any) -> int:
    page.goto(f"{live.url}/quizzes/{quiz.id}")
    page.get_by_role("button", name=re.compile(r"^(Start|Resume)")).first.click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def show_article(page: Any, width: int) -> None:
    if width < 900:
        page.click("[data-view-button=article]")


def show_questions(page: Any, width: int) -> None:
    if width < 900:
        page.click("[data-view-button=questions]")


def no_sideways_scroll(page: Any) -> None:
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    ), page.url


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
