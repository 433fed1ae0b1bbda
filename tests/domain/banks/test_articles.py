"""Article cleaning, sentence splitting and source files: the two real articles are the spec."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.banks.articles import (
    SourceDocument,
    SourceFileError,
    clean_article,
    parse_source_file,
    render_source_file,
    split_sentences,
)
from tests.support.paths import ROOT

SHARED_ARTICLES = ROOT.parent / "shared" / "articles"
SOURCES = ROOT / "question_banks" / "sources"

# Each real article: its cleaned file, the exact paragraph count, the web debris the raw text
# holds (whole lines, as pasted) and the words glued where a link address was.
REAL = {
    "tale-of-two-coups": {
        "source": "tale-of-two-coups.md",
        "paragraphs": 17,
        "junk_lines": [],
        "glued": {},
    },
    "kamikaze-mission": {
        "source": "kamikaze-mission.md",
        "paragraphs": 14,
        "junk_lines": [
            "Jeremy Corbyn sweeps to victory increasing his mandate as Labour leader -",
            "Politics live",
            "Read more",
            "Facebook",
            "Twitter",
            "Pinterest",
            "Jeremy Corbyn wins Labour leadership election",
            "Corbyn leadership win shows Labour is now a changed party",
        ],
        "glued": {
            "ofLabour": "of Labour",
            "groupsLabour": "groups Labour",
            "andSaving": "and Saving",
            "opposition .": "opposition.",
            "Labour .": "Labour.",
            "Corbyn ,": "Corbyn,",
        },
    },
}

needs_shared = pytest.mark.skipif(
    not SHARED_ARTICLES.is_dir(), reason="shared/articles (the raw articles) is not present"
)


def raw_article(name: str) -> str:
    return (SHARED_ARTICLES / f"{name}.txt").read_text(encoding="utf-8")


def oracle_text(name: str) -> str:
    """The author's words, found independently of the cleaner: drop the known debris lines and
    every <address>, join everything with single spaces, and mend the known glued words."""
    spec = REAL[name]
    kept = [
        line for line in raw_article(name).split("\n") if line.strip() not in spec["junk_lines"]
    ]
    text = " ".join(re.sub(r"<https?://[^>]*>", " ", " ".join(kept)).split())
    for glued, mended in spec["glued"].items():
        assert glued in text
        text = text.replace(glued, mended)
    return text


# ---------------------------------------------------------------------------------------------
# The two real articles
# ---------------------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_article_keeps_every_word_of_the_author_and_nothing_else(name: str) -> None:
    paragraphs = clean_article(raw_article(name))
    assert len(paragraphs) == REAL[name]["paragraphs"]
    assert " ".join(paragraphs) == oracle_text(name)


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_every_sentence_of_the_raw_text_appears_verbatim(name: str) -> None:
    cleaned = clean_article(raw_article(name))
    sentences = [s for p in cleaned for s in split_sentences(p)]
    for sentence in split_sentences(oracle_text(name)):
        assert sentence in sentences
    assert " ".join(sentences) == oracle_text(name)


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_article_has_no_web_debris(name: str) -> None:
    paragraphs = clean_article(raw_article(name))
    text = "\n".join(paragraphs)
    for debris in (
        "Read more",
        "http",
        "www.",
        "Facebook",
        "Twitter",
        "Pinterest",
        "<",
        ">",
        "\u00a0",
        "  ",
        " .",
        " ,",
    ):
        assert debris not in text
    for paragraph in paragraphs:
        assert paragraph == " ".join(paragraph.split())


@needs_shared
def test_kamikaze_mends_words_glued_at_links_only() -> None:
    text = " ".join(clean_article(raw_article("kamikaze-mission")))
    assert "in the face of Labour MPs." in text
    assert "in the form of the groups Labour Tomorrow and Saving Labour. The latter" in text
    assert "unfit to be leader of the opposition." in text
    assert "re-coronation of Jeremy Corbyn, one Labour MP" in text
    assert "John McDonnell, tells us" in text  # never split ordinary words
    assert "Team Corbyn" in text
    # Curly quotes, apostrophes and dashes are kept exactly.
    assert "“It was always a kamikaze mission.”" in text
    assert "soft left – “a clean skin” – had" in text
    assert "“to respect the democratic choice that has been made”." in text


@needs_shared
def test_kamikaze_widgets_and_promo_boxes_separate_paragraphs() -> None:
    paragraphs = clean_article(raw_article("kamikaze-mission"))
    assert paragraphs[3].startswith("Examining the entrails of defeat")
    assert paragraphs[7].endswith("“We have to stop being an excuse for his failings.”")
    assert paragraphs[8].startswith("Others are prepared to return to the frontbench")
    assert paragraphs[10].startswith("With or without shadow cabinet elections")
    assert paragraphs[-1].endswith("is to try to learn from him.")


@needs_shared
def test_two_coups_keeps_no_break_spaced_text_as_single_spaces() -> None:
    paragraphs = clean_article(raw_article("tale-of-two-coups"))
    assert paragraphs[0] == "This is a tale of two coups."
    assert paragraphs[1].startswith(
        "The Parliamentary Labour Party’s chaotic coup attempt has failed. The net result"
    )
    assert paragraphs[-1] == "Now the party has a new home. Fantasy Labour."
    assert "his naïve belief" in paragraphs[14]


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_committed_source_file_is_what_the_importer_produces(name: str) -> None:
    committed = (SOURCES / REAL[name]["source"]).read_text(encoding="utf-8")
    doc = parse_source_file(committed, filename=name)
    assert list(doc.paragraphs) == clean_article(raw_article(name), "text")
    assert list(doc.paragraphs) == clean_article(raw_article(name))  # sniffed as text
    assert render_source_file(doc) == committed  # the file is in canonical form


def test_committed_source_files_metadata() -> None:
    coups = parse_source_file((SOURCES / "tale-of-two-coups.md").read_text(encoding="utf-8"))
    kamikaze = parse_source_file((SOURCES / "kamikaze-mission.md").read_text(encoding="utf-8"))
    assert (coups.id, coups.title, coups.publication) == (
        "two-coups",
        "This is a tale of two coups",
        "Opinion piece",
    )
    assert (coups.date, coups.url, coups.author) == (None, None, None)
    assert coups.author_line == "Opinion piece — author not given"
    assert (kamikaze.id, kamikaze.publication, kamikaze.author) == (
        "kamikaze",
        "The Guardian",
        None,
    )
    assert kamikaze.author_line == "The Guardian, 2016-09 — author not given"
    assert len(coups.paragraphs) == 17
    assert len(kamikaze.paragraphs) == 14
    assert coups.paragraphs[16] == "Now the party has a new home. Fantasy Labour."
    assert coups.sentences(17) == ("Now the party has a new home.", "Fantasy Labour.")
    for source in (coups, kamikaze):
        assert render_source_file(source) == render_source_file(
            parse_source_file(render_source_file(source))
        )


# ---------------------------------------------------------------------------------------------
# Cleaning rules on small inputs
# ---------------------------------------------------------------------------------------------


def test_unwraps_lines_and_collapses_spaces() -> None:
    raw = "One two \nthree.\u00a0 Four\tfive.\n\n\n  Next  para \n \n"
    assert clean_article(raw, "text") == ["One two three. Four five.", "Next para"]


def test_link_address_at_line_end_or_alone_is_dropped() -> None:
    raw = "See the \n<https://example.org/a>, then more \n<https://example.org/b>\n.\n"
    assert clean_article(raw, "text") == ["See the, then more."]


def test_mending_happens_only_at_a_link_boundary() -> None:
    assert clean_article("the face ofLabour <https://x.org> MPs.", "text") == [
        "the face of Labour MPs."
    ]
    assert clean_article("said ofLabour today.", "text") == ["said ofLabour today."]
    assert clean_article("said McDonnell <https://x.org> today.", "text") == [
        "said McDonnell today."
    ]
    assert clean_article("an iPhone <https://x.org> ad.", "text") == ["an iPhone ad."]


def test_promo_box_glued_to_paragraph_is_dropped() -> None:
    raw = (
        "Para one.\n\nA headline -\nsecond line\n Read more \n<https://x.org/p>\nReal text here.\n"
    )
    assert clean_article(raw, "text") == ["Para one.", "Real text here."]


def test_share_widget_and_media_caption_end_the_paragraph() -> None:
    raw = (
        "End of one.\nFacebook \n<https://f.com/s>\nTwitter \n<https://t.com/s>\n"
        "A video headline \n<https://x.org/v>\nStart of two.\n"
    )
    assert clean_article(raw, "text") == ["End of one.", "Start of two."]


def test_a_lone_share_name_in_the_text_is_kept() -> None:
    raw = "He posted it on\nTwitter\n<https://t.com/x>\nlast night.\n"
    assert clean_article(raw, "text") == ["He posted it on Twitter last night."]


def test_markdown() -> None:
    raw = (
        '# A tale\n\nThe [Labour party](https://x.org/l "t") is **split**,\nsays *one* MP.\n'
        "![photo](https://x.org/p.jpg)\n\n## Next\n- first item\n- second item\n"
    )
    assert clean_article(raw) == [
        "A tale",
        "The Labour party is split, says one MP.",
        "Next",
        "first item",
        "second item",
    ]


def test_html() -> None:
    raw = (
        "<html><head><title>T</title><style>p{}</style></head><body><nav><p>Menu</p></nav>"
        "<h1>Head &amp; line</h1><p>First\n  <a href='https://x'>para</a>&nbsp;here.</p>"
        "<figure><p>caption</p></figure><aside><p>Read more</p></aside>"
        "<script>var p = '<p>no</p>';</script><ul><li>item<br>one</li></ul><p>Read more</p>"
        "<p>It&rsquo;s &ldquo;done&rdquo;.</p></body></html>"
    )
    assert clean_article(raw) == ["Head & line", "First para here.", "item one", "It’s “done”."]


def test_format_is_sniffed_and_validated() -> None:
    assert clean_article("Plain <https://x.org> text.") == ["Plain text."]
    with pytest.raises(ValueError, match="unknown article format"):
        clean_article("x", "pdf")


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("One. Two! Three? Four", ("One.", "Two!", "Three?", "Four")),
        ("“Quoted.” Next one.", ("“Quoted.”", "Next one.")),
        ("He said. “Go,” she said.", ("He said.", "“Go,” she said.")),
        ("Mr. Smith and Dr. Who met St. Paul.", ("Mr. Smith and Dr. Who met St. Paul.",)),
        ("Fruit, e.g. Apples, etc. Are fine.", ("Fruit, e.g. Apples, etc. Are fine.",)),
        ("John F. Kennedy spoke. Then left.", ("John F. Kennedy spoke.", "Then left.")),
        ("Made 1.5 million. in 2016. 172 MPs.", ("Made 1.5 million. in 2016. 172 MPs.",)),
        ("has been made”. Next", ("has been made”.", "Next")),
        ("", ()),
    ],
)
def test_split_sentences(paragraph: str, expected: tuple[str, ...]) -> None:
    assert split_sentences(paragraph) == expected


def test_sentences_are_one_based_and_checked() -> None:
    doc = SourceDocument("d", "T", "P", None, None, "Ann", ("One. Two.", "Three."))
    assert doc.sentences(1) == ("One.", "Two.")
    assert doc.sentences(2) == ("Three.",)
    assert doc.author_line == "P — by Ann"
    for bad in (0, 3):
        with pytest.raises(IndexError):
            doc.sentences(bad)


# ---------------------------------------------------------------------------------------------
# Source files
# ---------------------------------------------------------------------------------------------

GOOD = """---
id: "two-coups"
title: "A tale"
publication: "Opinion piece"
date: "2016-09-25"
url: "https://example.org/a"
author: null
---

