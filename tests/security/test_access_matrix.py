"""Every route in ``app.url_map`` × every kind of visitor gets exactly what it should.

Visitors: anonymous, the course's instructor, another course's instructor, the student who owns
the attempt, a classmate, and a student of another course. A route missing from ``POLICY``
fails the suite, so a new route cannot ship without deciding who may use it. State-changing
routes are also called by every visitor who must be refused, and the database must not change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Accommodation,
    Attempt,
    Course,
    Enrolment,
    GradeChange,
    Highlight,
    Invitation,
    PasswordReset,
    Question,
    Quiz,
    QuizSlot,
    Response,
    Source,
    User,
)
from tests.support.factories import Factory
from tests.support.route_walk import (
    ALLOWED,
    ALLOWED_STATUSES,
    POLICY,
    PUBLIC,
    VISITORS,
    World,
    build_url,
    build_world,
    rules,
)


@pytest.fixture
def world(make: Factory) -> World:
    return build_world(make)


@pytest.fixture
def visit(web_app: Flask, world: World, login_as: Callable[..., Any]) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}
    web_app.config["LTI_ADMINS"] = [world.users["instructor"].email]

    def client_for(visitor: str) -> Any:
        if visitor not in clients:
            c = web_app.test_client()
            if visitor != "anonymous":
                login_as(world.users[visitor], c=c)
            clients[visitor] = c
        return clients[visitor]

    return client_for


def test_every_route_has_a_policy(web_app: Flask) -> None:
    unknown = {r.endpoint for r in rules(web_app)} - POLICY.keys()
    where = "POLICY in tests/support/route_walk.py"
    assert not unknown, f"decide who may use these routes ({where}): {unknown}"
    stale = POLICY.keys() - {r.endpoint for r in rules(web_app)}
    assert not stale, f"POLICY names routes that no longer exist: {stale}"


def _expect(policy: str, visitor: str, response: Any, label: str) -> None:
    status = response.status_code
    location = response.headers.get("Location", "")
    if visitor in ALLOWED[policy]:
        assert status in ALLOWED_STATUSES, f"{label}: {visitor} should get in, got {status}"
        assert "/login" not in location or policy == PUBLIC, f"{label}: {visitor} sent to login"
    elif visitor == "anonymous":
        assert status in (302, 401), f"{label}: anonymous got {status}"
        if status == 302:
            assert location.startswith("/login"), f"{label}: anonymous sent to {location}"
    else:
        assert status in (403, 404), f"{label}: {visitor} must be refused, got {status}"


def _snapshot() -> tuple[int, ...]:
    db.session.expire_all()
    models = (
        User,
        Enrolment,
        Course,
        Quiz,
        QuizSlot,
        Attempt,
        Response,
        GradeChange,
        Accommodation,
        Question,
        Source,
        Invitation,
        PasswordReset,
        Highlight,
    )
    counts = tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)
    state = tuple(
        db.session.execute(
            select(Attempt.state, Attempt.score, Attempt.score_override).order_by(Attempt.id)
        ).all()
    )
    responses = tuple(
        db.session.execute(
            select(
                Response.value, Response.score, Response.manual_score, Response.flagged
            ).order_by(Response.id)
        ).all()
    )
    quizzes = tuple(db.session.execute(select(Quiz.title, Quiz.published)).all())
    links = tuple(
        db.session.execute(
            select(Invitation.token_hash, Invitation.accepted_at, Invitation.declined_at)
        ).all()
    ) + tuple(db.session.execute(select(PasswordReset.token_hash, PasswordReset.used_at)).all())
    return (*counts, hash(repr((state, responses, quizzes, links))))


@pytest.mark.parametrize("visitor", VISITORS)
def test_get_routes(
    web_app: Flask, world: World, visit: Callable[[str], Any], visitor: str
) -> None:
    client = visit(visitor)
    for rule in rules(web_app):
        if "GET" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        url = build_url(web_app, rule, world)
        response = client.get(url)
        _expect(POLICY[rule.endpoint], visitor, response, f"GET {url}")
        response.close()  # static files are streamed from an open file


@pytest.mark.parametrize("visitor", [v for v in VISITORS if v != "instructor"])
def test_refused_posts_change_nothing(
    web_app: Flask, world: World, visit: Callable[[str], Any], visitor: str
) -> None:
    client = visit(visitor)
    before = _snapshot()
    for rule in rules(web_app):
        policy = POLICY[rule.endpoint]
        writes = rule.methods & {"POST", "DELETE"}
        if not writes or visitor in ALLOWED[policy]:
            continue
        url = build_url(web_app, rule, world)
        # A plausible body for each kind of form, with the fields an attacker would try.
        form = {
            "title": "hijacked",
            "score": "99",
            "reason": "because",
            "value": "a",
            "seq": "1",
            "published": "y",
            "name": "x",
            "email": "x@example.test",
            "question_ids": "1",
            "action": "finish",
            "points": "5",
            "comment": "hi",
            "apply": "1",
        }
        if rule.endpoint == "student.save":
            response = client.post(url, json={"value": "a", "seq": 99})
        elif rule.endpoint == "student.flag":
            response = client.post(url, json={"flagged": True})
        elif rule.endpoint == "student.add_highlight":
            ranges = [{"source": world.source.slug, "paragraph": 2, "start": 0, "end": 9}]
            response = client.post(url, json={"ranges": ranges})
        elif "DELETE" in writes:
            response = client.delete(url)
        else:
            response = client.post(url, data=form)
        _expect(policy, visitor, response, f"POST {url}")
    assert _snapshot() == before, f"a refused POST by {visitor} changed the database"
