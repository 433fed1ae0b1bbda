"""Files stay first-class on the bank page: "Download as YAML" (instructors only), its upload
back changing nothing, and the confirm page's checkbox that a stale file needs (with CSRF)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from app import create_app
from app.models import Bank, Question
from tests.support.factories import single_choice_spec
from tests.support.library import copy_fixture_bank, edit_file, library_state, snapshot
from tests.support.web import SessionSyncClient, post_multipart, upload


@pytest.fixture
def fixture_bank(tmp_path: Path) -> Path:
    return copy_fixture_bank(tmp_path / "fixture")


def test_bank_page_offers_download_as_yaml_and_it_uploads_back_unchanged(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    page = teacher_client.get("/teach/banks/two-coups-reading").get_data(as_text=True)
    assert 'href="/teach/banks/two-coups-reading/export.yaml"' in page
    assert "Download as YAML" in page
    response = teacher_client.get("/teach/banks/two-coups-reading/export.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="two-coups-reading.yaml"'
    )
    text = response.get_data(as_text=True)
    assert len(yaml.safe_load(text)["questions"]) == 50
    before = library_state(db)
    checked = post_multipart(
        teacher_client, "/teach/banks/upload", {"file": upload(text, "two-coups-reading.yaml")}
    )
    body = html.unescape(checked.get_data(as_text=True))
    assert checked.status_code == 200, body[:3000]
    assert "Nothing: the library already holds this bank exactly (50 questions unchanged)" in body
    assert 'id="errors-heading"' not in body and "changed in the library since" not in body
    assert library_state(db) == before


def test_another_instructor_may_download_students_and_visitors_may_not(
    make: Any, login_as: Any, web_app: Any, db: Any, real_banks: Any
) -> None:
    url = "/teach/banks/kamikaze-reading/export.yaml"
    other = login_as(make.instructor(), c=web_app.test_client())  # in no course at all
    assert other.get(url).status_code == 200  # the library is shared by every instructor
    student = login_as(make.student(), c=web_app.test_client())
    assert student.get(url).status_code == 404
    anonymous = web_app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def _token(response: Any) -> str:
    match = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, response.get_data(as_text=True)[:3000]
    return match.group(1)


def _stale_download(client: Any, runner: Any, fixture_bank: Path) -> str:
    """A downloaded fixture bank whose fx-single the library changed since (version 2)."""
    original = fixture_bank
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    text = client.get("/teach/banks/fixture-bank/export.yaml").get_data(as_text=True)
    edit_file(original, "Which paragraph is <em>last</em>?", "Which paragraph comes last?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    return text.replace("Which paragraphs have more than one sentence?", "Which have two?")


def test_upload_of_a_stale_file_needs_the_box_ticked(
    teacher_client: Any, runner: Any, db: Any, fixture_bank: Path
) -> None:
    text = _stale_download(teacher_client, runner, fixture_bank)
    checked = post_multipart(
        teacher_client, "/teach/banks/upload", {"file": upload(text, "fixture-bank.yaml")}
    )
    body = html.unescape(checked.get_data(as_text=True))
    assert checked.status_code == 200, body[:3000]
    assert "1 question changed in the library since this file was written" in body
    line = text.splitlines().index("  - id: fx-single") + 1
    assert (
        f"fixture-bank.yaml:{line}: fx-single: the library has version 2 of this question, "
        "this file was written from version 1: download the bank again, or tick “Replace the "
        "library's newer versions” to replace it"
    ) in body
    assert 'name="force" type="checkbox"' in body
    before = snapshot(db)
    refused = teacher_client.post("/teach/banks/confirm", data={"token": _token(checked)})
    assert refused.status_code == 409
    assert "Nothing was loaded." in refused.get_data(as_text=True)
    assert snapshot(db) == before
    forced = teacher_client.post(
        "/teach/banks/confirm", data={"token": _token(refused), "force": "y"}
    )
    assert forced.status_code == 302
    shown = html.unescape(teacher_client.get(forced.headers["Location"]).get_data(as_text=True))
    assert "2 question(s) of the file now have a newer library version" in shown
    db.session.expire_all()
    versions = dict(db.session.execute(select(Question.key, Question.latest_version)).all())
    assert versions["fx-single"] == 3 and versions["fx-multiple"] == 2


def test_the_forced_confirm_needs_a_csrf_token(
    app_config: dict, make: Any, runner: Any, db: Any, fixture_bank: Path, login_as: Any
) -> None:
    web = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    web.test_client_class = SessionSyncClient
    c = web.test_client()
    teacher = make.instructor()
    login_page = c.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    c.post(
        "/login",
        data={"email": teacher.email, "password": "correct horse battery", "csrf_token": csrf},
    )
    text = _stale_download(c, runner, fixture_bank)
    page = c.get("/teach/banks/upload").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    checked = c.post("/teach/banks/upload", data={"file": upload(text), "csrf_token": csrf})
    assert checked.status_code == 200
    before = snapshot(db)
    no_csrf = c.post("/teach/banks/confirm", data={"token": _token(checked), "force": "y"})
    assert no_csrf.status_code == 400
    assert snapshot(db) == before
    ok = c.post(
        "/teach/banks/confirm", data={"token": _token(checked), "force": "y", "csrf_token": csrf}
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.max(Question.latest_version))) == 3


def test_a_bank_that_cannot_come_back_unchanged_is_never_handed_out(
    make: Any, runner: Any, teacher_client: Any, db: Any
) -> None:
    """A question citing an article the library lacks could not be loaded back: the download
    says so instead of giving a file that fails (or makes new versions) on its next load."""
    bank = Bank(slug="orphan", title="Orphan")
    db.session.add(bank)
    db.session.flush()
    make.question(single_choice_spec("orphan-q"), bank)  # cites `src`, not in the library
    db.session.commit()
    cli = runner.invoke(args=["banks", "export-yaml", "orphan"])
    assert cli.exit_code == 1
    assert "bank `orphan` cannot be written as a valid file" in cli.output
    assert "source `src` is not in the library" in cli.output
    web = teacher_client.get("/teach/banks/orphan/export.yaml")
    assert web.status_code == 302 and web.headers["Location"].endswith("/teach/banks/orphan")
    page = html.unescape(teacher_client.get("/teach/banks/orphan").get_data(as_text=True))
    assert "could not be written as a file that loads back unchanged" in page
