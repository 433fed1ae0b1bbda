"""The source page as the studio's starting point: coverage per paragraph on the real banks,
sentence numbers on demand, and "new question about this passage" without JavaScript."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.domain import question_types
from app.models import Bank, BankSource, Question, Source
from tests.support import specs
from tests.support.library import _parsed_real_banks

PASSAGE = re.compile(r'<div class="passage">(.*?)</div>\s*</div>', re.S)


def page_of(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def shown_counts(page: str) -> dict[int, int]:
    """Paragraph number → the count its coverage marker shows."""
    counts: dict[int, int] = {}
    for block in PASSAGE.findall(page):
        number = int(re.search(r'class="source-paragraph" id="p(\d+)"', block)[1])
        marker = re.search(r'class="coverage-marker coverage-(\w+)">([^<]*)<', block)
        assert marker, block[:300]
        text = marker[2].strip()
        if text == "No question yet":
            assert marker[1] == "none"
            counts[number] = 0
        else:
            found = re.fullmatch(r"(\d+) questions?", text)
            assert found, text
            counts[number] = int(found[1])
            assert marker[1] == ("well" if counts[number] >= 2 else "some")
    return counts


def counted_from_files(source: str) -> tuple[dict[int, set[str]], int]:
    """Paragraph → ids of the shipped questions whose spec mentions ``source:pN`` anywhere:
    worked out from the bank files' specs as JSON text, not by the code under test."""
    banks, _ = _parsed_real_banks()
    cited: dict[int, set[str]] = defaultdict(set)
    for bank in banks:
        for question in bank.questions:
            text = json.dumps(question.spec)
            for number in re.findall(rf'"{re.escape(source)}:p(\d+)(?:\.s\d+)?"', text):
                cited[int(number)].add(question.id)
    paragraphs = next(
        len(doc.paragraphs) for bank in banks for doc in bank.sources if doc.id == source
    )
    return cited, paragraphs


@pytest.mark.parametrize("slug", ["two-coups", "kamikaze"])
def test_counts_shown_match_the_bank_files(teacher_client: Any, real_banks: Any, slug: str) -> None:
    cited, paragraphs = counted_from_files(slug)
    page = page_of(teacher_client, f"/teach/sources/{slug}")
    shown = shown_counts(page)
    assert sorted(shown) == list(range(1, paragraphs + 1))
    assert shown == {n: len(cited.get(n, ())) for n in range(1, paragraphs + 1)}
    examined = [n for n in shown if shown[n]]
    missing = [n for n in shown if not shown[n]]
    summary = re.search(r'id="coverage-summary">(.*?)</p>', page, re.S)[1]
    words = " ".join(re.sub(r"<[^>]+>", "", summary).split())
    if missing:
        assert words.startswith(
            f"{len(examined)} of {paragraphs} paragraphs examined by at least one question; "
            f"not yet: {', '.join(map(str, missing))}."
        )
        for number in missing:
            assert f'<a href="#p{number}"' in summary
    else:
        assert words.startswith(f"All {paragraphs} paragraphs are examined")
    questions = len(set().union(*cited.values()))
    assert f"({questions} current questions cite this article.)" in words


def test_each_citing_question_links_to_its_editor(teacher_client: Any, real_banks: Any) -> None:
    cited, _ = counted_from_files("two-coups")
    page = page_of(teacher_client, "/teach/sources/two-coups")
    blocks = {int(re.search(r'id="p(\d+)"', block)[1]): block for block in PASSAGE.findall(page)}
    banks_of = {q.id: b.id for b in _parsed_real_banks()[0] for q in b.questions}
    for number, keys in cited.items():
        linked = re.findall(r'href="/teach/banks/([^/"]+)/questions/([^/"]+)/edit"', blocks[number])
        assert sorted(linked) == sorted((banks_of[k], k) for k in keys)
    # the editor the link names opens
    bank, key = re.search(r'href="/teach/banks/([^/"]+)/questions/([^/"]+)/edit"', page).groups()
    assert teacher_client.get(f"/teach/banks/{bank}/questions/{key}/edit").status_code == 200


def test_a_retired_question_no_longer_counts(teacher_client: Any, real_banks: Any, db: Any) -> None:
    before = shown_counts(page_of(teacher_client, "/teach/sources/two-coups"))
    question = db.session.scalar(select(Question).where(Question.key == "tc-triumvirate"))
    question.retired_at = question.created_at
    db.session.commit()
    after = shown_counts(page_of(teacher_client, "/teach/sources/two-coups"))
    assert after[11] == before[11] - 1  # tc-triumvirate cites p11 alone
    assert {n: c for n, c in after.items() if n != 11} == {
        n: c for n, c in before.items() if n != 11
    }


