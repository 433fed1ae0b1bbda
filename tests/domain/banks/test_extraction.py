"""Article extraction from saved news pages: the corpus in tests/pages, and each rule alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.banks import extraction
from app.domain.banks.extraction import (
    PageDecodeError,
    clutter_reason,
    decode_page,
    extract_article,
)
from tests.pages.measure import HERE, load_cases, score

CASES = load_cases(HERE)
HOLDOUT = load_cases(HERE / "holdout") if (HERE / "holdout" / "cases.yaml").exists() else []


@pytest.mark.parametrize("case", CASES + HOLDOUT, ids=lambda c: c.name)
def test_saved_page_gives_the_article_and_nothing_else(case) -> None:
    result = extract_article(decode_page(case.path.read_bytes()))
    found = score(result.paragraphs, case)
    assert found.clutter_kept == ()
    assert found.lost == ()
    assert found.right, list(result.paragraphs)
    assert result.warnings == ()
    for key, value in case.metadata.items():
        assert getattr(result.metadata, key) == value, key


def test_corpus_covers_the_layouts_the_issue_names() -> None:
    names = {case.name for case in CASES}
    assert {"cable-div-br.html", "gallery-summit.html", "blog-comments.html"} <= names
    assert len(CASES) >= 16


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


ARTICLE = "".join(
    f"<p>Paragraph {n} of the report says that the committee met on Tuesday and agreed to "
    f"publish its findings on the budget in full next month, as members had asked.</p>"
    for n in range(1, 7)
)


def test_br_separated_paragraphs_are_split_and_wrapped_lines_joined() -> None:
    body = (
        "<article><div>The council met on Monday to discuss the plan in detail and at length."
        "<br>Members voted against it by a narrow margin after a long debate.<br><br>"
        "The mayor said she would bring it back,<br>and that residents would be consulted."
        "<br>Opponents said the plan was dead and that no amount of consultation would "
        "revive it before the elections next spring.</div></article>"
    )
    result = extract_article(page(body))
    assert result.paragraphs == (
        "The council met on Monday to discuss the plan in detail and at length.",
        "Members voted against it by a narrow margin after a long debate.",
        "The mayor said she would bring it back, and that residents would be consulted.",
        "Opponents said the plan was dead and that no amount of consultation would revive it "
        "before the elections next spring.",
    )


def test_paragraphs_run_together_by_the_fallback_follow_the_page() -> None:
    raw = page("<p>Labour &amp; the <b>unions</b>.</p><p>Second para, <i>in</i> full.</p>")
    assert extract_article(raw).paragraphs == ("Labour & the unions.", "Second para, in full.")


def test_lists_and_block_quotes_are_kept_as_paragraphs() -> None:
    body = (
        f"<article>{ARTICLE}<ul><li>First point of the plan, on housing.</li>"
        "<li>Second point of the plan, on transport.</li></ul>"
        "<blockquote><p>We will not give up, the minister said to the assembled crowd.</p>"
        "</blockquote></article>"
    )
    paragraphs = extract_article(page(body)).paragraphs
    assert paragraphs[-3:] == (
        "First point of the plan, on housing.",
        "Second point of the plan, on transport.",
        "We will not give up, the minister said to the assembled crowd.",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The minister on Tuesday. Photograph: Jo Bloggs/Getty Images", "caption"),
        ("Image caption, Ballot boxes arrive at the count", "caption"),
        ("Delegates at the summit (AFP)", "caption"),
        ("3 of 12", "caption"),
        ("Read more: Five things to know about the housing crisis", "link to another story"),
        ("Related: Why the vote matters", "link to another story"),
        ("By Jane Roe, Political correspondent", "byline"),
        ("Updated 2 hours ago", "byline"),
        ("4 min read", "byline"),
        ("Tue 5 Mar 2024 09.12 GMT", "date line"),
        ("Sign up to First Edition", "page furniture"),
        ("Reporting by A. Writer; Editing by B. Editor", "page furniture"),
        ("Share Facebook Twitter Email", "share buttons"),
    ],
)
def test_clutter_is_recognised(text: str, reason: str) -> None:
    assert clutter_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "By the end of the week, the minister had resigned and her deputy was in charge.",
        "Read the full report, the campaigners said, and you will see what we mean.",
        "Sign up, they said: that was all the volunteers asked of the residents who came. "
        "Hundreds did, and the newsletter that followed reached every house in the ward.",
        "The photograph, taken in 1972, shows the two leaders shaking hands.",
    ],
)
def test_the_authors_sentences_are_not_taken_for_clutter(text: str) -> None:
    assert clutter_reason(text) is None


def test_headline_repeated_as_first_paragraph_is_removed_and_becomes_the_title() -> None:
    raw = page(
        f"<article><p>Mill to close</p>{ARTICLE}</article>",
        head="<title>Valley News - Mill to close</title>",
    )
    result = extract_article(raw)
    assert result.paragraphs[0].startswith("Paragraph 1 of the report")
    assert result.metadata.title == "Mill to close"
    assert ("Mill to close", "headline") in [(b.text, b.reason) for b in result.removed]


def test_removed_blocks_keep_their_place() -> None:
    body = (
        "<div class='cookie'>We use cookies to improve this site and show you relevant ads.</div>"
        f"<article>{ARTICLE[: len(ARTICLE) // 2]}"
        "<p>Read more: How the committee works, and who sits on it</p>"
        f"{ARTICLE[len(ARTICLE) // 2 :]}</article>"
        "<section class='comments'><p>What a waste of money this whole committee is, honestly, "
        "and nobody will read the report.</p></section>"
    )
    result = extract_article(page(body))
    assert len(result.paragraphs) == 6
    places = {b.text[:20]: (b.reason, b.after) for b in result.removed}
    assert places["We use cookies to im"] == ("page furniture", 0)
    assert places["Read more: How the co"[:20]] == ("link to another story", 3)
    assert places["What a waste of mone"] == ("not part of the article", 6)


def test_metadata_is_what_the_page_says_and_nothing_else() -> None:
    result = extract_article(page(f"<article>{ARTICLE}</article>"))
    assert result.metadata.author is None
    assert result.metadata.date is None
    assert result.metadata.url is None
    assert result.metadata.publication is None


def test_a_caption_alone_is_not_silently_taken_for_the_article() -> None:
    raw = page(
        "<main><p>Crowds gather in the square as the results come in.</p>"
        "<ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></main>"
    )
    result = extract_article(raw)
    assert any("The result is very short (3 paragraph(s), 12 word(s)" in w for w in result.warnings)


def test_nothing_found_is_an_empty_result_not_an_invented_one() -> None:
    raw = page("<figure><figcaption>Crowds gather in the square.</figcaption></figure>")
    assert extract_article(raw).paragraphs == ()


def test_a_short_result_next_to_a_long_page_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the extractor misses most of the page's prose, the review says so with figures."""
    body = f"<article>{ARTICLE}</article>"

    class Lead:  # what a failed extraction looks like: a lead and nothing more
        def __init__(self) -> None:
            from lxml import etree

            self.body = etree.fromstring(
                "<body><p>Paragraph 1 of the report says that the committee met on Tuesday "
                "and agreed to publish its findings on the budget in full next month, as "
                "members had asked.</p></body>"
            )

    monkeypatch.setattr(extraction.trafilatura, "bare_extraction", lambda *a, **k: Lead())
    result = extract_article(page(body))
    assert len(result.paragraphs) == 1
    assert any("Only 1 paragraph(s), 29 word(s) were found" in w for w in result.warnings)
    assert any("about 174 words of prose" in w for w in result.warnings)


