"""The student's pages in Chromium at desktop and phone widths, on the shipped banks: a course
built through the services, and the steps every such test takes (axe-core on each page)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.models import Question, Response
from app.services import quizzes
from app.services.demo import load_banks
from tests.support.browser import run_axe
from tests.support.paths import BANKS

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


def new_page(browser: Any, width: int, timezone: str | None = None) -> tuple[Any, Any]:
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 740 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=True,
        locale="en-GB",
        timezone_id=timezone,
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
