"""CSRF on every state-changing route, found by walking ``app.url_map`` (CSRF on, as deployed).

Each POST is sent by the visitor for whom the route works (so a refusal is CSRF, not access
control): without a token, with another user's token, and, for the JSON autosave, as the
cross-site ``text/plain`` post a foreign page can send without a preflight. All are refused and
the database is unchanged, row for row. Then: GET never changes anything, and a token issued
hours ago (a long exam) still submits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from app import create_app
from app.models import Attempt
from tests.support.factories import Factory
from tests.support.route_walk import (
    World,
    allowed_visitor,
    build_url,
    build_world,
    csrf_token,
    database_snapshot,
    diff,
    login_with_csrf,
    routes,
)
from tests.support.web import SessionSyncClient

ATTACK_FORM = {
    "title": "hijacked", "score": "99", "reason": "because", "value": "a", "seq": "1",
    "published": "y", "name": "x", "email": "x@example.test", "question_ids": "1",
    "action": "finish", "points": "5", "comment": "hi", "apply": "1", "join_code": "POL101",
    "password": "correct horse battery", "new_password": "another long one",
}  # fmt: skip


@pytest.fixture
def csrf_app(app_config: dict[str, Any]) -> Flask:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    app.test_client_class = SessionSyncClient
    return app


@pytest.fixture
def world(make: Factory) -> World:
    return build_world(make)


@pytest.fixture
def browsers(csrf_app: Flask, world: World) -> Callable[[str], tuple[Any, str]]:
    """visitor → (logged-in client, a token valid for that client's session)."""
    made: dict[str, tuple[Any, str]] = {}

    def get(visitor: str) -> tuple[Any, str]:
        if visitor not in made:
            client = csrf_app.test_client()
            if visitor == "anonymous":
                made[visitor] = (client, csrf_token(client.get("/login")))
            else:
                made[visitor] = (client, login_with_csrf(client, world.users[visitor]))
        return made[visitor]

    return get


def _post(client: Any, url: str, endpoint: str, token_header: str | None) -> Any:
    if endpoint == "student.save":
        headers = {"X-CSRFToken": token_header} if token_header else {}
        return client.post(url, json={"value": "a", "seq": 7}, headers=headers)
    data = dict(ATTACK_FORM)
    if token_header:
        data["csrf_token"] = token_header
    return client.post(url, data=data)


def test_every_post_without_a_token_is_refused_and_changes_nothing(
    csrf_app: Flask, world: World, browsers: Callable[[str], tuple[Any, str]]
) -> None:
    checked = []
    for rule in routes(csrf_app, "POST"):
        visitor = "anonymous" if rule.endpoint in ("auth.login", "auth.signup") else None
        client, _ = browsers(visitor or allowed_visitor(rule.endpoint))
        url = build_url(csrf_app, rule, world)
        before = database_snapshot()
        r = _post(client, url, rule.endpoint, None)
        assert r.status_code == 400, f"POST {url} without a token: {r.status_code}"
        assert not diff(before, database_snapshot()), f"POST {url} without a token wrote"
        checked.append(rule.endpoint)
    assert len(checked) >= 30  # the walk really found the state-changing routes


def test_every_post_with_another_users_token_is_refused_and_changes_nothing(
    csrf_app: Flask, world: World, browsers: Callable[[str], tuple[Any, str]]
) -> None:
    _, stolen = browsers("classmate")  # valid, but for the classmate's session
    for rule in routes(csrf_app, "POST"):
        if rule.endpoint in ("auth.login", "auth.signup"):
            client, _ = browsers("anonymous")
        else:
            client, _ = browsers(allowed_visitor(rule.endpoint))
        url = build_url(csrf_app, rule, world)
        before = database_snapshot()
        r = _post(client, url, rule.endpoint, stolen)
        assert r.status_code == 400, f"POST {url} with another user's token: {r.status_code}"
        assert not diff(before, database_snapshot()), f"POST {url} with a foreign token wrote"
    # Logout was refused too: the owner is still logged in.
    owner, _ = browsers("owner")
    assert owner.get("/courses/").status_code == 200


def test_cross_site_text_plain_json_to_autosave_is_refused(
    csrf_app: Flask, world: World, browsers: Callable[[str], tuple[Any, str]]
) -> None:
    owner, token = browsers("owner")
    url = f"/attempts/{world.open_attempt.id}/responses/1"
    body = json.dumps({"value": "a", "seq": 5})
    before = database_snapshot()
    for headers in ({}, {"Origin": "https://evil.example"}):
        r = owner.post(url, data=body, content_type="text/plain", headers=headers)
        assert r.status_code == 400
    # Even carrying the token as a form field, text/plain is not an answer.
    r = owner.post(url, data=f'{{"value": "a", "seq": 5, "csrf_token": "{token}"}}',
                   content_type="text/plain")  # fmt: skip
    assert r.status_code == 400
    assert not diff(before, database_snapshot())
    # The real page's request (JSON + header) works: the refusals above are the protection.
    ok = owner.post(url, json={"value": "a", "seq": 5}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


@pytest.mark.parametrize("visitor", ["instructor", "owner"])
def test_no_get_route_changes_the_database(
    csrf_app: Flask, world: World, browsers: Callable[[str], tuple[Any, str]], visitor: str
) -> None:
    client, _ = browsers(visitor)
    before = database_snapshot()
    for rule in routes(csrf_app, "GET"):
        url = build_url(csrf_app, rule, world)
        r = client.get(url)
        assert r.status_code < 500, f"GET {url}: {r.status_code}"
        changed = diff(before, database_snapshot())
        assert not changed, f"GET {url} as {visitor} changed {changed}"


def test_a_long_exams_final_submit_with_a_token_issued_hours_ago_is_accepted(
    csrf_app: Flask, world: World, browsers: Callable[[str], tuple[Any, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    owner, _ = browsers("owner")
    attempt_id = world.open_attempt.id
    token = csrf_token(owner.get(f"/attempts/{attempt_id}/submit"))
    issued = int(time.time())
    # Five hours later (the signer's clock; the attempt itself has no time limit).
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued + 5 * 3600)
    r = owner.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/result")
    from app.extensions import db

    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == "submitted"


def test_the_same_old_token_would_be_refused_with_flask_wtfs_default_time_limit(
    app_config: dict[str, Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: it is WTF_CSRF_TIME_LIMIT=None that keeps the old token alive."""
    app = create_app(
        {**app_config, "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
         "WTF_CSRF_TIME_LIMIT": 3600}
    )  # fmt: skip
    app.test_client_class = SessionSyncClient
    owner = app.test_client()
    login_with_csrf(owner, world.users["owner"])
    attempt_id = world.open_attempt.id
    token = csrf_token(owner.get(f"/attempts/{attempt_id}/submit"))
    issued = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued + 5 * 3600)
    r = owner.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert r.status_code == 400  # "Your form expired or was sent from elsewhere"
    from app.extensions import db

    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == "in_progress"
