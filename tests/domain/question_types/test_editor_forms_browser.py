"""Each type's editor fields in Chromium: axe-core finds no WCAG A/AA violation (every input
labelled, hints and errors tied to their fields), and the browser posts exactly what
tests/support/form_html.py reads from the HTML, on which the round-trip tests rely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.domain.banks.editing import EditorForm, entry_from_form
from tests.domain.question_types.editor_pages import (
    BANK_FILES,
    FIXTURE,
    bank_of,
    edit,
    editor_html,
    entry_of,
    question_of,
)
from tests.support.browser import run_axe
from tests.support.form_html import submitted

pytestmark = pytest.mark.browser

_HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Edit a question</title>'
    '</head><body><main><h1>Edit a question</h1><form id="editor" method="post">'
)
_TAIL = '<button type="submit">Save</button></form></main></body></html>'

_SHIPPED = [
    pytest.param(path, q.id, id=f"{path.stem}-{q.id}")
    for path in BANK_FILES[1:2]
    for q in bank_of(path).questions
    if q.type in ("evidence", "essay", "matching", "short", "truefalse")
]
CASES = [
    *(pytest.param(FIXTURE, q.id, id=q.id) for q in bank_of(FIXTURE).questions),
    *_SHIPPED,
]


def _show(page: Any, html: str) -> list[tuple[str, str]]:
    page.set_content(_HEAD + html + _TAIL)  # html: the rendered (escaped) fields
    posted = page.evaluate(
        "() => Array.from(new FormData(document.getElementById('editor')).entries())"
    )
    return [(name, value) for name, value in posted]


@pytest.mark.parametrize(("path", "question_id"), CASES)
def test_the_editor_passes_axe_and_posts_what_the_tests_read(
    app: Flask, browser: Any, path: Path, question_id: str
) -> None:
    html = editor_html(app, entry_of(question_of(path, question_id)), bank_of(path))
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        assert _show(page, html) == submitted(html)
        assert run_axe(page) == []
    finally:
        context.close()


def test_fields_with_problems_pass_axe(app: Flask, browser: Any) -> None:
    _problems, placed = edit(
        app, FIXTURE, "fx-numeric", {"answers-2-min": "1850", "answers-2-max": "1800"}
    )
    assert placed.at("answers-2-max")
    html = editor_html(app, entry_of(question_of(FIXTURE, "fx-numeric")), bank_of(FIXTURE), placed)
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        _show(page, html)
        field = page.locator("#f-answers-2-max")
        assert field.get_attribute("aria-invalid") == "true"
        assert "f-answers-2-max-error" in (field.get_attribute("aria-describedby") or "")
        assert run_axe(page) == []
    finally:
        context.close()


STUDIO_JS = Path(__file__).resolve().parents[3] / "app" / "static" / "js" / "studio.js"


def test_adding_rows_in_the_browser_names_them_for_the_form(app: Flask, browser: Any) -> None:
    """studio.js copies a row's <template>, numbering it: a criterion added to the rubric gets
    its own levels, whose rows are numbered in turn, and the form reads them all."""
    entry = entry_of(question_of(FIXTURE, "fx-essay"))
    fields = editor_html(app, entry, bank_of(FIXTURE))
    page_html = (
        _HEAD.replace('method="post"', 'method="post" data-check-url="/check"')
        + fields
        + _TAIL.replace("</main>", '<p id="preview-status"></p><div id="preview"></div></main>')
        + '<script src="/studio.js"></script>'
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            "http://studio.test/editor",
            lambda r: r.fulfill(body=page_html, content_type="text/html"),
        )
        page.route("http://studio.test/studio.js", lambda r: r.fulfill(path=str(STUDIO_JS)))
        page.route(
            "http://studio.test/check",
            lambda r: r.fulfill(json={"errors": {}, "other": [], "preview": ""}),
        )
        page.goto("http://studio.test/editor")
        page.click('[data-add-row="rubric"]')
        page.fill("#f-rubric-3-criterion", "Clarity")
        page.fill("#f-rubric-3-points", "1")
        page.click('[data-add-row="rubric-3-levels"]')
        levels = [("0", "Muddled"), ("0.5", "Mostly"), ("1", "Clear")]
        for j, (points, descriptor) in enumerate(levels):
            page.fill(f"#f-rubric-3-levels-{j}-points", points)
            page.fill(f"#f-rubric-3-levels-{j}-descriptor", descriptor)
        posted = page.evaluate(
            "() => Array.from(new FormData(document.getElementById('editor')).entries())"
        )
    finally:
        context.close()
    values: dict[str, list[str]] = {}
    for name, value in posted:
        values.setdefault(name, []).append(value)
    assert not any("__" in name for name in values)
    edited = entry_from_form(EditorForm.of(values))
    assert edited["rubric"][-1] == {
        "criterion": "Clarity",
        "points": 1,
        "levels": [
            {"points": 0, "descriptor": "Muddled"},
            {"points": 0.5, "descriptor": "Mostly"},
            {"points": 1, "descriptor": "Clear"},
        ],
    }
    assert [c["criterion"] for c in edited["rubric"]] == ["Argument", "Style", "Clarity"]
