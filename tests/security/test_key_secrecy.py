"""Questions and keys never reach a student before they should: not before the quiz opens, not
before an attempt starts, not before the review policy allows (``never``, ``after_close``), in
HTML, in JSON replies, or in data attributes. Every secret in tests/support/specs.py carries the
marker word ZEBRA; prompts are checked by their text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Attempt, Quiz
from tests.support import specs
from tests.support.quiz_setup import Setup, build

SECRET = specs.SECRET
PROMPTS = [s["prompt"] for s in specs.all_types()]
DATA_ATTRS = re.compile(r"data-(correct|key|answer|score|feedback|explanation|solution)\b")


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _no_secret(label: str, text: str, *, prompts: bool = False) -> None:
    assert SECRET not in text, f"{label}: key material leaked"
    assert not DATA_ATTRS.search(text), f"{label}: a data attribute carries grading data"
    assert "Labourish" not in text, f"{label}: an accepted answer leaked"
    if prompts:
        leaked = [p for p in PROMPTS if p in text.replace("&#39;", "'")]
        assert not leaked, f"{label}: questions shown before an attempt started: {leaked}"


def _start(client: Any, s: Setup) -> Any:
    return client.post(f"/quizzes/{s.quiz.id}/start")


def _attempts(s: Setup) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.quiz_id == s.quiz.id)
    )


def _take(client: Any, s: Setup) -> int:
    r = _start(client, s)
    attempt_id = int(r.headers["Location"].rsplit("/", 1)[1])
    for position in range(1, 9):
        reply = client.post(
            f"/attempts/{attempt_id}/responses/{position}", json={"value": None, "seq": 1}
        )
        _no_secret(f"autosave reply {position}", _text(reply))
    client.post(f"/attempts/{attempt_id}/responses/1", json={"value": "b", "seq": 2})
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302
    return attempt_id


def test_nothing_of_a_quiz_before_it_opens(make: Any, client: Any, login_as: Any) -> None:
    s = build(make, published=True, opens_at=datetime.now(UTC) + timedelta(days=1))
    login_as(s.student)
    for url in (f"/courses/{s.course.id}", f"/quizzes/{s.quiz.id}"):
        r = client.get(url)
        assert r.status_code == 200
        _no_secret(url, _text(r), prompts=True)
    r = _start(client, s)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/quizzes/{s.quiz.id}")
    assert _attempts(s) == 0
    followed = client.get(r.headers["Location"])
    assert "opens at" in _text(followed)
    _no_secret("refused start", _text(followed), prompts=True)
    # No guessable attempt page or autosave exists to probe.
    assert client.get("/attempts/1").status_code == 404
    assert client.post("/attempts/1/responses/1", json={"value": "b", "seq": 1}).status_code == 404


def test_no_question_before_an_attempt_starts(make: Any, client: Any, login_as: Any) -> None:
    s = build(make, published=True)
    login_as(s.student)
    for url in (f"/courses/{s.course.id}", f"/quizzes/{s.quiz.id}", "/courses/"):
        r = client.get(url)
        assert r.status_code == 200
        _no_secret(url, _text(r), prompts=True)


def test_while_answering_no_key_in_html_json_or_data_attributes(
    make: Any, client: Any, login_as: Any
) -> None:
    s = build(make, published=True)
    login_as(s.student)
    attempt_id = int(_start(client, s).headers["Location"].rsplit("/", 1)[1])
    for url in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/submit"):
        _no_secret(url, _text(client.get(url)))
    for position, value in ((1, "b"), (1, "zz"), (99, "a")):
        reply = client.post(
            f"/attempts/{attempt_id}/responses/{position}", json={"value": value, "seq": 5}
        )
        assert reply.is_json
        _no_secret("autosave JSON", _text(reply))
        assert set(reply.get_json()) <= {"saved_at", "seq", "error", "message", "result_url"}


def test_review_policy_never_shows_nothing_even_after_close(
    make: Any, client: Any, login_as: Any
) -> None:
    s = build(
        make, published=True, review_policy={"score": "never", "details": "never"},
        closes_at=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    login_as(s.student)
    attempt_id = _take(client, s)
    pages = [f"/attempts/{attempt_id}/result", f"/quizzes/{s.quiz.id}", f"/courses/{s.course.id}"]
    for url in pages:
        _no_secret(url, _text(client.get(url)))
    db.session.get(Quiz, s.quiz.id).closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    for url in pages:
        text = _text(client.get(url))
        _no_secret(f"{url} after close", text)
        assert "1 / 8" not in text and "/ 8" not in text, f"{url}: score shown under 'never'"
    late = client.post(f"/attempts/{attempt_id}/responses/1", json={"value": "a", "seq": 9})
    _no_secret("autosave after submit", _text(late))


def test_review_policy_after_close_shows_nothing_before_and_everything_after(
    make: Any, client: Any, login_as: Any
) -> None:
    s = build(
        make, published=True, review_policy={"score": "after_close", "details": "after_close"},
        closes_at=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    login_as(s.student)
    attempt_id = _take(client, s)
    result = f"/attempts/{attempt_id}/result"
    for url in (result, f"/quizzes/{s.quiz.id}", f"/courses/{s.course.id}"):
        _no_secret(f"{url} before close", _text(client.get(url)))
    db.session.get(Quiz, s.quiz.id).closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    # The control: once closed the same page shows the key, so the checks above can see it.
    assert SECRET in _text(client.get(result))
