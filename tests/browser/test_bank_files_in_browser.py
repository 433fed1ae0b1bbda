"""An instructor downloads a bank as YAML, uploads it back (nothing changes), then uploads a copy
edited after the library changed: refused until the box is ticked (headless Chromium, CSRF on)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.database import writing
from app.domain.banks.schema import load_bank_paths
from app.models import Question
from app.services.bank_sync import sync_banks
from tests.support.browser import run_axe
from tests.support.library import copy_fixture_bank, edit_file

pytestmark = pytest.mark.browser


def _load(live, path: Path) -> None:
    """As `hustings banks load` does: one write transaction."""
    banks, problems = load_bank_paths([path])
    assert not [p for p in problems if p.severity == "error"], problems
    with writing():
        sync_banks(banks)
        live.db.session.commit()


def _upload(page, url: str, path: Path) -> None:
    page.goto(f"{url}/teach/banks/upload")
    page.get_by_label("Bank file (YAML)").set_input_files(str(path))
    page.locator("form[enctype] [type=submit]").click()
    page.wait_for_load_state()


def test_download_upload_back_and_a_stale_copy(live_server, browser, tmp_path):
    live = live_server
    original = copy_fixture_bank(tmp_path / "fixture")
    _load(live, original)
    teacher = live.make.instructor()
    context = browser.new_context(
        bypass_csp=True, accept_downloads=True, viewport={"width": 375, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    live.login(page, teacher)

    page.goto(f"{live.url}/teach/banks/fixture-bank")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as YAML").click()
    assert download.value.suggested_filename == "fixture-bank.yaml"
    downloaded = tmp_path / "fixture-bank.yaml"
    download.value.save_as(downloaded)
    assert "    version: 1\n" in downloaded.read_text(encoding="utf-8")

    _upload(page, live.url, downloaded)
    assert page.get_by_text(
        "Nothing: the library already holds this bank exactly (9 questions unchanged)."
    ).is_visible()

    # someone changes fx-single in the library; the downloaded copy is edited meanwhile
    edit_file(original, "Which paragraph is <em>last</em>?", "Which paragraph comes last?")
    _load(live, original)
    edit_file(downloaded, "Which paragraphs have more than one sentence?", "Which have two?")
    _upload(page, live.url, downloaded)
    stale = page.locator("section[aria-labelledby=stale-heading]")
    assert re.search(
        r"fixture-bank\.yaml:\d+: fx-single: the library has version 2 of this question, this "
        r"file was written from version 1",
        stale.inner_text(),
    )
    assert [v for v in run_axe(page) if v["impact"] in ("serious", "critical")] == []
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 375, wide

    page.get_by_role("button", name="Confirm and load").click()
    assert page.get_by_role("alert").filter(has_text="Nothing was loaded.").is_visible()
    live.db.session.rollback()  # a fresh read: the server wrote in its own thread
    versions = dict(live.db.session.execute(select(Question.key, Question.latest_version)).all())
    assert versions["fx-single"] == 2 and versions["fx-multiple"] == 1

    page.get_by_label("Replace the library's newer versions with this file's").check()
    page.get_by_role("button", name="Confirm and load").click()
    page.wait_for_url(re.compile(r"/teach/banks/fixture-bank$"))
    assert page.get_by_text("Bank “fixture-bank” loaded").first.is_visible()
    live.db.session.rollback()  # a fresh read: the server wrote in its own thread
    versions = dict(live.db.session.execute(select(Question.key, Question.latest_version)).all())
    assert versions["fx-single"] == 3 and versions["fx-multiple"] == 2
    context.close()
