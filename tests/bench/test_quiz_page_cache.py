"""The quiz page's fragment cache (app/services/attempt_store.py) never changes what is shown.

Fragments are kept per process by a key of everything they show, so the page served from the
cache must be byte for byte the page rendered afresh, before and after answers change, and an
answer must never be shown to someone else whose question looks the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.services import attempt_store
from bench import fixture

CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def _page(client: FlaskClient, attempt_id: int) -> str:
    reply = client.get(f"/attempts/{attempt_id}")
    assert reply.status_code == 200
    return CSRF.sub(r'\1"', reply.get_data(as_text=True))


@pytest.fixture
def taking(app: Flask, web_app: Flask) -> dict[str, Any]:
    fixture.load_shipped_banks()
    course = fixture.build_course(2, {"exam": 1}, label="cache")
    quiz = course.quizzes["exam"][0]
    ids = [uid for uid, _ in course.students]
    attempts = fixture.open_attempts(quiz, ids, answered=False)
    clients = []
    for _, email in course.students:
        c = web_app.test_client()
        reply = c.post("/login", data={"email": email, "password": fixture.PASSWORD})
        assert reply.status_code == 302
        clients.append(c)
    return {"quiz": quiz, "attempts": [attempts[i] for i in ids], "clients": clients}


@pytest.fixture(autouse=True)
def _default_cache() -> Iterator[None]:
    attempt_store.configure_page_cache()
    yield
    attempt_store.configure_page_cache()


def _uncached() -> None:
    attempt_store.configure_page_cache(entries=0, chars=0)


def test_cached_page_is_the_page_rendered_afresh(
    taking: dict[str, Any],
) -> None:
    client, attempt_id = taking["clients"][0], taking["attempts"][0]
    attempt_store.clear_page_cache()
    cold = _page(client, attempt_id)
    warm = _page(client, attempt_id)
    _uncached()
    assert cold == warm == _page(client, attempt_id)


def test_a_saved_answer_shows_at_once_and_only_to_its_owner(
    taking: dict[str, Any],
) -> None:
    quiz = taking["quiz"]
    (mine, theirs), (my_attempt, their_attempt) = taking["clients"], taking["attempts"]
    attempt_store.clear_page_cache()
    before_mine, before_theirs = _page(mine, my_attempt), _page(theirs, their_attempt)
    essay = "A long essay. " * 400  # longer than the cache keeps: rendered each time
    for position, value in ((10, fixture.answer_for(quiz.specs[9], 1)), (6, essay)):
        reply = mine.post(
            f"/attempts/{my_attempt}/responses/{position}", json={"value": value, "seq": 1}
        )
        assert reply.status_code == 200, reply.get_data(as_text=True)
    after_mine = _page(mine, my_attempt)
    assert after_mine != before_mine and "A long essay." in after_mine
    assert _page(theirs, their_attempt) == before_theirs
    _uncached()
    assert _page(mine, my_attempt) == after_mine


def test_the_cache_is_bounded() -> None:
    cache = attempt_store.FragmentCache(entries=3, chars=10)
    for key in "abcd":
        cache.put(key, "xy")
    assert cache.get("a") is None and cache.get("d") == "xy"
    cache.put("big", "z" * 9)
    assert cache.used <= 10 and cache.get("big") == "z" * 9


def test_a_refused_answer_is_shown_once_and_never_kept(
    taking: dict[str, Any],
) -> None:
    """The no-JS form's refusal is part of the page it re-renders, not of the cached block."""
    quiz, client, attempt_id = taking["quiz"], taking["clients"][0], taking["attempts"][0]
    attempt_store.clear_page_cache()
    before = _page(client, attempt_id)
    single = next(p for p, s in enumerate(quiz.specs, start=1) if s["type"] == "single")
    reply = client.post(
        f"/attempts/{attempt_id}",
        data={"page": "1", "action": "save", f"q{single}": "no-such-option", f"seq-{single}": "0"},
    )
    assert reply.status_code == 400
    refused = CSRF.sub(r'\1"', reply.get_data(as_text=True))
    assert f'id="q{single}-error" role="alert"' in refused and "has-error" not in before
    assert _page(client, attempt_id) == before  # nothing was saved, and no error is kept
    _uncached()
    assert _page(client, attempt_id) == before


def test_the_page_block_is_keyed_by_every_answer_of_the_page(
    taking: dict[str, Any],
) -> None:
    """Two saves of one question give two different pages; the count of answers follows."""
    quiz, client, attempt_id = taking["quiz"], taking["clients"][0], taking["attempts"][0]
    attempt_store.clear_page_cache()
    spec = quiz.specs[9]
    pages = []
    for seq in (1, 2):
        reply = client.post(
            f"/attempts/{attempt_id}/responses/10",
            json={"value": fixture.answer_for(spec, seq), "seq": seq},
        )
        assert reply.status_code == 200, reply.get_data(as_text=True)
        pages.append(_page(client, attempt_id))
    assert 'id="answered-count">1<' in pages[0] and pages[0] != pages[1]
