"""An instructor builds a quiz and grades an essay in headless Chromium (live server, CSRF on)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Attempt, GradeChange, Quiz, QuizSlot
from tests.support.attempt_data import build_world, make_attempt
from tests.support.browser import run_axe

pytestmark = pytest.mark.browser


def fresh(live) -> None:
    live.db.session.rollback()
    live.db.session.expire_all()


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_build_a_quiz_and_grade_an_essay(live_server, browser):
    live = live_server
    w = build_world(live.make)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, w.teacher)

    # Build: a new quiz from the course's quiz list.
    page.goto(f"{live.url}/teach/courses/{w.course.id}/roster")
    page.get_by_role("link", name="Quizzes").click()
    page.get_by_label("Title").fill("Week 2: two coups")
    page.get_by_role("button", name="Create quiz").click()
    page.wait_for_url(re.compile(r"/teach/quizzes/\d+/settings$"))
    quiz_id = int(page.url.split("/")[-2])

    # Settings: a bad time limit is refused with a clear message, then fixed.
    page.get_by_label("Time limit (minutes)").fill("0")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Enter minutes from 1").is_visible()
    page.get_by_label("Time limit (minutes)").fill("40")
    page.get_by_label("Attempts allowed").fill("2")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Settings saved.").is_visible()

    # Questions: filter to essays, preview one as a student sees it, add it and the single.
    page.get_by_role("link", name="Questions", exact=True).click()
    page.get_by_role("search").get_by_label("Type", exact=True).select_option("essay")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_text("1 question(s) match").is_visible()
    page.get_by_role("link", name="preview q-essay").click()
    assert page.get_by_text("Discuss q-essay.").is_visible()
    assert page.get_by_text("The author").count() == 0  # no model answer for students
    page.go_back()
    page.get_by_label("Add q-essay").check()
    page.get_by_role("button", name="Add ticked questions").click()
    assert page.get_by_text("Added 1 question(s).").is_visible()
    page.goto(f"{live.url}/teach/quizzes/{quiz_id}/questions?qtype=single")
    page.get_by_label("Add q-single").check()
    page.locator("#add-questions").get_by_label("Points per question").fill("2")
    page.get_by_role("button", name="Add ticked questions").click()
    assert page.get_by_text("Added 1 question(s).").is_visible()
    assert serious(run_axe(page)) == []
    page.get_by_role("button", name="Move up: slot 2").click()
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published: students can see the quiz.").is_visible()
    fresh(live)
    quiz = live.db.session.get(Quiz, quiz_id)
    assert quiz.published and quiz.time_limit_minutes == 40 and quiz.attempts_allowed == 2
    slots = live.db.session.scalars(
        select(QuizSlot).where(QuizSlot.quiz_id == quiz_id).order_by(QuizSlot.position)
    ).all()
    assert [(s.question_id, s.points) for s in slots] == [(w.single.id, 2.0), (w.essay.id, None)]

    # A student's submitted attempt with an essay to grade.
    attempt = make_attempt(quiz, w.student, [(w.single, "b"), (w.essay, "Corbyn won because…")])

    # Grade it from the queue, with the rubric.
    page.goto(f"{live.url}/teach/quizzes/{quiz_id}/grading")
    assert page.get_by_text("1 of 1 answer(s)").is_visible()
    page.get_by_role("link", name=re.compile("^Grade")).first.click()
    assert page.get_by_text("Corbyn won because…").is_visible()
    assert serious(run_axe(page)) == []
    page.get_by_label("Claim (0–2)").fill("2.5")
    page.get_by_label("Evidence (0–2)").fill("1")
    page.get_by_role("button", name="Save grade").click()
    assert page.get_by_text("At most 2 points.").is_visible()
    page.get_by_label("Claim (0–2)").fill("1.5")
    page.get_by_label("Comment to the student").fill("Cite paragraph 4.")
    page.get_by_role("button", name="Save grade").click()
    assert page.get_by_text("Nothing left to grade here.").is_visible()
    fresh(live)
    graded = live.db.session.get(Attempt, attempt.id)
    assert graded.score == 1.0 + 2.5 and not graded.needs_grading
    change = live.db.session.scalar(select(GradeChange))
    assert (change.kind, change.new_score, change.changed_by_id) == ("manual", 2.5, w.teacher.id)
    page.get_by_role("link", name="Audit trail").click()
    assert page.get_by_text("Graded by hand").is_visible()
    for path in (
        f"/teach/courses/{w.course.id}/quizzes",
        f"/teach/quizzes/{quiz_id}/settings",
        f"/teach/quizzes/{quiz_id}/accommodations",
        f"/teach/quizzes/{quiz_id}/grading?show=all",
        f"/teach/quizzes/{quiz_id}/regrade",
        f"/teach/quizzes/{quiz_id}/audit",
        f"/teach/attempts/{attempt.id}/grades",
    ):
        page.goto(live.url + path)
        assert serious(run_axe(page)) == [], path
    context.close()
