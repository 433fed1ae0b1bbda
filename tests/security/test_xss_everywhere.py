"""Stored XSS: payloads put wherever people can type, then every page that shows them parsed.

Payloads go in through the real paths: a bank file (prompt, options, feedback, explanation,
embedded article title and text) loaded by the bank loader, a GIFT file with ``[html]`` text,
account names and student ids, course and quiz titles, a student's essay and short answer, and
a grader's comment. Then every GET route is called as the course's instructor and as the
student, and each HTML page is parsed with ``html.parser``: no script element that is not our
own static file, no ``on*`` attribute, no ``javascript:`` URL, anywhere. Template syntax and
Python in bank text come out literally. CSV exports carry the payloads as inert text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.domain.banks.gift import gift_to_bank_yaml, parse_gift
from app.domain.banks.schema import parse_bank
from app.extensions import db
from app.models import Bank, Question, QuizSlot, Response, Source
from app.services import attempts
from app.services.bank_sync import sync_banks
from app.services.library import library_sources
from tests.support.factories import Factory
from tests.support.route_walk import World, build_url, live_markup, routes

SCRIPT = "<script>alert('xss-script')</script>"
IMG = "<img src=x onerror=alert('xss-img')>"
LINK = "<a href=\"javascript:alert('xss-link')\">click</a>"
SVG = "<svg onload=alert('xss-svg')>"
ALL = f"{SCRIPT}{IMG}{LINK}{SVG}"
TEMPLATE = "{{ config }} {{ 7*7 }} {% raw %}raw{% endraw %} __import__('os').system('id')"


def _q(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


BANK = f"""version: 1
bank:
  id: xss-bank
  title: {_q("Bank " + ALL)}
sources:
  - id: xss-src
    title: {_q("Article " + ALL)}
    publication: {_q("Gazette " + IMG)}
    date: "2016-09-25"
    url: "https://example.org/a"
    author: {_q("Author " + SVG)}
    text: |
      First paragraph {SCRIPT} and {IMG}.

      Second paragraph {LINK} and {SVG}.

      Third paragraph {TEMPLATE}.
questions:
  - id: xss-single
    type: single
    prompt: {_q("Prompt " + ALL + " " + TEMPLATE)}
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: {_q("Explanation " + ALL)}
    feedback_correct: {_q("Right " + ALL)}
    options:
      - text: {_q("Option one " + ALL)}
        correct: true
        feedback: {_q("Option feedback " + ALL)}
      - text: {_q("Option two " + TEMPLATE)}
      - text: "Option three"
  - id: xss-short
    type: short
    prompt: {_q("Short " + ALL)}
    skill: literal
    difficulty: easy
    evidence: [p2]
    explanation: "Because."
    accepted:
      - {{text: {_q("answer " + SCRIPT)}, feedback: {_q("Accepted " + ALL)}}}
  - id: xss-essay
    type: essay
    prompt: {_q("Essay " + ALL)}
    skill: perspective
    difficulty: hard
    evidence: [p3]
    explanation: {_q("Model " + ALL)}
    model_answer: {_q("Model answer " + ALL)}
    rubric:
      - {{criterion: {_q("Criterion " + ALL)}, points: 1, description: {_q("Desc " + ALL)}}}
