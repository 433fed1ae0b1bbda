"""Background notes beside the articles: the file format, loading with the banks, and the quiz
page (a note is shown on request, apart from the article, and escaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.domain.banks.background import load_notes, parse_blocks, parse_note
from app.extensions import db
from app.models import SourceNote
from app.services import attempt_store, attempts
from app.services.bank_sync import SyncReport, sync_notes
from tests.support.paths import BANKS
from tests.support.quiz_setup import build

GOOD = """---
source: two-coups
title: "Background"
---
First paragraph,
wrapped.

## A heading

- one
- two
"""


def test_a_note_parses_into_blocks() -> None:
    note, problems = parse_note(GOOD, filename="n.md")
    assert problems == [] and note is not None
    assert (note.source, note.title) == ("two-coups", "Background")
    kinds = [(b.kind, b.text, b.items) for b in note.blocks()]
    assert kinds == [
        ("paragraph", "First paragraph, wrapped.", ()),
        ("heading", "A heading", ()),
        ("list", "", ("one", "two")),
    ]
    assert parse_blocks("") == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("no front matter\n", 1, "a note starts with front matter"),
        ("---\nsource: Two Coups\ntitle: x\n---\nText\n", 2, "`source` must be the id"),
        ("---\nsource: two-coups\n---\nText\n", 2, "`title` is missing or empty"),
        ("---\nsource: two-coups\ntitle: x\nauthor: y\n---\nText\n", 2, "unknown key `author`"),
        ("---\nsource: two-coups\ntitle: x\n---\n\n", 5, "the note has no text"),
        ("---\nsource: two-coups\ntitle: x\n---\nA \u202e trick\n", 5, "right-to-left override"),
    ],
)
def test_bad_notes_are_reported_with_file_and_line(text: str, line: int, message: str) -> None:
    note, problems = parse_note(text, filename="n.md")
    assert note is None
    assert any(p.line == line and message in p.message for p in problems), problems


def test_a_note_must_name_a_source_of_the_banks_and_only_once(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes" / "b.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes" / "c.md").write_text(GOOD.replace("two-coups", "nope"), encoding="utf-8")
    notes, problems = load_notes(tmp_path, {"two-coups"})
    assert [n.path.endswith("a.md") for n in notes] == [True]
    messages = " | ".join(p.message for p in problems)
    assert "source `two-coups` already has a note" in messages
    assert "`source` `nope` is not a source of these banks" in messages


def test_the_shipped_notes_cover_both_articles_with_sources_and_unknowns() -> None:
    notes, problems = load_notes(BANKS, {"two-coups", "kamikaze"})
    assert problems == []
    assert {n.source for n in notes} == {"two-coups", "kamikaze"}
    for note in notes:
        text = note.text
        assert "not part of the article" in text
        assert "What is not known about this text" in text
        blocks = note.blocks()
        unknowns = next(i for i, b in enumerate(blocks) if b.text.startswith("What is not known"))
        for fact in blocks[:unknowns]:
            for item in fact.items:
                assert "Source:" in item, f"{note.source}: a fact without its source: {item}"
    two_coups = next(n for n in notes if n.source == "two-coups").text
    for topic in ("no confidence", "Miliband", "Momentum", "Saving Labour", "registered supporter"):
        assert topic in two_coups
    assert "column" not in two_coups  # no reference to the other article in a one-article quiz


def test_banks_check_and_load_include_the_notes(app, db) -> None:
    runner = CliRunner()
    from app.cli.banks import banks as banks_group

    with app.app_context():
        checked = runner.invoke(banks_group, ["check", str(BANKS)])
        assert checked.exit_code == 0, checked.output
        assert "0 error(s), 0 warning(s)" in checked.output
    with app.test_request_context():
        from app.cli.banks import load_paths

        report = load_paths((BANKS,), quiet=True)
        assert report is not None and sorted(report.notes_updated) == ["kamikaze", "two-coups"]
        again = load_paths((BANKS,), quiet=True)
        assert again is not None and again.notes_updated == []
    assert len(db.session.scalars(select(SourceNote)).all()) == 2


def test_the_quiz_page_shows_the_note_apart_and_escaped(make, login_as, client) -> None:
    s = build(make)
    from app.domain.banks.background import Note

    note = Note(
        "src", "Background <b>note</b>", "Some <script>x</script> context.\n\n- a fact", "n"
    )
    sync_notes([note], SyncReport())
    db.session.commit()
    attempt_store.clear_caches()
    attempt = attempts.start_or_resume(s.quiz, s.student, datetime.now(UTC))
    db.session.commit()
    login_as(s.student)
    body = client.get(f"/attempts/{attempt.id}").data.decode()
    assert '<details class="background-note">' in body
    assert "Background note (not part of the article)" in body
    assert "Background &lt;b&gt;note&lt;/b&gt;" in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x" not in body
    # The article's own paragraphs are unchanged: the note is outside them.
    assert body.index("background-note") < body.index('class="para')
