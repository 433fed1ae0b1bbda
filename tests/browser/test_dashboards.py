"""The results page in a real browser: the distribution chart is a picture with the right
bars and labels, the table alternative sits beside it, sorting works by plain links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.class_data import add_attempt, make_quiz, spec

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("HUSTINGS_SCREENSHOTS", "/tmp/hustings-screenshots"))


@pytest.fixture
def results(live_server):
    make, db = live_server.make, live_server.db
    instructor = make.instructor()
    course = make.course(instructor, title="Reading Political Commentary")
    quiz, _versions, _ = make_quiz(
        make,
        course,
        [spec(f"b{i}", skill=("literal", "inference", "rhetoric")[i % 3]) for i in range(5)],
        title="Tale of two coups",
    )
    # Scores 0..5 out of 5: bands 0–10 (1), 20–30 (1), 40–50 (1), 60–70 (1), 80–90 (1), 90–100 (2)
    for i, right in enumerate([0, 1, 2, 3, 4, 5, 5]):
        student = make.student(name=f"Zoë {i} O’Brien")
        make.enrol(course, student)
        answers = [("b", 1.0) if j < right else ("a", 0.0) for j in range(5)]
        add_attempt(db, quiz, student, answers, minutes=10 + i)
    return live_server, instructor, course, quiz


def test_results_chart_has_the_right_bars_and_labels(results, page) -> None:
    server, instructor, _course, quiz = results
    server.login(page, instructor)
    page.goto(f"{server.url}/teach/quizzes/{quiz.id}/results")
    chart = page.locator("svg#distribution")
    chart.wait_for()
    assert chart.get_attribute("role") == "img"
    assert page.locator("svg#distribution > title").text_content().startswith("Score distribution")
    bars = chart.locator("rect.bar")
    assert bars.count() == 10
    labels = chart.locator("text.bar-label").all_text_contents()
    assert labels == [f"{10 * i}–{10 * (i + 1)}%" for i in range(10)]
    values = chart.locator("text.bar-value").all_text_contents()
    assert values == ["1", "0", "1", "0", "1", "0", "1", "0", "1", "2"]
    heights = [float(h) for h in bars.evaluate_all("els => els.map(e => e.getBBox().height)")]
    assert heights[9] == max(heights) and heights[1] == 0
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 120  # really drawn, not collapsed
    # The text alternative is beside the chart, with the same numbers.
    cells = page.locator("#distribution-table tbody td").all_text_contents()
    assert cells == values
    SHOTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(SHOTS / "distribution-chart.png"))
    page.screenshot(path=str(SHOTS / "results-page.png"), full_page=True)
    # Sorting by score, descending, by following the header links (no JavaScript needed).
    page.click("#results thead a:has-text('Score')")
    page.click("#results thead a:has-text('Score')")
    first = page.locator("#results tbody tr").first.locator("th a").text_content()
    assert first in ("Zoë 5 O’Brien", "Zoë 6 O’Brien")
    assert page.locator("#results thead th[aria-sort='descending']").count() == 1


def test_skills_chart_in_the_browser(results, page) -> None:
    server, instructor, course, _quiz = results
    server.login(page, instructor)
    page.goto(f"{server.url}/teach/courses/{course.id}/skills")
    chart = page.locator("svg#mastery")
    chart.wait_for()
    labels = chart.locator("text.bar-label").all_text_contents()
    assert labels == ["inference", "literal comprehension", "rhetoric and tone"]
    assert chart.locator("rect.bar").count() == 3
    assert any("weakest" in v for v in chart.locator("text.bar-value").all_text_contents())
    SHOTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(SHOTS / "mastery-chart.png"))


def test_item_analysis_page_in_the_browser(results, page) -> None:
    server, instructor, _course, quiz = results
    server.login(page, instructor)
    page.goto(f"{server.url}/teach/quizzes/{quiz.id}/items?attempts=all")
    assert page.locator("#item-table tbody tr").count() == 5
    page.select_option("#attempts", "first")
    page.click("form.dash-filter button[type=submit]")
    page.wait_for_url("**attempts=first**")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "items-page.png"), full_page=True)
