"""An instructor who does not write YAML turns a pasted article into a quiz in the browser, and a
student takes it (Chromium, CSRF on): every question type written in the studio, evidence ticked
in the article, a levelled rubric, the checker's and the linter's messages on the page, the
preview, then the quiz built and published, taken and graded; the bank downloads as a file that
`hustings banks check` accepts and that loads back with no new version."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.domain import question_types
from app.models import Attempt, Question, QuestionVersion
from tests.support.browser import fresh, run_axe, wait_saved
from tests.support.paths import FIXTURES

pytestmark = pytest.mark.browser

ARTICLE = (FIXTURES / "pasted_article.txt").read_text(encoding="utf-8")  # as copied from a page

SLUG = "voting-age-reform"


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def common(page: Any, prompt: str, skill: str, difficulty: str, explanation: str) -> None:
    page.fill("#f-prompt", prompt)
    page.select_option("#f-skill", skill)
    page.select_option("#f-difficulty", difficulty)
    page.fill("#f-explanation", explanation)


def new_question(page: Any, url: str, qtype: str, key: str) -> None:
    page.goto(f"{url}/teach/banks/week-7/new-question?type={qtype}")
    page.fill("#f-id", key)


def save(page: Any, key: str) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(rf"/questions/{re.escape(key)}/edit$"))
    assert page.get_by_text(f"Question “{key}” added to the bank").is_visible()


def test_an_instructor_writes_a_quiz_in_the_browser_and_a_student_takes_it(
    live_server: Any, browser: Any, tmp_path: Any
) -> None:
    live = live_server
    teacher = live.make.instructor()
    student = live.make.student()
    course = live.make.course(teacher)
    live.make.enrol(course, student)
    context = browser.new_context(
        bypass_csp=True, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    live.login(page, teacher)
    url = live.url

    # 1. Paste the article; review and save it as a source.
    page.goto(f"{url}/teach/sources/import")
    page.get_by_label("Source id").fill(SLUG)
    page.get_by_label("Title").fill("Parliament votes to lower the voting age")
    page.get_by_label("Publication").fill("The Daily Example")
    page.get_by_label("Paste the article").fill(ARTICLE)
    page.get_by_role("button", name="Clean and review").click()
    page.get_by_role("button", name="Save source").click()
    page.wait_for_url(re.compile(rf"/teach/sources/{SLUG}$"))

    # 2. A new bank about it.
    page.goto(f"{url}/teach/studio/banks/new")
    page.get_by_label("Bank id").fill("week-7")
    page.get_by_label("Title").fill("Week 7: the voting age")
    page.get_by_label("Parliament votes to lower the voting age").check()
    page.get_by_role("button", name="Create the bank").click()
    page.wait_for_url(re.compile(r"/teach/banks/week-7/new-question$"))

    # 3. Single choice, first saved with mistakes: the checker's words beside the fields.
    page.fill("#f-id", "va-margin")
    page.fill("#f-prompt", "By how many votes did the bill pass?")
    page.fill("#f-points", "0")
    page.fill("#f-options-0-text", "25")
    page.fill("#f-options-1-text", "25")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_role("alert").filter(has_text="to fix before saving").is_visible()
    assert "`points`" in page.locator("#f-points-error").inner_text()
    assert page.locator("#f-skill-error").is_visible()
    assert page.locator("#f-explanation-error").is_visible()
    assert page.locator('[data-field-error^="options"]').count() >= 1
    assert serious(run_axe(page)) == []
    fresh(live)
    assert live.db.session.scalar(select(Question).where(Question.key == "va-margin")) is None

    page.fill("#f-points", "1")
    page.select_option("#f-skill", "literal")
    page.select_option("#f-difficulty", "easy")
    page.fill("#f-options-0-text", "25 votes")
    page.fill("#f-options-1-text", "11 votes")
    page.fill("#f-options-2-text", "All of the above")
    page.check("#f-options-0-correct")
    page.fill("#f-options-1-feedback", "Eleven is the hours of debate, not the margin.")
    page.select_option("#f-options-1-misreading", "wrong-passage")
    page.fill("#f-explanation", "312 minus 287 is 25.")
    page.locator("#f-evidence").get_by_label("The bill passed by 312 votes to 287.").check()
    # the linter's doubt is shown inline; accept it with a reason
    page.get_by_role("button", name="Check and preview").click()
    lint = page.locator("#lint")
    assert lint.get_by_text("all of the above", exact=False).first.is_visible()
    code = lint.locator('input[name="lint_ignore"]').first.get_attribute("value")
    lint.locator('input[name="lint_ignore"]').first.check()
    page.fill("#f-lint_reason", "A deliberate distractor for a literal question.")
    # the preview is the attempt page's own question, and the review page's
    preview = page.locator("#preview")
    assert preview.get_by_text("As a student sees it").is_visible()
    assert preview.locator('fieldset.question input[type="radio"]').count() == 3
    assert preview.locator(".review").get_by_text("Correct answer").first.is_visible()
    save(page, "va-margin")

    # 4. The other types, one each.
    new_question(page, url, "multiple", "va-arguments")
    common(page, "Which arguments did supporters make?", "literal", "medium", "Paragraph 3.")
    page.fill("#f-options-0-text", "Sixteen-year-olds pay taxes")
    page.fill("#f-options-1-text", "Sixteen-year-olds can work")
    page.fill("#f-options-2-text", "Sixteen-year-olds are wiser")
    page.check("#f-options-0-correct")
    page.check("#f-options-1-correct")
    save(page, "va-arguments")

    new_question(page, url, "truefalse", "va-passed")
    common(page, "The bill passed.", "literal", "easy", "It passed by 312 to 287.")
    page.select_option("#f-answer", "true")
    save(page, "va-passed")

    new_question(page, url, "short", "va-commission")
    common(page, "Which body must update the register?", "literal", "easy", "Paragraph 5.")
    page.fill("#f-accepted-0-text", "the electoral commission")
    page.fill("#f-accepted-1-text", "commission")
    page.fill("#f-accepted-1-credit", "0.5")
    page.fill("#f-accepted-1-feedback", "Name it fully.")
    save(page, "va-commission")

    new_question(page, url, "matching", "va-sides")
    common(page, "Match each side with its claim.", "perspective", "medium", "Paragraphs 3-4.")
    page.fill("#f-pairs-0-left", "Supporters")
    page.fill("#f-pairs-0-right", "Brings young people into politics")
    page.fill("#f-pairs-1-left", "Opponents")
    page.fill("#f-pairs-1-right", "The reform was rushed")
    page.fill("#f-distractors-0", "The vote was illegal")
    save(page, "va-sides")

    new_question(page, url, "ordering", "va-sequence")
    common(page, "Put the events in order.", "inference", "medium", "As the article tells it.")
    page.fill("#f-items-0", "Eleven hours of debate")
    page.fill("#f-items-1", "The vote")
    page.fill("#f-items-2", "The register is updated")
    save(page, "va-sequence")

    # Evidence from the article's page: select two sentences, "New question about this passage".
    page.goto(f"{url}/teach/banks/week-7/new-question?type=evidence")
    page.fill("#f-id", "va-ev-opponents")
    with page.expect_navigation():  # the article's passages are redrawn as sentences
        page.select_option("#f-select", "sentence")
    key = page.locator("#f-key")
    key.get_by_label("Opponents warned that the reform was rushed.").check()
    key.get_by_label(re.compile("One member called it")).check()
    common(
        page,
        "Opponents doubted the reform: select the sentences that show it.",
        "evidence",
        "medium",
        "Paragraph 4 gives their objections.",
    )
    save(page, "va-ev-opponents")

    new_question(page, url, "essay", "va-essay")
    common(
        page,
        "Should the voting age be 16? Use the article.",
        "argument",
        "hard",
        "A good answer weighs both sides.",
    )
    page.fill("#f-points", "4")
    page.fill("#f-model_answer", "Supporters say… opponents say…")
    page.fill("#f-rubric-0-criterion", "Uses the article")
    page.fill("#f-rubric-0-points", "4")
    page.fill("#f-rubric-0-levels-0-points", "0")
    page.fill("#f-rubric-0-levels-0-descriptor", "No reference to the article")
    page.fill("#f-rubric-0-levels-1-points", "4")
    page.fill("#f-rubric-0-levels-1-descriptor", "Quotes both sides")
    save(page, "va-essay")

    new_question(page, url, "numeric", "va-months")
    common(
        page,
        "How many months will the register take, at least?",
        "literal",
        "easy",
        "Paragraph 5: at least nine months.",
    )
    page.fill("#f-answers-0-value", "9")
    save(page, "va-months")

    fresh(live)
    versions = live.db.session.scalars(
        select(QuestionVersion).join(Question).where(Question.key.like("va-%"))
    ).all()
    assert sorted(v.type for v in versions) == sorted(question_types.NAMES)  # one of each
    by_key = {v.spec["id"]: v.spec for v in versions}
    bill = next(r for r in by_key["va-margin"]["evidence"])
    assert by_key["va-margin"]["evidence"] == [bill] and bill.endswith(".s2")
    opponents = by_key["va-ev-opponents"]["key"]
    assert len(opponents) == 2 and {r.rsplit(".", 1)[1] for r in opponents} == {"s1", "s2"}
    assert [lv["points"] for lv in by_key["va-essay"]["rubric"][0]["levels"]] == [0, 4]

    # 5. Build and publish a quiz of the nine.
    page.goto(f"{url}/teach/courses/{course.id}/roster")
    page.get_by_role("link", name="Quizzes").click()
    page.get_by_label("Title").fill("Week 7 quiz")
    page.get_by_role("button", name="Create quiz").click()
    page.wait_for_url(re.compile(r"/teach/quizzes/\d+/settings$"))
    quiz_id = int(page.url.split("/")[-2])
    page.goto(f"{url}/teach/quizzes/{quiz_id}/questions?text=")
    for key in by_key:
        page.get_by_label(f"Add {key}").check()
    page.get_by_role("button", name="Add ticked questions").click()
    assert page.get_by_text("Added 9 question(s).").is_visible()
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published: students can see the quiz.").is_visible()

    # 6. The student takes it and sees it graded.
    student_context = browser.new_context(viewport={"width": 1280, "height": 900})
    student_context.set_default_timeout(15_000)
    spage = student_context.new_page()
    live.login(spage, student)
    spage.goto(f"{url}/courses/{course.id}")
    spage.get_by_role("button", name=re.compile(r"^Start")).first.click()
    spage.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(spage.url.rsplit("/", 1)[1])
    spage.get_by_label("25 votes").check()
    spage.get_by_label("True", exact=True).check()
    short = spage.locator('fieldset[data-type="short"] input[type="text"]')
    short.fill("The Electoral Commission")
    spage.locator('fieldset[data-type="numeric"] input:not([type="hidden"])').first.fill("9")
    wait_saved(spage)
    spage.get_by_role("button", name="Review and submit").click()
    spage.wait_for_url(re.compile(r"/submit$"))
    spage.get_by_role("button", name="Submit my answers").click()
    spage.wait_for_url(re.compile(rf"/attempts/{attempt_id}/result$"))
    result = spage.locator(".questions-pane")
    assert result.locator(".badge.state-correct").count() >= 4
    assert "4 / 12" in spage.locator(".score").text_content()
    fresh(live)
    attempt = live.db.session.get(Attempt, attempt_id)
    assert attempt.state == "submitted"
    scores = {r.question_version.spec["id"]: r.score for r in attempt.responses}
    assert scores["va-margin"] == 1 and scores["va-passed"] == 1
    assert scores["va-commission"] == 1 and scores["va-months"] == 1
    student_context.close()

    # 7. The bank as a file: `banks check` accepts it, and it loads back with no new version.
    page.goto(f"{url}/teach/banks/week-7")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as YAML").click()
    path = tmp_path / "week-7.yaml"
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "lint_ignore: [" + str(code) in text
    runner = live.app.test_cli_runner()
    checked = runner.invoke(args=["banks", "check", str(path)])
    assert checked.exit_code == 0, checked.output
    loaded = runner.invoke(args=["banks", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "0 new version(s)" in loaded.output and "0 added" in loaded.output, loaded.output
    context.close()
