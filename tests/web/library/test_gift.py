"""GIFT through the web: convert, review the YAML and every problem by line, then load."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Bank
from tests.support.library import snapshot
from tests.support.paths import SHARED
from tests.support.web import post_multipart, upload

CONFORMANCE = SHARED / "gift-conformance"
CASES = sorted(CONFORMANCE.glob("*.gift")) if CONFORMANCE.is_dir() else []
GIFT = """// [id:q-capital] [tag:literal]
::Capital::What is the capital of France? {=Paris#Right ~London#No ~Berlin}

::Sum::2 plus 2 is {#four}

::Year::When was Grant born? {#=1822:0#Right =%50%1822:2#Close}

::True::The sky is blue. {T}
"""


def convert(client: Any, text: str | bytes, **data: Any) -> Any:
    fields = {"bank_id": "moodle-import", "title": "From Moodle", "source": "two-coups", **data}
    return post_multipart(
        client, "/teach/banks/import-gift", {**fields, "file": upload(text, "quiz.gift")}
    )


def test_gift_converts_shows_yaml_and_problems_then_loads(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    before = snapshot(db)
    response = convert(teacher_client, GIFT)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, body[:4000]
    assert "quiz.gift:4: sum: numerical answer 'four': 'four' is not a number" in body
    assert "not imported" in body
    assert 'id: "two-coups"' in body and "q-capital" in body  # the YAML for review
    assert "Questions added: 3" in body
    assert snapshot(db) == before
    yaml_text = re.search(r'<pre class="yaml-preview"><code>(.*?)</code></pre>', body, re.S)
    tokens = re.findall(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    download = teacher_client.post("/teach/banks/download", data={"token": tokens[-1]})
    assert download.status_code == 200
    assert download.get_data(as_text=True) == yaml_text.group(1)
    assert 'filename="moodle-import.yaml"' in download.headers["Content-Disposition"]
    loaded = teacher_client.post("/teach/banks/confirm", data={"token": tokens[0]})
    assert loaded.status_code == 302
    bank = db.session.scalar(select(Bank).where(Bank.slug == "moodle-import"))
    assert sorted(q.key for q in bank.questions) == ["q-capital", "true", "year"]
    year = next(q for q in bank.questions if q.key == "year").versions[-1].spec
    assert year["type"] == "numeric"
    assert [(a["value"], a["tolerance"], a["credit"]) for a in year["answers"]] == [
        (1822, 0, 1.0),
        (1822, 2, 0.5),
    ]


@pytest.mark.parametrize(
    ("data", "text", "message"),
    [
        ({}, b"::Q::caf\xe9 {T}", "The GIFT file is not UTF-8 text"),
        ({}, "::Sum::1+1 {#two}", "No question could be converted"),
        ({"source": ""}, GIFT, "Choose a source"),
        ({"source": "no-such"}, GIFT, "Not a valid choice"),
        ({"bank_id": "Bad Id"}, GIFT, "lower-case letters"),
        ({}, "::Q::\x00 {T}", "control character"),
    ],
)
def test_bad_gift_input_is_refused(
    teacher_client: Any, db: Any, real_banks: Any, data: dict, text: str | bytes, message: str
) -> None:
    before = snapshot(db)
    response = convert(teacher_client, text, **data)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert snapshot(db) == before


def test_gift_question_id_taken_by_another_bank_is_an_error(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    response = convert(teacher_client, "// [id:tc-triumvirate]\n::T::Q? {T}\n")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "already used by bank `two-coups-reading`" in body
    assert "Download YAML" in body  # the converted file can still be fixed offline


def test_gift_xss_is_inert(teacher_client: Any, db: Any, real_banks: Any) -> None:
    text = (
        "::<script>t</script>::<script>alert(1)</script> ok? {=<img src=x onerror=alert(1)> ~no}\n"
    )
    response = convert(teacher_client, text)
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src" not in body


@pytest.mark.skipif(not CASES, reason="shared/gift-conformance is missing")
def test_conformance_files_never_break_the_page(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    before = snapshot(db)
    for case in CASES:
        response = convert(teacher_client, case.read_bytes())
        assert response.status_code in (200, 400), case.name
        body = response.get_data(as_text=True)
        assert "Something went wrong" not in body, case.name
        scripts = re.findall(r"<script[^>]*>", body)  # only the app's own static scripts
        assert all(re.fullmatch(r'<script src="/static/js/[\w.-]+" defer>', t) for t in scripts), (
            case.name
        )
    assert snapshot(db) == before
