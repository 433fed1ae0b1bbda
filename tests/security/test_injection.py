"""Injection: query-string sort and filter values are allow-listed (garbage and SQL-ish values give
the default order, never a 500); YAML tags in an uploaded bank never run; path traversal in
uploaded file names and in references is refused."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Bank, Question, Source, User
from app.services import attempts
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.route_walk import database_snapshot, diff
from tests.support.web import post_multipart, upload

GARBAGE = [
    "", "zzz", "name; DROP TABLE user;--", "score desc, (SELECT 1)", "1 OR 1=1", "' OR '1'='1",
    "__class__", "%", "\x00", "-1", "99999999999999999999", "name\r\nX-Injected: 1", "ü" * 300,
    "{{ config }}", "../../etc/passwd", "score,name", "[]",
]  # fmt: skip


@pytest.fixture
def results_world(make: Any) -> Any:
    s = build(make, [specs.single("i-1"), specs.single("i-2")], published=True)
    now = datetime.now(UTC)
    # Names in an order that no other sort gives: default (name, ascending) is Alice, Bob, Carol.
    for name, answers in (("Carol Zed", ("b", "b")), ("Alice Young", ("a", "a")),
                          ("Bob Xu", ("b", "a"))):  # fmt: skip
        student = make.student(name=name)
        make.enrol(s.course, student)
        attempt = attempts.start_or_resume(s.quiz, student, now)
        for position, value in enumerate(answers, start=1):
            attempts.answer(attempt, position, value, now)
        attempts.submit(attempt, now)
    db.session.commit()
    return s


def _order(html: str) -> list[str]:
    names = ["Alice Young", "Bob Xu", "Carol Zed"]
    return sorted(names, key=lambda n: html.index(n) if n in html else -1)


def test_results_sort_and_filter_values_are_allow_listed(
    results_world: Any, client: Any, login_as: Any
) -> None:
    s = results_world
    login_as(s.teacher)
    url = f"/teach/quizzes/{s.quiz.id}/results"
    default = client.get(url)
    assert default.status_code == 200
    assert _order(default.get_data(as_text=True)) == ["Alice Young", "Bob Xu", "Carol Zed"]
    by_score = client.get(url + "?sort=score&dir=desc").get_data(as_text=True)
    assert _order(by_score)[0] == "Carol Zed"  # the control: real sorting does reorder
    before = database_snapshot()
    for value in GARBAGE:
        for param in ("sort", "dir", "state"):
            r = client.get(f"{url}?{param}={quote(value)}")
            assert r.status_code in (200, 400), f"{param}={value!r}: {r.status_code}"
            html = r.get_data(as_text=True)
            assert _order(html) == ["Alice Young", "Bob Xu", "Carol Zed"], f"{param}={value!r}"
            assert "X-Injected" not in r.headers
        r = client.get(f"{url}?q={quote(value)}")
        assert r.status_code in (200, 400), f"q={value!r}: {r.status_code}"
    assert not diff(before, database_snapshot())


def test_every_dashboard_grading_builder_and_export_parameter_survives_garbage(
    results_world: Any, client: Any, login_as: Any
) -> None:
    s = results_world
    login_as(s.teacher)
    q, c = s.quiz.id, s.course.id
    pages = {
        f"/teach/quizzes/{q}/items": ["attempts"],
        f"/teach/courses/{c}/skills": ["attempts", "quiz"],
        f"/teach/courses/{c}/dashboard": ["sort"],
        f"/teach/quizzes/{q}/grading": ["by", "question", "student", "show"],
        f"/teach/quizzes/{q}/questions": ["bank", "source", "skill", "qtype", "difficulty",
                                          "text"],
        f"/teach/quizzes/{q}/export.csv": ["layout", "no_bom"],
        f"/teach/courses/{c}/gradebook.csv": ["layout", "no_bom"],
        f"/teach/quizzes/{q}/regrade": ["question"],
        f"/teach/quizzes/{q}/accommodations": ["student"],
    }  # fmt: skip
    before = database_snapshot()
    for url, params in pages.items():
        for param in params:
            for value in GARBAGE:
                r = client.get(f"{url}?{param}={quote(value)}")
                assert r.status_code in (200, 400), f"{url}?{param}={value!r}: {r.status_code}"
                if r.status_code == 400 and r.content_type.startswith("text/html"):
                    assert "Something went wrong" not in r.get_data(as_text=True)
                r.close()
    assert not diff(before, database_snapshot())
    assert db.session.scalar(select(func.count()).select_from(User)) == 5  # tables intact


def test_yaml_tags_in_an_uploaded_bank_never_run(
    make: Any, client: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(make.instructor())
    calls: list[Any] = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    for text in (
        "version: 1\nbank: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
        "!!python/object/new:os.system [echo pwned]\n",
        "version: 1\nbank: {id: x, title: !!python/name:os.system }\n",
    ):
        r = post_multipart(client, "/teach/banks/upload", {"file": upload(text)})
        assert r.status_code == 400, text
    assert calls == []
    assert db.session.scalar(select(func.count()).select_from(Bank)) == 0


def test_path_traversal_in_uploaded_file_names_is_neutralised(
    make: Any, client: Any, login_as: Any
) -> None:
    login_as(make.instructor())
    bank = (
        'version: 1\nbank:\n  id: trav-bank\n  title: "T"\nsources:\n  - id: trav\n'
        '    title: "A"\n    publication: "P"\n    text: |\n      One paragraph.\n'
        "questions: []\n"
    )
    for name in ("../../../../etc/cron.d/evil.yaml", "..\\..\\evil.yaml", "/etc/passwd"):
        r = post_multipart(client, "/teach/banks/upload", {"file": upload(bank, name)})
        assert r.status_code in (200, 400)
        html = r.get_data(as_text=True)
        assert "etc/cron.d/evil" not in html and "..\\" not in html and "/etc/passwd" not in html
    r = post_multipart(
        client, "/teach/sources/import",
        {"file": upload("Some text.\n\nMore text.", "../../../instance/secret_key.txt"),
         "id": "trav-source", "title": "T", "publication": "P", "format": "text"},
    )  # fmt: skip
    assert r.status_code in (200, 400)
    assert "instance/secret_key" not in r.get_data(as_text=True)


def test_path_traversal_in_references_is_refused(make: Any, client: Any, login_as: Any) -> None:
    login_as(make.instructor())
    make.source("real-src")
    before = database_snapshot()
    for ref in ("../../../etc/passwd", "/etc/passwd", "sources/../../../../etc/hosts"):
        bank = (
            f'version: 1\nbank:\n  id: ref-bank\n  title: "T"\nsources:\n  - id: ref\n'
            f'    file: "{ref}"\nquestions: []\n'
        )
        r = post_multipart(client, "/teach/banks/upload", {"file": upload(bank)})
        assert r.status_code == 400, ref
        html = r.get_data(as_text=True)
        assert "root:" not in html and "localhost" not in html
    assert not diff(before, database_snapshot())
    # Slugs in URLs name rows, never files.
    for url in (
        "/teach/sources/..%2F..%2Fetc%2Fpasswd/download",
        "/teach/sources/../../etc/passwd/download",
        "/teach/banks/..%2F..%2Fetc%2Fpasswd/export.gift",
        "/teach/banks/..%2Fx/questions/..%2F..%2Fetc",
        "/static/..%2F..%2Finstance%2Fsecret_key",
        "/static/../../instance/secret_key",
        "/static/%2e%2e/%2e%2e/app/config.py",
    ):
        r = client.get(url)
        assert r.status_code == 404, f"{url}: {r.status_code}"
        assert b"root:" not in r.data and b"SECRET" not in r.data
        r.close()
    assert db.session.scalar(select(func.count()).select_from(Source)) == 1
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
