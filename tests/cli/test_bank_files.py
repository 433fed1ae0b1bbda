"""`hustings banks export-yaml` and `banks load --force`: a downloaded bank checks clean and
reloads with no new version; a file written from an older version than the library's is refused,
naming the questions, unless forced."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from app.models import Question
from tests.support.library import (
    copy_fixture_bank,
    edit_file,
    library_state,
    load_real_banks,
    snapshot,
)
from tests.support.paths import BANKS, FIXTURES

SHIPPED_IDS = ("two-coups-reading", "kamikaze-reading", "two-coups-kamikaze-comparison")


@pytest.fixture
def fixture_bank(tmp_path: Path) -> Path:
    return copy_fixture_bank(tmp_path / "fixture")


@pytest.mark.both_dbs
def test_export_yaml_round_trip_of_every_shipped_bank_and_every_type(
    backend: str, runner: Any, db: Any, tmp_path: Path
) -> None:
    loaded = runner.invoke(args=["banks", "load", str(BANKS), str(FIXTURES / "all_types.yaml")])
    assert loaded.exit_code == 0, loaded.output
    before = library_state(db)
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
    assert library_state(db) == before
    # every question says the version it was written from
    data = yaml.safe_load((out / "fixture-bank.yaml").read_text(encoding="utf-8"))
    assert {q["version"] for q in data["questions"]} == {1}
    assert data["sources"] == [{"id": "short"}]


def test_export_yaml_prints_the_file_and_refuses_an_unknown_bank(runner: Any, db: Any) -> None:
    load_real_banks(db)
    result = runner.invoke(args=["banks", "export-yaml", "kamikaze-reading"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Bank `kamikaze-reading`")
    assert "  - id: kamikaze\n" in result.output  # the source, cited by id
    missing = runner.invoke(args=["banks", "export-yaml", "nope"])
    assert missing.exit_code == 1
    assert "no loaded bank has the id 'nope'" in missing.output


def test_export_leaves_out_retired_questions(runner: Any, db: Any, fixture_bank: Path) -> None:
    bank_file = fixture_bank
    assert runner.invoke(args=["banks", "load", str(bank_file)]).exit_code == 0
    text = bank_file.read_text(encoding="utf-8")
    start = text.index("  - id: fx-ordering")
    end = text.index("  - id: fx-evidence")
    bank_file.write_text(text[:start] + text[end:], encoding="utf-8")
    assert runner.invoke(args=["banks", "load", str(bank_file)]).exit_code == 0
    result = runner.invoke(args=["banks", "export-yaml", "fixture-bank"])
    assert "fx-ordering" not in result.output and "fx-evidence" in result.output
    assert "Wrote 8 question(s)" in result.output


def _line_of(path: Path, question_id: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines.index(f"  - id: {question_id}") + 1


def test_a_file_written_from_an_older_version_is_refused_unless_forced(
    runner: Any, db: Any, fixture_bank: Path, tmp_path: Path
) -> None:
    original = fixture_bank
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    downloaded = tmp_path / "downloaded.yaml"
    assert (
        runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    ).exit_code == 0
    # meanwhile someone changes fx-single in the library (version 2) ...
    edit_file(original, "Which paragraph is <em>last</em>?", "Which paragraph comes last?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    # ... and the downloaded copy is edited elsewhere
    edit_file(downloaded, "Which paragraphs have more than one sentence?", "Which have two?")
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
    runner: Any, db: Any, fixture_bank: Path, tmp_path: Path
) -> None:
    original = fixture_bank
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    downloaded = tmp_path / "downloaded.yaml"
    runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    # the library's fx-single goes to version 2 and back to version 1's text (version 3)
    edit_file(original, "Which paragraph is <em>last</em>?", "Which one?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    edit_file(original, "Which one?", "Which paragraph is <em>last</em>?")
    assert runner.invoke(args=["banks", "load", str(original)]).exit_code == 0
    # a file from version 1 that says what version 3 says clobbers nothing
    same = runner.invoke(args=["banks", "load", str(downloaded)])
    assert same.exit_code == 0, same.output
    assert "0 new version(s)" in same.output
    # a fresh download says version 3, and its edits load as usual
    runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    assert "version: 3" in downloaded.read_text(encoding="utf-8")
    edit_file(downloaded, "Which paragraph is <em>last</em>?", "Which paragraph is the final one?")
    edited = runner.invoke(args=["banks", "load", str(downloaded)])
    assert edited.exit_code == 0, edited.output
    assert "1 new version(s)" in edited.output
    assert (
        "1 question(s) of the file now have a newer library version than its `version:` says: "
        "download the bank again before editing it further."
    ) in edited.output
    # which is so: the same file edited again is now behind the library
    edit_file(downloaded, "Which paragraph is the final one?", "Which paragraph ends it?")
    again = runner.invoke(args=["banks", "load", str(downloaded)])
    assert again.exit_code == 1
    assert "fx-single: the library has version 4 of this question" in again.output
    # a hand-written file without `version:` is loaded as before
    hand = runner.invoke(args=["banks", "load", str(original)])
    assert hand.exit_code == 0 and "1 new version(s)" in hand.output


def test_check_names_a_source_cited_by_id_that_the_library_lacks(
    runner: Any, db: Any, tmp_path: Path
) -> None:
    text = (FIXTURES / "all_types.yaml").read_text(encoding="utf-8")
    path = tmp_path / "by-id.yaml"
    path.write_text(text.replace("    file: sources/short-article.md\n", ""), encoding="utf-8")
    result = runner.invoke(args=["banks", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:7: source `short` is not in the library; import it first" in result.output


def test_a_file_ahead_of_the_library_is_loaded_with_a_warning(
    runner: Any, db: Any, fixture_bank: Path, tmp_path: Path
) -> None:
    """A copy from another installation (or a library restored from an older backup)."""
    assert runner.invoke(args=["banks", "load", str(fixture_bank)]).exit_code == 0
    downloaded = tmp_path / "downloaded.yaml"
    runner.invoke(args=["banks", "export-yaml", "fixture-bank", "-o", str(downloaded)])
    text = downloaded.read_text(encoding="utf-8")
    start = text.index("  - id: fx-single\n")
    downloaded.write_text(
        text[:start] + text[start:].replace("    version: 1\n", "    version: 9\n", 1),
        encoding="utf-8",
    )
    edit_file(downloaded, "Which paragraph is <em>last</em>?", "Which paragraph ends it?")
    result = runner.invoke(args=["banks", "load", str(downloaded)])
    assert result.exit_code == 0, result.output
    assert (
        "fx-single: warning: this file says it was written from version 9 of this question, but "
        "the library's latest is version 1: was it downloaded from another installation?"
    ) in result.output
    assert "1 new version(s)" in result.output
