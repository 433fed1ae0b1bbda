"""`known_sources`: banks may cite a source already in the library by id alone (pure, no app)."""

from __future__ import annotations

from app.domain.banks.articles import SourceDocument
from app.domain.banks.schema import parse_bank

DOC = SourceDocument(
    id="two-coups",
    title="T",
    publication="P",
    date=None,
    url=None,
    author=None,
    paragraphs=("One sentence. Two sentences.", "Second paragraph."),
)
BANK = """version: 1
bank: {id: b, title: B}
sources:
  - id: two-coups
questions:
  - id: q1
    type: evidence
    prompt: "Pick it."
    skill: evidence
    difficulty: easy
    explanation: "E."
    select: sentence
    key: [p1.s2]
"""


def test_source_cited_by_id_alone_resolves_to_the_known_document() -> None:
    bank, problems = parse_bank(BANK, filename="b.yaml", known_sources={"two-coups": DOC})
    assert bank is not None, problems
    assert bank.sources == (DOC,)
    assert bank.questions[0].spec["key"] == ["two-coups:p1.s2"]


def test_references_are_checked_against_the_known_document() -> None:
    text = BANK.replace("p1.s2", "p1.s3")
    bank, problems = parse_bank(text, filename="b.yaml", known_sources={"two-coups": DOC})
    assert bank is None
    assert [str(p) for p in problems] == [
        "b.yaml:13: q1: `p1.s3`: paragraph 1 of source `two-coups` has no sentence 3 (it has 2)"
    ]


def test_unknown_id_is_an_error_with_a_hint() -> None:
    bank, problems = parse_bank(BANK, filename="b.yaml", known_sources={"two-coup": DOC})
    assert bank is None
    assert "b.yaml:4: source `two-coups` is not in the library; did you mean `two-coup`?" in [
        str(p).split("; import")[0] for p in problems
    ]


def test_without_known_sources_an_id_alone_is_still_incomplete() -> None:
    bank, problems = parse_bank(BANK, filename="b.yaml")
    assert bank is None
    assert any("missing `title`" in p.message for p in problems)


def test_embedded_and_file_sources_are_unaffected_by_known_sources() -> None:
    embedded = BANK.replace(
        "  - id: two-coups\n",
        "  - id: two-coups\n    title: Own\n    publication: P\n"
        '    text: "One sentence. Two sentences."\n',
    )
    bank, problems = parse_bank(embedded, filename="b.yaml", known_sources={"two-coups": DOC})
    assert bank is not None, problems
    assert bank.sources[0].title == "Own"
    # Without a folder (an upload) a `file:` source is the library's source of that id: the
    # shipped banks upload as they load from the command line, and no server path is read.
    with_file = BANK.replace("  - id: two-coups\n", "  - id: two-coups\n    file: a.md\n")
    bank, problems = parse_bank(with_file, filename="b.yaml", known_sources={"two-coups": DOC})
    assert bank is not None, problems
    assert bank.sources[0] == DOC
    elsewhere = with_file.replace("id: two-coups", "id: elsewhere")
    bank, problems = parse_bank(elsewhere, filename="b.yaml", known_sources={"two-coups": DOC})
    assert bank is None
    assert any("source `elsewhere` is not in the library" in p.message for p in problems)
    no_library = parse_bank(with_file, filename="b.yaml")[1]
    assert any("`file:` source needs the bank" in p.message for p in no_library)