def test_sentence_numbers_on_demand_in_the_bank_notation(
    teacher_client: Any, real_banks: Any, db: Any
) -> None:
    plain = page_of(teacher_client, "/teach/sources/two-coups")
    shown = page_of(teacher_client, "/teach/sources/two-coups?sentences=1")
    assert 'class="source show-sentence-numbers"' in shown
    assert "show-sentence-numbers" not in plain
    assert 'href="/teach/sources/two-coups?sentences=1" id="sentence-toggle"' in plain
    assert ">Hide sentence numbers</a>" in shown
    # the numbers are the bank format's: the same sentences as the stored split
    source = db.session.scalar(select(Source).where(Source.slug == "two-coups"))
    four = source.paragraphs[3]
    markers = re.findall(r'<span class="sentence-number">(p4\.s\d+)</span>', shown)
    assert markers == [f"p4.s{i}" for i in range(1, len(four.sentences) + 1)]
    for i, sentence in enumerate(four.sentences, start=1):
        assert f'id="p4.s{i}">{html.escape(sentence, quote=False)}</span>' in shown.replace(
            "&#39;", "'"
        )


def test_the_new_question_form_lists_banks_citing_and_every_type(
    teacher_client: Any, real_banks: Any
) -> None:
    page = page_of(teacher_client, "/teach/sources/two-coups")
    form = re.search(
        r'<form method="get" action="([^"]+)" id="new-question-form".*?</form>', page, re.S
    )
    assert form[1] == "/teach/sources/two-coups/new-question"
    banks = re.findall(
        r'<option value="([^"]+)"', re.search(r'name="bank".*?</select>', form[0], re.S)[0]
    )
    assert banks == ["two-coups-kamikaze-comparison", "two-coups-reading"]
    types = re.findall(
        r'<option value="([^"]+)"', re.search(r'name="type".*?</select>', form[0], re.S)[0]
    )
    assert types == list(question_types.NAMES)
    assert re.findall(r'form="new-question-form" name="ref" value="two-coups:p(\d+)"', page) == [
        str(n) for n in range(1, len(PASSAGE.findall(page)) + 1)
    ]
    assert ">New question about paragraph 4</button>" in page


def test_the_form_without_javascript_lands_in_the_editor(
    teacher_client: Any, real_banks: Any
) -> None:
    response = teacher_client.get(
        "/teach/sources/two-coups/new-question?bank=two-coups-reading&type=single&ref=two-coups:p4"
    )
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/teach/banks/two-coups-reading/new-question"
    assert parse_qs(target.query) == {"type": ["single"], "ref": ["two-coups:p4"]}
    editor = teacher_client.get(response.headers["Location"])
    assert editor.status_code == 200
    ticked = re.findall(r'name="evidence" value="([^"]+)" checked', editor.get_data(as_text=True))
    assert ticked == ["two-coups:p4"]


def test_sentence_refs_pass_through_in_order(teacher_client: Any, real_banks: Any) -> None:
    response = teacher_client.get(
        "/teach/sources/two-coups/new-question?bank=two-coups-kamikaze-comparison&type=single"
        "&ref=two-coups:p4.s2&ref=two-coups:p4.s3&ref=two-coups:p4.s2"
    )
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert (
        urlsplit(response.headers["Location"]).path
        == "/teach/banks/two-coups-kamikaze-comparison/new-question"
    )
    assert query["ref"] == ["two-coups:p4.s2", "two-coups:p4.s3"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "bank=kamikaze-reading&type=single&ref=two-coups:p4",
            "Choose one of the banks that cite this source.",
        ),
        (
            "bank=nope&type=single&ref=two-coups:p4",
            "Choose one of the banks that cite this source.",
        ),
        ("bank=two-coups-reading&type=bogus&ref=two-coups:p4", "Choose a question type."),
        (
            "bank=two-coups-reading&type=single",
            "Choose a paragraph, or select sentences in the article.",
        ),
        ("bank=two-coups-reading&type=single&ref=two-coups:p99", "two-coups has no paragraph 99"),
        ("bank=two-coups-reading&type=single&ref=kamikaze:p1", "is not a passage of two-coups"),
        (
            "bank=two-coups-reading&type=single&ref=two-coups:p4.s40",
            "Paragraph 4 of two-coups has no sentence 40",
        ),
    ],
)
def test_a_bad_request_goes_back_to_the_source_page_saying_why(
    teacher_client: Any, real_banks: Any, query: str, message: str
) -> None:
    response = teacher_client.get(f"/teach/sources/two-coups/new-question?{query}")
    assert response.status_code == 302
    back = urlsplit(response.headers["Location"])
    assert back.path == "/teach/sources/two-coups"
    sent = parse_qs(query)
    assert parse_qs(back.query) == {"bank": sent["bank"], "type": sent["type"]}  # kept chosen
    page = page_of(teacher_client, response.headers["Location"])
    assert html.escape(message, quote=False) in page.replace("&#34;", '"')
    if sent["type"][0] == "single":
        assert '<option value="single" selected>' in page
    if sent["bank"][0] == "two-coups-reading":
        assert '<option value="two-coups-reading" selected>' in page


