"""Importing articles through the web: clean, review, fix breaks, save; every bad input refused."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.domain.banks.articles import parse_source_file
from app.domain.banks.source_review import text_digest
from app.models import Paragraph, Source
from tests.support.library import SHARED_ARTICLES, counts, snapshot
from tests.support.paths import BANKS
from tests.support.web import upload

needs_shared = pytest.mark.skipif(
    not SHARED_ARTICLES.is_dir(), reason="shared/articles (the raw articles) is not present"
)

REAL = {
    "tale-of-two-coups": {
        "id": "two-coups",
        "title": "This is a tale of two coups",
        "publication": "Opinion piece",
        "date": "",
        "url": "",
        "author": "",
    },
    "kamikaze-mission": {
        "id": "kamikaze",
        "title": "It was always a kamikaze mission",
        "publication": "The Guardian",
        "date": "2016-09",
        "url": "",
        "author": "",
    },
}
META = {
    "id": "op-ed",
    "title": "An op-ed",
    "publication": "The Paper",
    "date": "2016-09-25",
    "url": "https://example.org/op-ed",
    "author": "",
}


def textarea(page: str, name: str = "paragraphs") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, page[:2000]
    return html.unescape(match.group(1))


def review(client: Any, **data: Any) -> Any:
    return client.post("/teach/sources/import", data={"format": "auto", **data})


def save(client: Any, text: str, **meta: Any) -> Any:
    return client.post(
        "/teach/sources/review", data={**META, **meta, "paragraphs": text, "save": "Save source"}
    )


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
@pytest.mark.parametrize("how", ["paste", "file"])
def test_real_article_through_the_form_gives_the_committed_source(
    teacher_client: Any, db: Any, name: str, how: str
) -> None:
    raw = (SHARED_ARTICLES / f"{name}.txt").read_text(encoding="utf-8")
    meta = REAL[name]
    data = {"text": raw} if how == "paste" else {"file": upload(raw, f"{name}.txt")}
    page = review(teacher_client, **meta, **data)
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    assert counts(db)["source"] == 0  # nothing saved before review
    text = textarea(page.get_data(as_text=True))
    committed = (BANKS / "sources" / f"{name}.md").read_text(encoding="utf-8")
    expected = parse_source_file(committed)
    assert text.split("\n\n") == list(expected.paragraphs)

    saved = teacher_client.post(
        "/teach/sources/review", data={**meta, "paragraphs": text, "save": "Save"}
    )
    assert saved.status_code == 302
    source = db.session.scalar(select(Source).where(Source.slug == meta["id"]))
    assert [p.text for p in source.paragraphs] == list(expected.paragraphs)
    assert [p.position for p in source.paragraphs] == list(range(1, len(expected.paragraphs) + 1))
    download = teacher_client.get(f"/teach/sources/{meta['id']}/download")
    assert download.get_data(as_text=True) == committed  # the same file, byte for byte
    assert 'filename="' + meta["id"] + '.md"' in download.headers["Content-Disposition"]


def test_source_page_numbers_paragraphs_and_sentences(teacher_client: Any, db: Any) -> None:
    text = "First one. Second one.\n\nOnly sentence here.\n\nA. B c. Third? Yes."
    assert save(teacher_client, text).status_code == 302
    page = teacher_client.get("/teach/sources/op-ed").get_data(as_text=True)
    assert 'id="p1"' in page and 'id="p3"' in page and 'id="p4"' not in page
    assert '<span class="sentence" id="p1.s2">Second one.</span>' in page
    assert 'id="p3.s1"' in page
    assert "The Paper, 2016-09-25" in page
    assert "author not given" in page
    listing = teacher_client.get("/teach/sources/").get_data(as_text=True)
    assert "An op-ed" in listing and "author not given" in listing
    assert re.search(r"<td>3</td>", listing)


def test_review_fixes_paragraph_breaks_before_saving(teacher_client: Any, db: Any) -> None:
    page = review(teacher_client, **META, text="One para.\n\nTwo para.\n\nThree para.")
    assert textarea(page.get_data(as_text=True)) == "One para.\n\nTwo para.\n\nThree para."
    # merge 1 and 2, split 3, and preview again: nothing is saved yet
    edited = "One para.\nTwo para.\n\nThree\n\npara."
    again = teacher_client.post(
        "/teach/sources/review", data={**META, "paragraphs": edited, "preview": "Preview"}
    )
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    assert textarea(body) == "One para. Two para.\n\nThree\n\npara."
    assert 'id="p3"' in body and 'id="p4"' not in body
    assert counts(db)["source"] == 0
    assert save(teacher_client, textarea(body)).status_code == 302
    rows = db.session.scalars(select(Paragraph.text).order_by(Paragraph.position)).all()
    assert rows == ["One para. Two para.", "Three", "para."]


def test_html_file_is_cleaned_of_scripts_and_pages_escape(teacher_client: Any, db: Any) -> None:
    raw = (
        "<html><head><script>steal()</script><style>p{}</style></head><body>"
        "<p>Labour &amp; the <b>unions</b>.<script>alert(1)</script></p>"
        '<p onclick="evil()">Second &lt;script&gt;alert(2)&lt;/script&gt; para.</p>'
        "</body></html>"
    )
    page = review(teacher_client, **META, file=upload(raw, "page.html"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    text = textarea(body)
    assert "steal()" not in text and "alert(1)" not in text and "evil()" not in text
    assert text.split("\n\n") == ["Labour & the unions.", "Second <script>alert(2)</script> para."]
    assert "<script>" not in body  # the escaped text is shown as text
    assert "&lt;script&gt;alert(2)" in body
    assert save(teacher_client, text).status_code == 302
    shown = teacher_client.get("/teach/sources/op-ed").get_data(as_text=True)
    assert "<script>" not in shown and "&lt;script&gt;alert(2)&lt;/script&gt;" in shown


def test_xss_in_metadata_and_text_is_inert(teacher_client: Any, db: Any) -> None:
    evil = '<img src=x onerror="alert(1)">'
    response = save(
        teacher_client,
        f"Text {evil} here.\n\n<script>alert(3)</script>",
        title=f"Title {evil}",
        publication=f"Pub {evil}",
        author=f"<b>{evil}</b>",
    )
    assert response.status_code == 302
    for url in ("/teach/sources/op-ed", "/teach/sources/", "/teach/library/"):
        page = teacher_client.get(url).get_data(as_text=True)
        assert "<img" not in page and "<script>alert" not in page, url
        assert "&lt;img src=x onerror=" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "Paste the article, or choose a file"),
        ({"text": "Pasted.", "file": upload("Filed.", "a.txt")}, "not both"),
        ({"file": upload(b"caf\xe9 au lait\n", "a.txt")}, "not UTF-8 text (byte 4, line 1"),
        ({"file": upload(b"line\nbad \xff\xfe\n", "a.txt")}, "line 2"),
        ({"text": "nul \x00 byte"}, "control character (U+0000)"),
        ({"text": "x", "file": upload(b"", "")}, None),  # an empty file field is no file
        ({"text": "<nav>Facebook</nav>", "format": "html"}, "No text was left after cleaning"),
        ({"text": "Some text.", "id": "Bad Id"}, "lower-case letters"),
        ({"text": "Some text.", "date": "2016-13-01"}, "YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"text": "Some text.", "url": "javascript:alert(1)"}, "http:// or https://"),
        ({"text": "Some text.", "title": ""}, None),  # filled in, or asked for, at review
        ({"text": "Some text.", "title": "x" * 301}, "longer than 300 characters"),
        ({"text": "Some text.", "format": "pdf"}, "Not a valid choice"),
    ],
)
def test_bad_import_input_gets_a_clear_error_and_saves_nothing(
    teacher_client: Any, db: Any, data: dict, message: str | None
) -> None:
    before = snapshot(db)
    response = review(teacher_client, **{**META, **data})
    body = html.unescape(response.get_data(as_text=True))
    if message is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400, body[:2000]
        assert message in body
        assert "Nothing was saved" in body
    assert snapshot(db) == before


def test_oversized_request_is_refused(teacher_client: Any, db: Any) -> None:
    # encoded in memory: the test client would spool a big body to a file it never closes
    boundary, body = encode_multipart(
        {**META, "format": "auto", "file": FileStorage(io.BytesIO(b"x" * 6_000_000), "huge.txt")}
    )
    response = teacher_client.post(
        "/teach/sources/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "The upload is 5.7 MB; pages of at most 5 MB are read" in response.get_data(as_text=True)
    assert counts(db)["source"] == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paragraphs": "   \n\n  "}, "The text is empty"),
        ({"paragraphs": "A\x00B"}, "control character"),
        ({"date": "1999-02-30"}, "YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"url": "ftp://example.org"}, "http:// or https://"),
        ({"id": "../etc"}, "lower-case letters"),
        ({"publication": " "}, "This field is required"),
    ],
)
def test_save_validates_again_on_the_server(
    teacher_client: Any, db: Any, data: dict, message: str
) -> None:
    form = {**META, "paragraphs": "A paragraph.", "save": "Save", **data}
    response = teacher_client.post("/teach/sources/review", data=form)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert counts(db)["source"] == 0


@pytest.mark.both_dbs
def test_existing_id_with_other_text_needs_confirmation(
    backend: str, teacher_client: Any, db: Any
) -> None:
    assert save(teacher_client, "One.\n\nTwo.\n\nThree.").status_code == 302
    before = snapshot(db)
    refused = save(teacher_client, "One changed.\n\nTwo.")
    body = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "already in the library with different text" in body
    assert "Choose another id" in body
    assert snapshot(db) == before
    # the same text again is no change at all
    assert save(teacher_client, "One.\n\nTwo.\n\nThree.").status_code == 302
    assert snapshot(db) == before
    source_id = db.session.scalar(select(Source.id))
    paragraph_ids = db.session.scalars(select(Paragraph.id).order_by(Paragraph.position)).all()
    replaced = save(teacher_client, "One changed.\n\nTwo.", replace="y")
    assert replaced.status_code == 302
    db.session.expire_all()
    rows = db.session.execute(
        select(Paragraph.id, Paragraph.position, Paragraph.text).order_by(Paragraph.position)
    ).all()
    assert [(r.position, r.text) for r in rows] == [(1, "One changed."), (2, "Two.")]
    assert [r.id for r in rows] == paragraph_ids[:2]  # numbers kept: same rows updated
    assert db.session.scalar(select(Source.id)) == source_id


def test_replacement_that_breaks_evidence_is_refused(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    before = snapshot(db)
    response = save(
        teacher_client,
        "Just one paragraph now.",
        replace="y",
        id="two-coups",
        title="This is a tale of two coups",
        publication="Opinion piece",
        date="",
        url="",
    )
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "pointing nowhere" in body and "tc-triumvirate: two-coups:p11" in body
    assert snapshot(db) == before


def test_page_just_over_the_limit_is_refused_with_its_size(teacher_client: Any, db: Any) -> None:
    boundary, body = encode_multipart(
        {
            **META,
            "format": "auto",
            "file": FileStorage(io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "big.html"),
        }
    )
    response = teacher_client.post(
        "/teach/sources/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "The file is 5.1 MB; the limit is 5 MB. Save the page as HTML only" in page
    assert counts(db)["source"] == 0


def test_oversized_pasted_text_is_refused(teacher_client: Any, db: Any) -> None:
    """Text over the limits is refused with a clear message, never a crash.

    Werkzeug up to 3.1.8 stops an oversized urlencoded field itself (413); from 3.1.9 it no
    longer applies its form memory limit to urlencoded bodies, and the form's own length check
    answers (400). Either way the instructor is told and nothing is saved.
    """
    response = review(teacher_client, **META, text="“quoted” " * 600_000)
    page = response.get_data(as_text=True)
    assert (response.status_code, response.status_code == 413 or "longer than" in page) in (
        (413, True),
        (400, True),
    )
    assert "pages of at most 5 MB are read" in page or "longer than 5242880 characters" in page
    assert counts(db)["source"] == 0


def test_ids_of_library_pages_are_refused(teacher_client: Any, db: Any) -> None:
    response = save(teacher_client, "Text.", id="import")
    assert response.status_code == 409
    assert "names a library page" in html.unescape(response.get_data(as_text=True))
    assert counts(db)["source"] == 0


PAGES = BANKS.parent / "tests" / "pages"


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


def _review_form(page: str) -> dict[str, str]:
    data = {name: _hidden(page, name) for name in ("id", "title", "publication", "date", "url")}
    data["author"] = _hidden(page, "author")
    data["removed"] = _hidden(page, "removed")
    data["shown"] = _hidden(page, "shown")
    data["paragraphs"] = textarea(page)
    return data


def test_saved_news_page_is_reviewed_with_metadata_and_removed_blocks(
    teacher_client: Any, db: Any
) -> None:
    raw = (PAGES / "broadsheet-housing.html").read_bytes()
    response = review(teacher_client, file=(io.BytesIO(raw), "housing.html"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    form = _review_form(page)
    assert form["id"] == "housing-minister-resigns-after-cabinet-rejects-building-plan"
    assert form["title"] == "Housing minister resigns after cabinet rejects building plan"
    assert form["publication"] == "The Northern Ledger"
    assert form["date"] == "2024-03-05"
    assert form["author"] == "Harriet Okafor"
    assert form["url"] == "https://ledger.example/politics/2024/mar/05/housing-minister-resigns"
    assert "Filled in from the page: title, publication, date, url, author" in page
    paragraphs = form["paragraphs"].split("\n\n")
    assert len(paragraphs) == 6 and paragraphs[0].startswith("The housing minister, Rosalind")
    assert "Another minister gone" not in form["paragraphs"]
    assert "Another minister gone" in page  # listed among the removed blocks
    assert "left out after p6" in page
    assert "Check this text before saving" not in page
    assert counts(db)["source"] == 0

    # put back the reader comment, then delete it again, then save
    blocks = json.loads(form["removed"])
    index = next(i for i, b in enumerate(blocks) if b[0].startswith("Another minister gone"))
    restored = teacher_client.post(
        "/teach/sources/review", data={**form, "step": f"restore:{index}"}
    )
    after = _review_form(restored.get_data(as_text=True))
    assert after["paragraphs"].split("\n\n")[6].startswith("Another minister gone")
    deleted = teacher_client.post("/teach/sources/review", data={**after, "step": "delete:7"})
    again = _review_form(deleted.get_data(as_text=True))
    assert again["paragraphs"] == form["paragraphs"]
    saved = teacher_client.post("/teach/sources/review", data={**again, "save": "Save source"})
    assert saved.status_code == 302
    source = db.session.scalar(select(Source))
    assert [p.text for p in source.paragraphs] == paragraphs
    assert source.author == "Harriet Okafor" and source.date == "2024-03-05"


def test_join_and_split_on_the_review_page(teacher_client: Any, db: Any) -> None:
    shown = text_digest(["One. Two.", "Three."])
    data = {**META, "paragraphs": "One. Two.\n\nThree.", "removed": "", "shown": shown}
    joined = teacher_client.post("/teach/sources/review", data={**data, "step": "join:1"})
    assert textarea(joined.get_data(as_text=True)) == "One. Two. Three."
    split = teacher_client.post(
        "/teach/sources/review",
        data={
            **data,
            "paragraphs": "One. Two. Three.",
            "shown": text_digest(["One. Two. Three."]),
            "step": "split:1.3",
        },
    )
    assert textarea(split.get_data(as_text=True)) == "One. Two.\n\nThree."
    assert counts(db)["source"] == 0


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("delete:9", "There is no paragraph 9 (the text has 2)."),
        ("restore:0", "That removed block is no longer in the list"),
        ("split:1", "Say before which sentence to split"),
        ("drop table", "That review step is not known"),
    ],
)
def test_review_steps_that_do_not_apply_are_refused(
    teacher_client: Any, db: Any, step: str, message: str
) -> None:
    data = {**META, "paragraphs": "One. Two.\n\nThree.", "removed": "[]", "step": step}
    data["shown"] = text_digest(["One. Two.", "Three."])
    response = teacher_client.post("/teach/sources/review", data=data)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert counts(db)["source"] == 0


def test_a_step_on_a_stale_preview_is_not_applied(teacher_client: Any, db: Any) -> None:
    """Buttons number the paragraphs the preview showed; edited text is previewed first."""
    shown = text_digest(["One. Two.", "Three."])
    data = {**META, "paragraphs": "Zero.\n\nOne. Two.\n\nThree.", "shown": shown}
    response = teacher_client.post("/teach/sources/review", data={**data, "step": "delete:1"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "The text was edited after this preview" in page
    assert textarea(page) == "Zero.\n\nOne. Two.\n\nThree."  # nothing deleted
    again = _review_form(page)
    deleted = teacher_client.post("/teach/sources/review", data={**again, "step": "delete:1"})
    assert textarea(deleted.get_data(as_text=True)) == "One. Two.\n\nThree."


def test_removed_blocks_are_shown_as_text(teacher_client: Any, db: Any) -> None:
    evil = '<img src=x onerror="alert(1)">'
    removed = json.dumps([[f"Comment {evil} here", "not part of the article", 1]])
    data = {**META, "paragraphs": "One. Two.", "removed": removed, "preview": "Preview"}
    page = teacher_client.post("/teach/sources/review", data=data).get_data(as_text=True)
    assert "<img src=x" not in page and "Comment &lt;img src=x onerror=" in page


def test_page_that_looks_incomplete_is_flagged_on_review(teacher_client: Any, db: Any) -> None:
    raw = (
        "<html><body><main><p>Crowds gather as the results come in.</p>"
        "<ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></main></body></html>"
    )
    page = review(teacher_client, **META, text=raw).get_data(as_text=True)
    assert "Check this text before saving" in page
    assert "The result is very short" in page


def test_page_in_a_declared_encoding_is_read(teacher_client: Any, db: Any) -> None:
    raw = (PAGES / "broadsheet-housing.html").read_text(encoding="utf-8")
    data = raw.replace('charset="utf-8"', 'charset="windows-1252"').encode("cp1252")
    page = review(teacher_client, file=(io.BytesIO(data), "p.html")).get_data(as_text=True)
    assert "“lost its nerve”" in textarea(page)


def test_a_long_article_is_previewed_and_saved(teacher_client: Any, db: Any) -> None:
    """The reviewed text of a long article (700 KB) travels back whole."""
    paragraphs = [
        f"Paragraph {n} of a very long report. " + "Words “quoted” here. " * 140 for n in range(300)
    ]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text.encode("utf-8")) > 700_000
    response = save(teacher_client, text)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert counts(db)["source"] == 1
