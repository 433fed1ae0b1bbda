"""Files stay first-class: "Download as YAML" (CLI and bank page) gives a file that checks clean
and reloads with no new version; a file written from an older version than the library's is
refused, naming the questions, unless forced (CLI `--force`, a checkbox on the confirm page)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from app import create_app
from app.models import Bank, Question, QuestionExclusion, QuestionVersion
from tests.support.factories import single_choice_spec
from tests.support.library import snapshot
from tests.support.paths import BANKS, FIXTURES
from tests.support.web import SessionSyncClient, post_multipart, upload

SHIPPED_IDS = ("two-coups-reading", "kamikaze-reading", "two-coups-kamikaze-comparison")


def _library_state(db: Any) -> dict[str, Any]:
    """What a reload must leave alone: every version, exclusion and lint ignore."""
    db.session.expire_all()
    return {
        "versions": sorted(
            db.session.execute(
                select(Question.key, QuestionVersion.version, QuestionVersion.content_hash).join(
                    QuestionVersion, QuestionVersion.question_id == Question.id
                )
            ).all()
        ),
        "exclusions": sorted(
            db.session.execute(
                select(
                    QuestionExclusion.first_key,
                    QuestionExclusion.second_key,
                    QuestionExclusion.declared_by,
                    QuestionExclusion.reason,
                )
            ).all()
        ),
        "lint": sorted(
            db.session.execute(
                select(Question.key, Question.lint_ignore, Question.lint_reason)
            ).all(),
            key=str,
        ),
        "bank_lint": sorted(
            db.session.execute(select(Bank.slug, Bank.lint_ignore, Bank.lint_reason)).all(),
            key=str,
        ),
        "retired": sorted(
            db.session.scalars(select(Question.key).where(Question.retired_at.is_not(None)))
        ),
    }


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    """A copy of the every-type bank with its source, to edit freely."""
    target = tmp_path / "fixture"
    target.mkdir()
    shutil.copy(FIXTURES / "all_types.yaml", target / "all_types.yaml")
    shutil.copytree(FIXTURES / "sources", target / "sources")
    return target


# --------------------------------------------------------------------------- the CLI


@pytest.mark.both_dbs
def test_export_yaml_round_trip_of_every_shipped_bank_and_every_type(
    backend: str, runner: Any, db: Any, tmp_path: Path
) -> None:
    loaded = runner.invoke(args=["banks", "load", str(BANKS), str(FIXTURES / "all_types.yaml")])
    assert loaded.exit_code == 0, loaded.output
    before = _library_state(db)
    out = tmp_path / "out"
    out.mkdir()
    written = 0
    for bank_id in (*SHIPPED_IDS, "fixture-bank"):
        result = runner.invoke(
            args=["banks", "export-yaml", bank_id, "-o", str(out / f"{bank_id}.yaml")]
        )
        assert result.exit_code == 0, result.output
        count = int(re.search(r"Wrote (\d+) question\(s\)", result.output).group(1))
        written += count
    assert written == 126 + 9
    # checked unchanged: no errors, and the very warnings of the originals (those the shipped
    # banks accept with `lint_ignore` stay ignored)
    checked = runner.invoke(args=["banks", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    first = runner.invoke(args=["banks", "check", str(BANKS), str(FIXTURES / "all_types.yaml")])
    warnings = re.search(r"(\d+) warning\(s\)", first.output).group(1)
    assert f"4 bank(s), 135 question(s): 0 error(s), {warnings} warning(s)." in checked.output

    def codes(output: str) -> list[str]:
        return sorted(re.findall(r": (\S+): warning: .*\[(L\d+)\]", output))

    assert codes(checked.output) == codes(first.output)
    # and loaded back: nothing new
    reloaded = runner.invoke(args=["banks", "load", str(out)])
    assert reloaded.exit_code == 0, reloaded.output
    assert "0 added, 0 new version(s), 135 unchanged, 0 retired" in reloaded.output
    assert _library_state(db) == before
    # every question says the version it was written from
    data = yaml.safe_load((out / "fixture-bank.yaml").read_text(encoding="utf-8"))
    assert {q["version"] for q in data["questions"]} == {1}
    assert data["sources"] == [{"id": "short"}]


def test_export_yaml_prints_the_file_and_refuses_an_unknown_bank(
    runner: Any, db: Any, real_banks: Any
) -> None:
    result = runner.invoke(args=["banks", "export-yaml", "kamikaze-reading"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Bank `kamikaze-reading`")
    assert "  - id: kamikaze\n" in result.output  # the source, cited by id
    missing = runner.invoke(args=["banks", "export-yaml", "nope"])
    assert missing.exit_code == 1
    assert "no loaded bank has the id 'nope'" in missing.output


def test_export_leaves_out_retired_questions(runner: Any, db: Any, fixture_dir: Path) -> None:
    bank_file = fixture_dir / "all_types.yaml"
    assert runner.invoke(args=["banks", "load", str(bank_file)]).exit_code == 0
    text = bank_file.read_text(encoding="utf-8")
    start = text.index("  - id: fx-ordering")
    end = text.index("  - id: fx-evidence")
    bank_file.write_text(text[:start] + text[end:], encoding="utf-8")
    assert runner.invoke(args=["banks", "load", str(bank_file)]).exit_code == 0
    result = runner.invoke(args=["banks", "export-yaml", "fixture-bank"])
    assert "fx-ordering" not in result.output and "fx-evidence" in result.output
    assert "Wrote 8 question(s)" in result.output


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, question_id: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines.index(f"  - id: {question_id}") + 1


def test_a_file_written_from_an_older_version_is_refused_unless_forced(
    runner: Any, db: Any, fixture_dir: Path, tmp_path: Path
) -> None:
    original = fixture_dir / "all_types.yaml"
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    downloaded = tmp_path / "downloaded.yaml"
    assert (
        runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    ).exit_code == 0
    # meanwhile someone changes fx-single in the library (version 2) ...
    _edit(original, "Which paragraph is <em>last</em>?", "Which paragraph comes last?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    # ... and the downloaded copy is edited elsewhere
    _edit(downloaded, "Which paragraphs have more than one sentence?", "Which have two?")
    before = snapshot(db)
    refused = runner.invoke(args=["banks", "load", str(downloaded)])
    assert refused.exit_code == 1
    line = _line_of(downloaded, "fx-single")
    assert (
        f"{downloaded}:{line}: fx-single: the library has version 2 of this question, this file "
        "was written from version 1: download the bank again, or load with --force to replace it"
    ) in refused.output
    assert "fx-multiple: the library" not in refused.output  # its edit is not a conflict
    assert "Nothing was loaded" in refused.output
    assert snapshot(db) == before  # nothing half-applied: not even fx-multiple's edit

    forced = runner.invoke(args=["banks", "load", "--force", str(downloaded)])
    assert forced.exit_code == 0, forced.output
    assert "fx-single: replacing the library's newer version (--force)" in forced.output
    assert "0 added, 2 new version(s)" in forced.output
    db.session.expire_all()
    single = db.session.scalar(select(Question).where(Question.key == "fx-single"))
    assert single.latest_version == 3
    assert single.versions[-1].content_hash == single.versions[0].content_hash


def test_same_content_or_a_current_version_is_never_refused(
    runner: Any, db: Any, fixture_dir: Path, tmp_path: Path
) -> None:
    original = fixture_dir / "all_types.yaml"
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    downloaded = tmp_path / "downloaded.yaml"
    runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    # the library's fx-single goes to version 2 and back to version 1's text (version 3)
    _edit(original, "Which paragraph is <em>last</em>?", "Which one?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    _edit(original, "Which one?", "Which paragraph is <em>last</em>?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    # a file from version 1 that says what version 3 says clobbers nothing
    same = runner.invoke(args=["banks", "load", str(downloaded)])
    assert same.exit_code == 0, same.output
    assert "0 new version(s)" in same.output
    # a fresh download says version 3, and its edits load as usual
    runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    assert "version: 3" in downloaded.read_text(encoding="utf-8")
    _edit(downloaded, "Which paragraph is <em>last</em>?", "Which paragraph is the final one?")
    edited = runner.invoke(args=["banks", "load", str(downloaded)])
    assert edited.exit_code == 0, edited.output
    assert "1 new version(s)" in edited.output
    # a hand-written file without `version:` is loaded as before
    hand = runner.invoke(args=["banks", "load", str(original)])
    assert hand.exit_code == 0 and "1 new version(s)" in hand.output


# --------------------------------------------------------------------------- the bank page


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
    before = _library_state(db)
    checked = post_multipart(
        teacher_client, "/teach/banks/upload", {"file": upload(text, "two-coups-reading.yaml")}
    )
    body = html.unescape(checked.get_data(as_text=True))
    assert checked.status_code == 200, body[:3000]
    assert "Nothing: the library already holds this bank exactly (50 questions unchanged)" in body
    assert 'id="errors-heading"' not in body and "changed in the library since" not in body
    assert _library_state(db) == before


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


def _stale_download(client: Any, runner: Any, fixture_dir: Path) -> str:
    """A downloaded fixture bank whose fx-single the library changed since (version 2)."""
    original = fixture_dir / "all_types.yaml"
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    text = client.get("/teach/banks/fixture-bank/export.yaml").get_data(as_text=True)
    _edit(original, "Which paragraph is <em>last</em>?", "Which paragraph comes last?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    return text.replace("Which paragraphs have more than one sentence?", "Which have two?")


def test_upload_of_a_stale_file_needs_the_box_ticked(
    teacher_client: Any, runner: Any, db: Any, fixture_dir: Path
) -> None:
    text = _stale_download(teacher_client, runner, fixture_dir)
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
    db.session.expire_all()
    versions = dict(db.session.execute(select(Question.key, Question.latest_version)).all())
    assert versions["fx-single"] == 3 and versions["fx-multiple"] == 2


def test_the_forced_confirm_needs_a_csrf_token(
    app_config: dict, make: Any, runner: Any, db: Any, fixture_dir: Path, login_as: Any
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
    text = _stale_download(c, runner, fixture_dir)
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


def test_check_names_a_source_cited_by_id_that_the_library_lacks(
    runner: Any, db: Any, tmp_path: Path
) -> None:
    text = (FIXTURES / "all_types.yaml").read_text(encoding="utf-8")
    path = tmp_path / "by-id.yaml"
    path.write_text(text.replace("    file: sources/short-article.md\n", ""), encoding="utf-8")
    result = runner.invoke(args=["banks", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:7: source `short` is not in the library; import it first" in result.output
