"""`hustings banks check|load|export-gift` and `hustings sources import` through the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Bank
from tests.library.conftest import BANKS, SHARED_ARTICLES, counts, snapshot

BAD = """version: 1
bank: {id: bad, title: Bad}
sources:
  - id: two-coups
    file: sources/tale-of-two-coups.md
questions:
  - id: bad-1
    type: single
    prompt: "Q?"
    skill: literal
    difficulty: trivial
    evidence: [p1]
    explanation: "E."
    options:
      - {text: "A", correct: true}
      - {text: "B"}
"""


@pytest.fixture
def banks_dir(tmp_path: Path) -> Path:
    target = tmp_path / "question_banks"
    shutil.copytree(BANKS, target)
    return target


def test_check_real_banks_passes(runner: Any) -> None:
    result = runner.invoke(args=["banks", "check", str(BANKS)])
    assert result.exit_code == 0, result.output
    assert "3 bank(s)" in result.output and "0 error(s)" in result.output


def test_check_exits_1_on_errors_with_file_line_id(runner: Any, banks_dir: Path) -> None:
    (banks_dir / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = runner.invoke(args=["banks", "check", str(banks_dir / "bad.yaml")])
    assert result.exit_code == 1
    assert f"{banks_dir / 'bad.yaml'}:11: bad-1: `difficulty` `trivial` is not one of" in (
        result.output
    )
    assert "1 error(s)" in result.output


def test_check_exits_0_with_warnings_only(runner: Any, banks_dir: Path) -> None:
    (banks_dir / "warn.yaml").write_text(
        BAD.replace("trivial", "easy").replace("    evidence: [p1]\n", ""), encoding="utf-8"
    )
    result = runner.invoke(args=["banks", "check", str(banks_dir / "warn.yaml")])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "[L006]" in result.output
    assert "0 error(s)" in result.output


def test_check_missing_path_is_an_error(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["banks", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


def test_load_and_reload(runner: Any, db: Any) -> None:
    result = runner.invoke(args=["banks", "load", str(BANKS)])
    assert result.exit_code == 0, result.output
    assert "Loaded:" in result.output and "sources: 2 added" in result.output
    db.session.expire_all()
    loaded = counts(db)
    assert loaded["bank"] == 3 and loaded["question"] > 50
    again = runner.invoke(args=["banks", "load", str(BANKS)])
    assert again.exit_code == 0
    assert "0 added, 0 new version(s)" in again.output and "0 retired" in again.output
    db.session.expire_all()
    assert counts(db) == loaded


def test_load_with_an_error_changes_nothing(runner: Any, db: Any, banks_dir: Path) -> None:
    assert runner.invoke(args=["banks", "load", str(BANKS)]).exit_code == 0
    db.session.expire_all()
    before = snapshot(db)
    (banks_dir / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = runner.invoke(args=["banks", "load", str(banks_dir)])
    assert result.exit_code == 1
    assert "Nothing was loaded" in result.output
    assert snapshot(db) == before
    assert db.session.scalar(select(Bank).where(Bank.slug == "bad")) is None


@pytest.mark.skipif(not SHARED_ARTICLES.is_dir(), reason="shared/articles is not present")
@pytest.mark.parametrize(
    ("name", "args"),
    [
        (
            "tale-of-two-coups",
            [
                "--id",
                "two-coups",
                "--title",
                "This is a tale of two coups",
                "--publication",
                "Opinion piece",
            ],
        ),
        (
            "kamikaze-mission",
            [
                "--id",
                "kamikaze",
                "--title",
                "It was always a kamikaze mission",
                "--publication",
                "The Guardian",
                "--date",
                "2016-09",
            ],
        ),
    ],
)
def test_sources_import_writes_the_committed_file(
    runner: Any, tmp_path: Path, name: str, args: list[str]
) -> None:
    out = tmp_path / f"{name}.md"
    result = runner.invoke(
        args=["sources", "import", str(SHARED_ARTICLES / f"{name}.txt"), *args, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == (BANKS / "sources" / f"{name}.md").read_text(
        encoding="utf-8"
    )
    printed = runner.invoke(
        args=["sources", "import", str(SHARED_ARTICLES / f"{name}.txt"), *args, "-o", "-"]
    )
    assert printed.output == out.read_text(encoding="utf-8")


def test_sources_import_of_an_empty_article_fails(runner: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("<https://example.org>\n\n<https://example.org/a>\n", encoding="utf-8")
    result = runner.invoke(
        args=["sources", "import", str(empty), "--id", "e", "--title", "E", "-o", "-"]
    )
    assert result.exit_code != 0
    assert "No text was left after cleaning" in result.output


def test_export_gift(runner: Any, db: Any, tmp_path: Path) -> None:
    assert runner.invoke(args=["banks", "load", str(BANKS)]).exit_code == 0
    result = runner.invoke(args=["banks", "export-gift", "two-coups-reading"])
    assert result.exit_code == 0, result.output
    assert "$CATEGORY: A tale of two coups: close reading" in result.output
    assert "// [id:tc-triumvirate]" in result.output  # evidence questions have no GIFT form
    out = tmp_path / "bank.gift"
    assert (
        runner.invoke(args=["banks", "export-gift", "two-coups-reading", "-o", str(out)]).exit_code
        == 0
    )
    assert out.read_text(encoding="utf-8") == result.output


def test_export_gift_unknown_bank(runner: Any) -> None:
    result = runner.invoke(args=["banks", "export-gift", "nope"])
    assert result.exit_code == 1
    assert "no loaded bank has the id 'nope'" in result.output