First paragraph,
hand wrapped.


Second.
"""


def test_parse_source_file() -> None:
    doc = parse_source_file(GOOD)
    assert doc == SourceDocument(
        "two-coups",
        "A tale",
        "Opinion piece",
        "2016-09-25",
        "https://example.org/a",
        None,
        ("First paragraph, hand wrapped.", "Second."),
    )
    assert doc.author_line == "Opinion piece, 2016-09-25, https://example.org/a — author not given"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("no front matter\n", 1, "must start with"),
        ('---\nid: "x"\n', 1, "not closed"),
        ("---\n- a\n---\n\nP.\n", 2, "must be a mapping"),
        (GOOD.replace('date: "2016-09-25"', "date: 2016-09-25"), 5, "quote it"),
        (GOOD.replace('date: "2016-09-25"', 'date: "25 Sept"'), 5, "YYYY"),
        (GOOD.replace('date: "2016-09-25"', 'date: "2016-13"'), 5, "YYYY"),
        (GOOD.replace("author: null", "author: [a]"), 7, "string or null"),
        (
            GOOD.replace("author: null", 'author: !!python/object:os.system "x"'),
            7,
            "string or null",
        ),
        (GOOD.replace("author: null", 'writer: "x"'), 7, "unknown key"),
        (GOOD.replace("author: null", 'title: "x"'), 7, "duplicate key"),
        (GOOD.replace('id: "two-coups"', 'id: "Two Coups"'), 2, "lower-case"),
        (GOOD.replace('title: "A tale"\n', ""), 1, "missing required key 'title'"),
        (GOOD.replace('url: "https://example.org/a"', 'url: "javascript:x"'), 6, "http"),
        (GOOD.replace('title: "A tale"', 'title: "A tale'), 4, "front matter"),
        (GOOD.split("---\n\n")[0] + "---\n\n \n", 8, "no paragraphs"),
    ],
)
def test_parse_source_file_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(SourceFileError) as info:
        parse_source_file(text, filename="x.md")
    assert info.value.line == line
    assert fragment in info.value.message
    assert str(info.value) == f"line {line}: {info.value.message}"
    assert info.value.filename == "x.md"


def test_render_refuses_unnormalised_paragraphs() -> None:
    for paragraph in ("", " lead", "two\nlines", "double  space"):
        doc = SourceDocument("d", "T", "P", None, None, None, (paragraph,))
        with pytest.raises(ValueError, match="paragraph 1"):
            render_source_file(doc)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

MESSY = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(
            [
                "\n",
                "\n\n",
                " ",
                "\u00a0",
                ".",
                "<https://x.org/a>",
                "Read more",
                "Facebook",
                "# ",
                "[a](b)",
                "<p>",
                "</p>",
                "<script>",
                "“",
                "Mr.",
                "ofLabour",
                "---",
                "Twitter \n<https://t.co/x>\n",
            ]
        ),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(raw=MESSY, fmt=st.sampled_from([None, "text", "markdown", "html"]))
def test_clean_article_never_crashes_and_yields_normalised_paragraphs(
    raw: str, fmt: str | None
) -> None:
    for paragraph in clean_article(raw, fmt):
        assert paragraph
        assert paragraph == " ".join(paragraph.split())


@settings(max_examples=300)
@given(paragraph=MESSY)
def test_split_sentences_is_lossless(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    assert all(s and s == s.strip() for s in sentences)
    assert "".join("".join(sentences).split()) == "".join(paragraph.split())
    assert split_sentences(paragraph) == sentences


@settings(max_examples=300)
@given(
    text=st.one_of(
        MESSY,
        MESSY.map(lambda body: "---\n" + body),
        st.binary().map(lambda b: b.decode("utf-8", "replace")),
    )
)
def test_parse_source_file_raises_only_source_file_error(text: str) -> None:
    try:
        parse_source_file(text)
    except SourceFileError as exc:
        assert exc.line >= 1


def _normalised(text: str) -> str:
    return " ".join(text.split())


META_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
DOCS = st.builds(
    SourceDocument,
    id=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
    title=META_TEXT.filter(str.strip),
    publication=META_TEXT.filter(str.strip),
    date=st.one_of(
        st.none(), st.dates().map(lambda d: f"{d:%Y-%m-%d}").filter(lambda d: len(d) == 10)
    ),
    url=st.one_of(
        st.none(), st.from_regex(r"https?://[a-z]{1,10}\.org/[a-z0-9/]{0,10}", fullmatch=True)
    ),
    author=st.one_of(st.none(), META_TEXT),
    paragraphs=st.lists(MESSY.map(_normalised).filter(bool), min_size=1, max_size=5).map(tuple),
)


@settings(max_examples=300)
@given(doc=DOCS)
def test_render_then_parse_round_trips(doc: SourceDocument) -> None:
    text = render_source_file(doc)
    assert parse_source_file(text) == doc
    assert render_source_file(parse_source_file(text)) == text