"""

GIFT = (
    "::xss gift::[html]<p>Gift prompt <script>alert('g')</script><img src=x onerror=alert('g')>"
    "<a href='javascript:alert(1)'>x</a><svg onload=alert('g')></svg></p>"
    "{=[html]<b onclick\\=alert('g')>right</b>#[html]<img src\\=x onerror\\=alert('fb')>ok "
    "~[html]<svg onload\\=alert('g')></svg>wrong}\n"
)


@pytest.fixture
def xss_world(make: Factory) -> World:
    bank, problems = parse_bank(BANK, filename="xss.yaml")
    assert bank is not None, problems
    sync_banks([bank])
    db.session.commit()
    gift = parse_gift(GIFT, filename="xss.gift")
    gift_yaml = gift_to_bank_yaml(
        gift, bank_id="xss-gift", title="Gift " + ALL, sources=[{"id": "xss-src"}]
    )
    gift_bank, gift_problems = parse_bank(
        gift_yaml, filename="xss-gift.yaml", known_sources=library_sources()
    )
    assert gift_bank is not None, gift_problems
    sync_banks([gift_bank])
    db.session.commit()

    teacher = make.instructor(name="Teacher " + ALL)
    other_teacher = make.instructor()
    course = make.course(teacher, title="Course " + ALL)
    owner = make.student(name="Student " + ALL, student_number="S1" + IMG)
    classmate = make.student(name='=HYPERLINK("http://evil.example","x")' + SCRIPT)
    other_student = make.student()
    make.enrol(course, owner, section="Sec " + SVG)
    make.enrol(course, classmate)
    make.enrol(make.course(other_teacher), other_student)
    questions = list(db.session.scalars(select(Question).order_by(Question.id)))
    source = db.session.scalar(select(Source).where(Source.slug == "xss-src"))
    quiz = make.quiz(
        course, questions, source=source, title="Quiz " + ALL, published=True,
        attempts_allowed=3, shuffle_options=False,
        closes_at=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    now = datetime.now(UTC)
    done = attempts.start_or_resume(quiz, owner, now)
    db.session.commit()
    rows = attempts.responses_of(done)
    positions = {r.question_version.spec["id"]: r.position for r in rows}
    attempts.answer(done, positions["xss-essay"], "Essay answer " + ALL + " " + TEMPLATE, now)
    attempts.answer(done, positions["xss-short"], "short " + ALL, now)
    attempts.answer(done, positions["xss-single"], "a", now)
    attempts.submit(done, now)
    db.session.commit()
    essay = next(r for r in rows if r.position == positions["xss-essay"])
    open_ = attempts.start_or_resume(quiz, owner, now)
    db.session.commit()
    return World(
        users={"owner": owner, "classmate": classmate, "other_student": other_student,
               "instructor": teacher, "other_instructor": other_teacher},
        course=course, quiz=quiz, open_attempt=open_, done_attempt=done, essay_response=essay,
        slot=db.session.scalar(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id)),
        question=questions[0], bank=db.session.scalar(select(Bank).where(Bank.slug == "xss-bank")),
        source=source,
    )  # fmt: skip


def _login(web_app: Flask, login_as: Callable[..., Any], user: Any) -> Any:
    c = web_app.test_client()
    login_as(user, c=c)
    return c


def _grade_essay(web_app: Flask, login_as: Callable[..., Any], w: World) -> None:
    teacher = _login(web_app, login_as, w.users["instructor"])
    url = f"/teach/quizzes/{w.quiz.id}/grading/{w.essay_response.id}"
    r = teacher.post(url, data={"criterion_0": "1", "score": "1", "comment": "Comment " + ALL})
    assert r.status_code in (200, 302), r.get_data(as_text=True)[:2000]
    db.session.expire_all()
    comment = db.session.get(Response, w.essay_response.id).comment
    assert comment and "Comment" in comment, "the grader's comment was not stored"


def _extra_urls(w: World) -> list[str]:
    """Pages behind query strings that show the same data another way."""
    q = w.quiz.id
    return [
        f"/teach/quizzes/{q}/results?sort=score&dir=desc",
        f"/teach/quizzes/{q}/results?q=Student",
        f"/teach/quizzes/{q}/grading?by=student",
        f"/teach/quizzes/{q}/grading?state=all",
        f"/teach/quizzes/{q}/questions?q=Prompt",
        f"/attempts/{w.done_attempt.id}/result",
    ]


@pytest.mark.parametrize("visitor", ["instructor", "owner", "classmate"])
def test_payloads_are_inert_on_every_page(
    web_app: Flask, xss_world: World, login_as: Callable[..., Any], visitor: str
) -> None:
    w = xss_world
    _grade_essay(web_app, login_as, w)
    client = _login(web_app, login_as, w.users[visitor])
    urls = [build_url(web_app, rule, w) for rule in routes(web_app, "GET")] + _extra_urls(w)
    shown = 0
    for url in urls:
        r = client.get(url)
        assert r.status_code < 500, f"GET {url}: {r.status_code}"
        if not r.content_type.startswith("text/html"):
            continue
        html = r.get_data(as_text=True)
        problems = live_markup(html)
        assert not problems, f"GET {url} as {visitor}: live markup {problems[:3]}"
        assert "test-secret" not in html and "SECRET_KEY" not in html, url
        assert "<Config" not in html and "&lt;Config" not in html, f"{url}: template ran"
        shown += html.count("alert(")
    assert shown > 20, "the payloads were not shown at all: the walk proves nothing"


def test_the_payloads_reach_the_pages_that_matter_as_text(
    web_app: Flask, xss_world: World, login_as: Callable[..., Any]
) -> None:
    """Not just stripped: instructors and students read what was typed, escaped."""
    w = xss_world
    _grade_essay(web_app, login_as, w)
    teacher = _login(web_app, login_as, w.users["instructor"])
    student = _login(web_app, login_as, w.users["owner"])
    escaped = "&lt;script&gt;alert("
    results = teacher.get(f"/teach/quizzes/{w.quiz.id}/results").get_data(as_text=True)
    assert escaped in results  # student name, course/quiz titles
    grading = teacher.get(f"/teach/quizzes/{w.quiz.id}/grading/{w.essay_response.id}").get_data(
        as_text=True
    )
    assert "Essay answer" in grading and escaped in grading  # the essay as the student typed
    review = student.get(f"/attempts/{w.done_attempt.id}/result").get_data(as_text=True)
    assert "Comment" in review and escaped in review  # the grader's comment
    page = student.get(f"/attempts/{w.open_attempt.id}").get_data(as_text=True)
    # Template syntax and Python in bank text are shown literally, not run.
    assert "{{ config }}" in page and "{{ 7*7 }}" in page and "{% raw %}" in page
    assert "__import__(&#39;os&#39;).system(&#39;id&#39;)" in page
    gift_question = teacher.get("/teach/banks/xss-gift/questions/xss-gift")
    assert "Gift prompt" in gift_question.get_data(as_text=True)  # GIFT [html], sanitised


def test_csv_exports_carry_payloads_as_inert_text(
    web_app: Flask, xss_world: World, login_as: Callable[..., Any]
) -> None:
    w = xss_world
    teacher = _login(web_app, login_as, w.users["instructor"])
    for url in (
        f"/teach/quizzes/{w.quiz.id}/export.csv",
        f"/teach/courses/{w.course.id}/gradebook.csv",
    ):
        r = teacher.get(url)
        assert r.status_code == 200, url
        assert r.content_type.startswith("text/csv")
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
        cells = [c for row in rows for c in row]
        assert any("Student" in c for c in cells), url
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (url, cell)


def test_the_checker_itself_sees_every_payload_when_it_is_live() -> None:
    """The page checks above are only as good as this parser: feed it the raw payloads."""
    problems = live_markup(f"<p>{ALL}</p><form action='javascript:x'></form>")
    assert len(problems) == 5, problems
    assert not live_markup('<script src="/static/js/attempt.js"></script><a href="/x">ok</a>')
    assert live_markup("<a href=' JaVaScRiPt:alert(1)'>x</a>")