def test_a_menu_is_flagged() -> None:
    items = "".join(f"<p>Section {n} news</p>" for n in range(40))
    result = extract_article(page(f"<main>{items}</main>"))
    assert result.warnings


def test_when_the_extractor_finds_nothing_the_cleaner_reads_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(extraction.trafilatura, "bare_extraction", lambda *a, **k: None)
    result = extract_article(page(ARTICLE))
    assert result.method == "fallback"
    assert len(result.paragraphs) == 6
    assert any("could not be told apart" in w for w in result.warnings)


def test_scripts_styles_and_hidden_text_never_reach_the_article() -> None:
    raw = page(
        f"<article>{ARTICLE}<script>steal()</script><style>p{{}}</style>"
        "<div hidden>Secret hidden text that is long enough to count as prose.</div></article>"
    )
    result = extract_article(raw)
    text = " ".join(result.paragraphs) + " ".join(b.text for b in result.removed)
    assert "steal()" not in text and "p{}" not in text and "Secret hidden" not in text


# --------------------------------------------------------------------------- decoding


def test_utf8_page_and_bom_are_read() -> None:
    assert decode_page("<p>Café</p>".encode()) == "<p>Café</p>"
    assert decode_page(b"\xef\xbb\xbf<p>Caf\xc3\xa9</p>") == "<p>Café</p>"
    assert decode_page("<p>Café</p>".encode("utf-16")) == "<p>Café</p>"