def test_many_bad_refs_say_the_first_few(teacher_client: Any, real_banks: Any) -> None:
    refs = "&".join(f"ref=x{i}{'y' * 60}" for i in range(10))
    response = teacher_client.get(
        f"/teach/sources/two-coups/new-question?bank=two-coups-reading&type=single&{refs}"
    )
    page = page_of(teacher_client, response.headers["Location"])
    assert page.count("is not a passage of two-coups") == 3
    assert "… and 7 more." in page
    assert "y" * 60 not in page  # a long ref is shortened


def test_unknown_source_is_404(teacher_client: Any, real_banks: Any) -> None:
    assert teacher_client.get("/teach/sources/nope").status_code == 404
    assert teacher_client.get("/teach/sources/nope/new-question?bank=x").status_code == 404


def test_prompts_are_shown_escaped(teacher_client: Any, make: Any, db: Any) -> None:
    source = make.source("art", paragraphs=2)
    bank = Bank(slug="b-escape", title="Escapes")
    db.session.add(bank)
    db.session.flush()
    db.session.add(BankSource(bank_id=bank.id, source_id=source.id))
    spec = {
        **specs.single(),
        "id": "q-escape",
        # sanitised prompt HTML holds the tag as text; it must never come back as a tag
        "prompt": "<p>&lt;script&gt;alert(1)&lt;/script&gt; who &amp; why?</p>",
        "evidence": ["art:p2.s1"],
    }
    make.question(spec, bank)
    page = page_of(teacher_client, "/teach/sources/art")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; who &amp; why?" in page
    assert 'href="/teach/banks/b-escape/questions/q-escape/edit"' in page
    assert shown_counts(page) == {1: 0, 2: 1}
    summary = re.search(r'id="coverage-summary">(.*?)</p>', page, re.S)[1]
    assert " ".join(re.sub(r"<[^>]+>", "", summary).split()) == (
        "1 of 2 paragraphs examined by at least one question; not yet: 1. "
        "(1 current question cites this article.)"
    )
    assert '<a href="#p1" aria-label="paragraph 1">1</a>' in summary


def test_a_source_no_bank_cites_offers_a_new_bank(teacher_client: Any, make: Any) -> None:
    make.source("lonely", paragraphs=2)
    page = page_of(teacher_client, "/teach/sources/lonely")
    assert "No bank cites this article yet" in page
    assert 'href="/teach/studio/banks/new?source=lonely"' in page
    assert 'id="new-question-form"' not in page and "New question about paragraph" not in page
    assert shown_counts(page) == {1: 0, 2: 0}


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_page_reads_a_fixed_number_of_queries(teacher_client: Any, make: Any, db: Any) -> None:
    """No query per question or per paragraph: 5 or 40 questions, the same statements."""
    source = make.source("many", paragraphs=12)
    bank = Bank(slug="b-many", title="Many")
    db.session.add(bank)
    db.session.flush()
    db.session.add(BankSource(bank_id=bank.id, source_id=source.id))

    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            make.question(
                {**specs.single(), "id": f"q-{bank.id}-{i}", "evidence": [f"many:p{i % 12 + 1}"]},
                bank,
            )

    add(0, 5)
    page_of(teacher_client, "/teach/sources/many")  # warm up (login, caches)
    with count_queries() as few:
        page_of(teacher_client, "/teach/sources/many")
    add(5, 35)
    with count_queries() as many:
        page = page_of(teacher_client, "/teach/sources/many")
    assert sum(shown_counts(page).values()) == 40
    assert len(many) == len(few) <= 8, many


@pytest.mark.parametrize(
    "url", ["/teach/sources/two-coups", "/teach/sources/two-coups/new-question"]
)
def test_students_get_404_and_anonymous_visitors_log_in(
    client: Any, login_as: Any, make: Any, real_banks: Any, url: str
) -> None:
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert login_as(make.student()).get(url).status_code == 404
