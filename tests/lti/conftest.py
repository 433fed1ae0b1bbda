"""Fixtures for the LTI tests: a real platform on 127.0.0.1 and a browser-like launch driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.lti import keys, platforms
from app.models import LtiContext, LtiPlatform
from tests.support import specs
from tests.support.lti_platform import CLIENT_ID, DEPLOYMENT_ID, PlatformServer, form_fields
from tests.support.lti_platform import INSTRUCTOR as INSTRUCTOR_ROLES


@pytest.fixture(scope="session")
def platform_server() -> Iterator[PlatformServer]:
    server = PlatformServer()
    server.start()
    yield server
    server.stop()


@dataclass
class Lms:
    """The test platform, registered with Hustings, and a way to launch from it."""

    server: PlatformServer
    web_app: Flask
    platform: LtiPlatform

    @property
    def state(self) -> Any:
        return self.server.state

    def client(self) -> FlaskClient:
        return self.web_app.test_client()

    def start(self, client: FlaskClient, **launch: Any) -> tuple[str, dict[str, str]]:
        """Login initiation and the platform's answer: the launch form's action and fields."""
        hint = self.server.prepare(**launch)
        response = client.get("/lti/login", query_string=self.server.login_params(hint))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        answer = requests.get(response.headers["Location"], timeout=10)
        assert answer.status_code == 200, answer.text[:500]
        return form_fields(answer.text)

    def launch(self, client: FlaskClient, **launch: Any) -> Any:
        action, fields = self.start(client, **launch)
        assert action == "http://localhost/lti/launch"
        return client.post("/lti/launch", data=fields)


@pytest.fixture
def lms(platform_server: PlatformServer, web_app: Flask, app: Flask) -> Iterator[Lms]:
    platform_server.state.reset()
    platform = platforms.register_platform(
        platforms.PlatformInput(
            name="Test LMS",
            issuer=platform_server.state.issuer,
            client_id=CLIENT_ID,
            login_url=f"{platform_server.base}/auth",
            token_url=f"{platform_server.base}/token",
            jwks_url=f"{platform_server.base}/jwks",
            deployment_ids=[DEPLOYMENT_ID],
        )
    )
    keys.active_key()
    db.session.commit()

    def tool_jwks() -> dict[str, Any]:
        with web_app.test_client() as c:
            return c.get("/lti/jwks").get_json()

    platform_server.state.tool_jwks = tool_jwks
    yield Lms(server=platform_server, web_app=web_app, platform=platform)
    platform_server.state.reset()


@pytest.fixture
def placed_quiz(lms: Lms, make: Any) -> Any:
    """A quiz of the LMS course, placed on link-1 by its instructor (teacher-1)."""
    teacher = lms.client()
    response = lms.launch(
        teacher, sub="teacher-1", roles=INSTRUCTOR_ROLES, resource_link_id="link-1"
    )
    assert response.headers["Location"].endswith("/lti/link"), response.get_data(as_text=True)[
        -600:
    ]
    context = db.session.scalar(select(LtiContext))
    quiz = make.quiz(
        context.course,
        [make.question(specs.single("q-a")), make.question(specs.single("q-b"))],
        published=True,
        attempts_allowed=3,
    )
    make.commit()
    chosen = teacher.post("/lti/link", data={"quiz_id": str(quiz.id)})
    assert chosen.status_code == 302, chosen.get_data(as_text=True)[-600:]
    return quiz