def test_page_in_a_declared_encoding_is_read() -> None:
    raw = '<html><head><meta charset="windows-1252"></head><body><p>“Café” – 5€</p>'
    assert "“Café” – 5€" in decode_page(raw.encode("cp1252"))
    latin = b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>\x93x\x94'
    assert "“x”" in decode_page(latin)  # browsers read latin-1 labels as windows-1252


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<p>caf\xe9</p>\n", "is not UTF-8 text (byte 7, line 1 cannot be read)"),
        (b'<meta charset="klingon"><p>\xff</p>', "declares the character set 'klingon'"),
        (b'<meta charset="utf-8">\n<p>\xff</p>', "byte 27, line 2"),
        (b'<meta charset="shift_jis"><p>\x82</p>', "is not SHIFT_JIS text"),
    ],
)
def test_bytes_that_are_not_text_get_a_precise_message(data: bytes, message: str) -> None:
    with pytest.raises(PageDecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_page(data, "page.html")


def test_a_long_comment_thread_does_not_make_a_whole_article_look_short() -> None:
    comments = "".join(
        f"<div class='comment'><p>Comment {n}: I think the committee has handled this badly "
        "and the report should have been published months ago, frankly.</p></div>"
        for n in range(300)
    )
    result = extract_article(
        page(f"<article>{ARTICLE}</article><section id='comments'>{comments}</section>")
    )
    assert len(result.paragraphs) == 6
    assert result.warnings == ()
    assert 0 < len(result.removed) <= extraction.MAX_REMOVED_BLOCKS


def test_page_metadata_with_control_characters_is_left_empty() -> None:
    head = '<title>Fine</title><meta name="author" content="Jo\u202eBloggs">'
    result = extract_article(page(f"<article>{ARTICLE}</article>", head=head))
    assert result.metadata.author is None


PIECES = [
    "<p>",
    "</p>",
    "<br>",
    "<div>",
    "</div>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<table><tr><td>",
    "</td></tr></table>",
    "<?xml version='1.0' encoding='utf-8'?>",
    "<li>",
    "<h1>",
    "&amp;",
    "&#0;",
    "\x00",
    "\u202e",
    "\ud800",
    "A sentence here. ",
    "lower words ",
    "Read more",
    "Photograph: X",
    "<article>",
    "<figure><figcaption>",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_any_markup_gives_a_result_never_an_exception(raw: str) -> None:
    result = extract_article(raw)
    assert all(p and p == " ".join(p.split()) for p in result.paragraphs)


def test_deeply_nested_markup_is_read() -> None:
    deep = "<div>" * 50_000 + "<p>Deep text here that is a sentence.</p>" + "</div>" * 50_000
    assert "Deep text here that is a sentence." in extract_article(deep).paragraphs
