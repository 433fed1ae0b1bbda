"""`hustings banks check|load|export-gift` and `hustings sources import` through the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Bank, Question
from tests.support.library import SHARED_ARTICLES, counts, snapshot
from tests.support.paths import BANKS, PAGES

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


def _one_question_bank(bank_id: str, question_id: str, prompt: str = "Q?") -> str:
    return (
        BAD.replace("{id: bad, title: Bad}", f"{{id: {bank_id}, title: {bank_id}}}")
        .replace("bad-1", question_id)
        .replace("trivial", "easy")
        .replace('"Q?"', f'"{prompt}"')
    )


def test_load_refuses_a_question_id_of_another_bank(runner: Any, db: Any, banks_dir: Path) -> None:
    first, second = banks_dir / "first.yaml", banks_dir / "second.yaml"
    first.write_text(_one_question_bank("first", "shared-q"), encoding="utf-8")
    assert runner.invoke(args=["banks", "load", str(first)]).exit_code == 0
    db.session.expire_all()
    before = snapshot(db)
    second.write_text(_one_question_bank("second", "shared-q", "Other?"), encoding="utf-8")
    result = runner.invoke(args=["banks", "load", str(second)])
    assert result.exit_code == 1
    assert f"{second}:" in result.output and "shared-q" in result.output
    assert "already used by bank `first`" in result.output
    assert "Nothing was loaded" in result.output
    db.session.expire_all()
    assert snapshot(db) == before
    assert db.session.scalar(select(Bank).where(Bank.slug == "second")) is None


def test_load_moves_a_question_between_banks_loaded_together(
    runner: Any, db: Any, banks_dir: Path
) -> None:
    first, second = banks_dir / "first.yaml", banks_dir / "second.yaml"
    first.write_text(_one_question_bank("first", "moving-q"), encoding="utf-8")
    assert runner.invoke(args=["banks", "load", str(first)]).exit_code == 0
    first.write_text(_one_question_bank("first", "staying-q"), encoding="utf-8")
    second.write_text(_one_question_bank("second", "moving-q"), encoding="utf-8")
    result = runner.invoke(args=["banks", "load", str(first), str(second)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    owner = db.session.scalar(
        select(Bank.slug)
        .join(Question, Question.bank_id == Bank.id)
        .where(Question.key == "moving-q")
    )
    assert owner == "second"


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
    assert "$CATEGORY: A tale of two coups: close reading" in result.stdout
    assert "// [id:tc-triumvirate]" in result.stdout  # evidence questions have no GIFT form
    # What GIFT cannot hold is said on stderr, question by question, never silently dropped.
    assert "two-coups-reading.gift:" in result.stderr
    assert "evidence questions cannot be expressed in GIFT" in result.stderr
    assert "not expressible in GIFT, dropped: " in result.stderr
    assert "could not be written in GIFT" in result.stderr
    assert "two-coups-reading.gift" not in result.stdout
    out = tmp_path / "bank.gift"
    written = runner.invoke(args=["banks", "export-gift", "two-coups-reading", "-o", str(out)])
    assert written.exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout
    assert f"{out}:" in written.stderr


def test_import_gift_refuses_a_file_that_is_not_utf8(runner: Any, tmp_path: Path) -> None:
    gift_file = tmp_path / "latin1.gift"
    gift_file.write_bytes("::Q1:: Qui a gagné ? {=Labour ~Tories}\n".encode("latin-1"))
    source = BANKS / "sources" / "tale-of-two-coups.md"
    out = tmp_path / "out.yaml"
    result = runner.invoke(
        args=[
            *("banks", "import-gift", str(gift_file), "--bank", "latin"),
            *("--source", str(source), "-o", str(out)),
        ]
    )
    assert result.exit_code == 1
    assert f"{gift_file} is not UTF-8 text (byte 18, line 1 cannot be read)" in result.output
    assert "Save it as UTF-8" in result.output
    assert not out.exists()


def test_import_gift_says_which_media_a_question_loses(runner: Any, tmp_path: Path) -> None:
    gift_file = tmp_path / "media.gift"
    gift_file.write_text(
        '::Clip:: Listen: <audio src="clip.mp3"></audio> Who speaks? {=Blair ~Brown}\n',
        encoding="utf-8",
    )
    source = BANKS / "sources" / "tale-of-two-coups.md"
    out = tmp_path / "out.yaml"
    result = runner.invoke(
        args=[
            *("banks", "import-gift", str(gift_file), "--bank", "media"),
            *("--source", str(source), "-o", str(out)),
        ]
    )
    assert f"{gift_file}:1: clip: the question text's audio will be removed" in result.output


def test_export_gift_unknown_bank(runner: Any) -> None:
    result = runner.invoke(args=["banks", "export-gift", "nope"])
    assert result.exit_code == 1
    assert "no loaded bank has the id 'nope'" in result.output


@pytest.fixture
def sources_home(app: Any, tmp_path: Path) -> Path:
    """QUESTION_BANKS pointed at an empty folder; returns where sources are written."""
    app.config["QUESTION_BANKS"] = str(tmp_path / "banks")
    return tmp_path / "banks" / "sources"


@pytest.mark.parametrize(
    "bad_id", ["../../../x", "../x", "Bad ID!", "a/b", "/etc/passwd", "-rf", ".hidden", "x\x00y"]
)
def test_sources_import_refuses_ids_outside_the_syntax(
    runner: Any, tmp_path: Path, sources_home: Path, bad_id: str
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("A sentence of an article.\n", encoding="utf-8")
    result = runner.invoke(args=["sources", "import", str(article), "--id", bad_id, "--title", "T"])
    assert result.exit_code == 1
    assert "is not allowed: use lower-case letters, digits, - and _" in result.output
    assert not any(tmp_path.rglob("*.md"))  # nothing written anywhere


def test_sources_import_of_saved_pages_in_one_run(
    runner: Any, tmp_path: Path, sources_home: Path
) -> None:
    pages = [PAGES / "broadsheet-housing.html", PAGES / "cable-div-br.html"]
    result = runner.invoke(args=["sources", "import", *map(str, pages)])
    assert result.exit_code == 0, result.output
    housing = (sources_home / "broadsheet-housing.md").read_text(encoding="utf-8")
    assert 'title: "Housing minister resigns after cabinet rejects building plan"' in housing
    assert 'publication: "The Northern Ledger"' in housing
    assert 'date: "2024-03-05"' in housing
    assert 'author: "Harriet Okafor"' in housing
    assert "\n\nThe housing minister, Rosalind Achebe, resigned on Tuesday" in housing
    assert "We use cookies" not in housing and "Another minister gone" not in housing
    cable = (sources_home / "cable-div-br.md").read_text(encoding="utf-8")
    assert "\n\nSeveral farm groups have said" in cable
    assert result.output.count("Wrote ") == 2


def test_sources_import_of_a_page_that_looks_incomplete_needs_force(
    runner: Any, tmp_path: Path, sources_home: Path
) -> None:
    teaser = tmp_path / "teaser.html"
    teaser.write_text(
        "<html><head><title>Teaser</title></head><body><main><p>Crowds gather as the results "
        "come in.</p><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></main>"
        "</body></html>",
        encoding="utf-8",
    )
    good = PAGES / "wire-tariffs.html"
    result = runner.invoke(args=["sources", "import", str(teaser), str(good)])
    assert result.exit_code == 1
    assert "teaser.html: warning: The result is very short" in result.output
    assert "teaser.html: not written; check the page, or write it anyway with --force." in (
        result.output
    )
    assert "1 of 2 file(s) not written." in result.output
    assert not (sources_home / "teaser.md").exists()
    assert (sources_home / "wire-tariffs.md").exists()  # the other file is still imported
    forced = runner.invoke(args=["sources", "import", str(teaser), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (sources_home / "teaser.md").exists()


def test_sources_import_of_a_page_in_a_declared_encoding(
    runner: Any, tmp_path: Path, sources_home: Path
) -> None:
    page = tmp_path / "old-page.htm"
    text = " ".join(["The council’s budget – €5m – was approved on Tuesday."] * 4)
    page.write_bytes(
        f'<html><head><meta charset="windows-1252"><title>Budget</title></head><body>'
        f"<article><p>{text}</p><p>{text}</p></article></body></html>".encode("cp1252")
    )
    result = runner.invoke(args=["sources", "import", str(page), "--id", "budget", "--force"])
    assert result.exit_code == 0, result.output
    assert "The council’s budget – €5m –" in (sources_home / "budget.md").read_text("utf-8")


def test_sources_import_of_undecodable_bytes_says_where(
    runner: Any, tmp_path: Path, sources_home: Path
) -> None:
    page = tmp_path / "broken.html"
    page.write_bytes(b"<p>ok</p>\n<p>caf\xe9</p>")
    result = runner.invoke(args=["sources", "import", str(page), "--title", "T"])
    assert result.exit_code == 1
    assert "broken.html is not UTF-8 text (byte 17, line 2 cannot be read)" in result.output


def test_sources_import_options_that_name_one_article(runner: Any, tmp_path: Path) -> None:
    pages = [str(PAGES / "wire-tariffs.html"), str(PAGES / "cable-div-br.html")]
    result = runner.invoke(args=["sources", "import", *pages, "--id", "x"])
    assert result.exit_code == 2
    assert "--id and --title name one article" in result.output


def test_sources_import_into_a_folder_or_onto_a_file(runner: Any, tmp_path: Path) -> None:
    page = str(PAGES / "wire-tariffs.html")
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(args=["sources", "import", page, "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "wire-tariffs.md").exists()
    a_file = tmp_path / "taken.md"
    a_file.write_text("x", encoding="utf-8")
    both = runner.invoke(args=["sources", "import", page, page, "-o", str(a_file)])
    assert both.exit_code == 2 and "is a file: give a folder" in both.output
    blocked = runner.invoke(args=["sources", "import", page, "-o", str(a_file / "x.md")])
    assert blocked.exit_code == 1 and "cannot write" in blocked.output


def test_sources_show_numbers_paragraphs_and_sentences(runner: Any, db: Any) -> None:
    source = BANKS / "sources" / "tale-of-two-coups.md"
    from_file = runner.invoke(args=["sources", "show", str(source)])
    assert from_file.exit_code == 0, from_file.output
    assert "This is a tale of two coups" in from_file.output
    assert "  p2.s3  He is now bomb-proof." in from_file.output
    assert runner.invoke(args=["banks", "load", str(BANKS)]).exit_code == 0
    from_library = runner.invoke(args=["sources", "show", "two-coups"])
    assert from_library.exit_code == 0, from_library.output
    assert "  p2.s3  He is now bomb-proof." in from_library.output
    paragraphs = runner.invoke(args=["sources", "show", "two-coups", "--paragraphs"])
    assert "p2  The Parliamentary Labour Party’s chaotic coup attempt has failed." in (
        paragraphs.output
    )
    assert "p2.s1" not in paragraphs.output


def test_sources_show_an_unknown_id_says_where_to_look(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["sources", "show", "nope"])
    assert result.exit_code == 1
    assert "no source file 'nope' and no library source with that id" in result.output
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe not text")
    broken = runner.invoke(args=["sources", "show", str(bad)])
    assert broken.exit_code == 1 and f"{bad}:" in broken.output
