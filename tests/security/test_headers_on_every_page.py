"""Headers on every response of every route, not just the login page: a Content-Security-Policy
without inline scripts on every HTML page, and ``Cache-Control: no-store`` on everything that
shows an attempt, a review, grades or an export (shared computers, proxies, the back button)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app import create_app
from tests.support.route_walk import World, build_url, build_world, routes

PRIVATE_PREFIXES = ("student.", "marking.", "exports.", "dashboards.", "builder.")


@pytest.fixture
def world(make: Any) -> World:
    return build_world(make)


def _client(web_app: Flask, login_as: Callable[..., Any], w: World, visitor: str) -> Any:
    c = web_app.test_client()
    if visitor != "anonymous":
        login_as(w.users[visitor], c=c)
    return c


def _script_src(csp: str) -> str:
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    return directives.get("script-src") or directives.get("default-src", "")


@pytest.mark.parametrize("visitor", ["anonymous", "owner", "instructor"])
def test_every_html_page_has_a_csp_without_inline_scripts(
    web_app: Flask, world: World, login_as: Callable[..., Any], visitor: str
) -> None:
    client = _client(web_app, login_as, world, visitor)
    pages = 0
    for rule in routes(web_app, "GET"):
        url = build_url(web_app, rule, world)
        r = client.get(url, follow_redirects=True)
        if r.content_type.startswith("text/html"):
            csp = r.headers.get("Content-Security-Policy", "")
            script_src = _script_src(csp)
            assert script_src and "'unsafe-inline'" not in script_src, f"{url}: {csp!r}"
            assert "'unsafe-eval'" not in script_src and "*" not in script_src.split(), url
            assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp, url
            assert r.headers["X-Content-Type-Options"] == "nosniff", url
            pages += 1
        r.close()
    assert pages >= 10


def test_no_store_on_attempt_review_grading_and_export_responses(
    web_app: Flask, world: World, login_as: Callable[..., Any]
) -> None:
    owner = _client(web_app, login_as, world, "owner")
    teacher = _client(web_app, login_as, world, "instructor")
    checked = []
    for rule in routes(web_app, "GET"):
        if not rule.endpoint.startswith(PRIVATE_PREFIXES):
            continue
        client = owner if rule.endpoint.startswith("student.") else teacher
        url = build_url(web_app, rule, world)
        r = client.get(url)
        assert "no-store" in r.headers.get("Cache-Control", ""), f"{url}: {r.status_code}"
        r.close()
        checked.append(rule.endpoint)
    for needed in ("student.attempt", "student.result", "marking.queue", "marking.grade_response",
                   "exports.quiz_csv", "exports.gradebook_csv", "dashboards.attempt"):  # fmt: skip
        assert needed in checked
    # The JSON autosave and its refusals too.
    save = f"/attempts/{world.open_attempt.id}/responses/1"
    for body in ({"value": "a", "seq": 3}, {"value": "a", "seq": 1}, {"seq": "x"}):
        r = owner.post(save, json=body)
        assert "no-store" in r.headers.get("Cache-Control", ""), (body, r.status_code)


def test_no_debugger_even_when_flask_debug_is_set_in_the_environment(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production config never turns on the interactive debugger or shows a traceback."""
    monkeypatch.setenv("FLASK_DEBUG", "0")
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/_explode")
    def explode() -> str:
        raise KeyError("internal detail 7f3a")

    r = app.test_client().get("/_explode")
    assert r.status_code == 500 and not app.debug
    body = r.get_data(as_text=True)
    assert "7f3a" not in body and "Traceback" not in body and "Werkzeug" not in body
    assert "__debugger__" not in body and "Content-Security-Policy" in r.headers
