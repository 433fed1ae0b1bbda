"""The second edition's features in headless Chromium: grading with a levelled rubric (click a
level, adjust, comment), the student's review of the levels awarded, the background note beside
the article, and the misreadings page, each checked with axe."""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import UTC, datetime

import pytest

from app.domain.banks.background import Note
from app.models import Attempt, Response
from app.services import attempt_store, attempts
from app.services.bank_sync import SyncReport, sync_notes
from tests.support.attempt_data import add_version, build_world, essay_spec, make_attempt
from tests.support.browser import run_axe
from tests.support.factories import single_choice_spec

pytestmark = pytest.mark.browser

LEVELS = [
    {"points": 0.0, "descriptor": "No claim stated."},
    {"points": 1.0, "descriptor": "A claim, vaguely stated."},
    {"points": 2.0, "descriptor": "The claim, precisely stated."},
]


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_grade_with_levels_then_the_student_sees_them(live_server, browser):
    live = live_server
    w = build_world(live.make)
    spec = deepcopy(essay_spec("q-essay"))
    spec["rubric"][0]["levels"] = deepcopy(LEVELS)
    add_version(w.essay, spec)
    labelled = deepcopy(single_choice_spec("q-single", points=1.0))
    for option in labelled["options"]:
        if not option["correct"]:
            option["misreading"] = "too-literal"
    add_version(w.single, labelled)
    live.db.session.commit()
    wrong = next(o["id"] for o in labelled["options"] if not o["correct"])
    attempt = make_attempt(w.quiz, w.student, [(w.single, wrong), (w.essay, "Corbyn won.")])

    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, w.teacher)
    page.goto(f"{live.url}/teach/quizzes/{w.quiz.id}/grading")
    page.get_by_role("link", name=re.compile("^Grade")).first.click()
    assert page.get_by_text("The claim, precisely stated.").is_visible()
    assert serious(run_axe(page)) == []
    # Saving without a level says what to do.
    page.get_by_label("Evidence (0–2)").fill("1")
    page.get_by_role("button", name="Save grade").click()
    assert page.get_by_text("Click a level (or enter points below it).").is_visible()
    # Click a level by its descriptor, adjust its points, and explain in the comment.
    page.get_by_text("A claim, vaguely stated.").click()
    assert page.get_by_role("radio", name=re.compile("^1")).is_checked()
    page.get_by_label("Adjust the points for “Claim” (optional)").fill("1.5")
    page.get_by_label("Evidence (0–2)").fill("1")
    page.get_by_label("Comment to the student").fill("Nearly precise: see paragraph 4.")
    page.get_by_role("button", name="Save grade").click()
    assert page.get_by_text("Nothing left to grade here.").is_visible()
    live.db.session.rollback()
    live.db.session.expire_all()
    response = live.db.session.scalars(
        live.db.select(Response).where(Response.attempt_id == attempt.id, Response.position == 2)
    ).one()
    assert response.rubric_levels == {"Claim": 1.0}
    assert response.rubric_scores == {"Claim": 1.5, "Evidence": 1.0}
    assert live.db.session.get(Attempt, attempt.id).score == 2.5

    # The misreadings page and the essay's level distribution.
    page.goto(f"{live.url}/teach/quizzes/{w.quiz.id}/misreadings")
    assert page.get_by_text(
        "100 % of wrong answers read a figure of speech literally."
    ).is_visible()
    assert page.get_by_role("heading", name="Essays: answers per rubric level").is_visible()
    assert serious(run_axe(page)) == []
    context.close()

    # The student's review shows the level awarded, and that the points were adjusted.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, w.student)
    page.goto(f"{live.url}/attempts/{attempt.id}/result")
    table = page.get_by_role("table", name="How your answer was marked")
    assert table.get_by_text("A claim, vaguely stated.").is_visible()
    assert table.get_by_text("adjusted from the level's 1").is_visible()
    assert serious(run_axe(page)) == []
    context.close()


def test_the_background_note_opens_beside_the_article(live_server, browser):
    live = live_server
    w = build_world(live.make)
    sync_notes(
        [Note("src", "Background", "What a reader needs.\n\n- A fact. Source: a paper.", "n")],
        SyncReport(),
    )
    live.db.session.commit()
    attempt_store.clear_caches()
    attempt = attempts.start_or_resume(w.quiz, w.student, datetime.now(UTC))
    live.db.session.commit()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, w.student)
    page.goto(f"{live.url}/attempts/{attempt.id}")
    summary = page.get_by_text("Background note (not part of the article)")
    assert summary.is_visible()
    assert not page.get_by_text("What a reader needs.").is_visible()  # folded until asked for
    summary.focus()
    page.keyboard.press("Enter")  # the keyboard alone opens it
    assert page.get_by_text("What a reader needs.").is_visible()
    note = page.get_by_role("complementary", name="Background note, not part of the article")
    assert note.get_by_text("A fact. Source: a paper.").is_visible()
    assert serious(run_axe(page)) == []
    context.close()
