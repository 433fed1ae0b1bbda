"""An instructor imports a saved news page and reviews it in headless Chromium (CSRF on)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Source
from tests.support.browser import run_axe
from tests.support.paths import PAGES

pytestmark = pytest.mark.browser


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def paragraph_texts(page) -> list[str]:
    return page.locator(".review-paragraph p").evaluate_all(
        "ps => ps.map(p => Array.from(p.querySelectorAll('.sentence'))"
        ".map(s => s.textContent).join(' '))"
    )


def test_review_a_saved_news_page_and_save_it(live_server, browser, tmp_path):
    live = live_server
    teacher = live.make.instructor()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, teacher)

    page.goto(f"{live.url}/teach/sources/import")
    page.get_by_label("Or upload a file").set_input_files(str(PAGES / "gallery-summit.html"))
    page.get_by_role("button", name="Clean and review").click()
    page.wait_for_url(re.compile(r"/teach/sources/import$"))

    # Metadata from the page, each editable; the article's paragraphs, the gallery left out.
    assert page.get_by_label("Title").input_value() == (
        "Leaders pledge climate finance at Nairobi summit"
    )
    assert page.get_by_label("Publication").input_value() == "Global Voice"
    assert page.get_by_label("Author").input_value() == "Amara Nwosu"
    assert page.get_by_label("Date", exact=True).input_value() == "2023-09-06"
    assert page.get_by_label("Source id").input_value() == (
        "leaders-pledge-climate-finance-at-nairobi-summit"
    )
    texts = paragraph_texts(page)
    assert len(texts) == 7
    assert texts[1].startswith("African leaders closed a climate summit")
    assert not any("Young activists staged a protest" in t for t in texts)
    assert page.get_by_text("Check this text before saving").count() == 0
    assert serious(run_axe(page)) == []

    # The gallery slides are listed after p3, where they stood; put one back, then delete it.
    gap = page.locator("details.removed", has_text="left out after p3")
    gap.locator("summary").click()
    assert gap.get_by_text("Young activists staged a protest").is_visible()
    put_back = re.compile("Put back: Young activists")
    gap.get_by_role("button", name=put_back).click()
    page.wait_for_load_state()
    texts = paragraph_texts(page)
    assert len(texts) == 8
    assert texts[3].startswith("Young activists staged a protest")
    page.get_by_role("button", name="Delete p4").click()
    page.wait_for_load_state()
    assert len(paragraph_texts(page)) == 7

    # Join p2 with p3, then split them again before the third sentence.
    page.get_by_role("button", name="Join with next: p2 with p3").click()
    page.wait_for_load_state()
    texts = paragraph_texts(page)
    assert len(texts) == 6 and texts[1].endswith("share of global climate finance.")
    page.get_by_role("button", name="Split p2 before sentence 2").click()
    page.wait_for_load_state()
    texts = paragraph_texts(page)
    assert len(texts) == 7 and texts[2].startswith("The declaration, adopted by consensus")

    # Editing the text box makes the numbered buttons wait for a new preview.
    box = page.get_by_label("Cleaned text")
    box.fill(box.input_value() + "\n\nA closing line added by hand.")
    assert page.get_by_text("You edited the text").is_visible()
    assert page.get_by_role("button", name="Delete p1").is_disabled()
    page.get_by_role("button", name="Preview again").click()
    page.wait_for_load_state()
    assert len(paragraph_texts(page)) == 8
    assert page.get_by_role("button", name="Delete p8").is_enabled()
    page.get_by_role("button", name="Delete p8").click()
    page.wait_for_load_state()
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)

    page.get_by_role("button", name="Save source").click()
    page.wait_for_url(re.compile(r"/teach/sources/leaders-pledge"))
    assert page.get_by_text("saved with 7 paragraphs").is_visible()
    live.db.session.rollback()
    live.db.session.expire_all()
    source = live.db.session.scalar(select(Source))
    assert source.author == "Amara Nwosu" and source.publication == "Global Voice"
    assert [p.text[:30] for p in source.paragraphs][:2] == [
        "African heads of state ended a",
        "African leaders closed a clima",
    ]
    context.close()


def test_a_page_too_large_is_refused_with_its_size(live_server, browser, tmp_path):
    live = live_server
    teacher = live.make.instructor()
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, teacher)
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"word " * (1_300_000) + b"</p>")
    page.goto(f"{live.url}/teach/sources/import")
    page.get_by_label("Or upload a file").set_input_files(str(big))
    page.get_by_role("button", name="Clean and review").click()
    page.wait_for_load_state()
    assert page.get_by_text("The upload is 6.2 MB; pages of at most 5 MB are read").is_visible()
    live.db.session.rollback()
    assert live.db.session.scalar(select(Source)) is None
    context.close()


def test_pasted_page_source_is_extracted_like_a_file(live_server, browser):
    live = live_server
    teacher = live.make.instructor()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, teacher)
    page.goto(f"{live.url}/teach/sources/import")
    page.get_by_role("button", name="Clean and review").click()  # nothing given
    assert page.get_by_text("Paste the article, or choose a file to upload.").is_visible()
    assert serious(run_axe(page)) == []
    html = (PAGES / "cable-div-br.html").read_text(encoding="utf-8")
    page.get_by_label("Paste the article").fill(html)
    page.get_by_role("button", name="Clean and review").click()
    page.wait_for_load_state()
    texts = paragraph_texts(page)
    assert len(texts) == 10
    assert texts[0].startswith("Lucia Ferrante never meant to become a symbol.")
    assert texts[-1].startswith("For now, the mayor says, the town will keep")
    assert page.get_by_label("Author").input_value() == "Dana Whitfield"
    assert page.get_by_label("Date", exact=True).input_value() == "2023-11-20"
    context.close()
