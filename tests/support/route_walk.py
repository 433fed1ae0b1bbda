"""Helpers for the suites that walk every route: whole-database snapshots, CSRF logins, and
which visitor may use a route (from the access matrix's POLICY)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from tests.factories import PASSWORD
from tests.security.test_access_matrix import (
    ALLOWED,
    POLICY,
    World,
    build_url,
    rules,
)

__all__ = [
    "POLICY",
    "World",
    "allowed_visitor",
    "build_url",
    "csrf_token",
    "database_snapshot",
    "login_with_csrf",
    "routes",
    "rules",
]

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def database_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered: any change anywhere shows up."""
    db.session.commit()
    db.session.expire_all()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(repr(v) for v in row) for row in rows]
    db.session.commit()
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def csrf_token(response: Any) -> str:
    match = TOKEN_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def login_with_csrf(client: Any, user: Any) -> str:
    """Log in through the real form with CSRF on; returns a token valid for the new session."""
    token = csrf_token(client.get("/login"))
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return csrf_token(client.get("/account/password"))


def allowed_visitor(endpoint: str) -> str:
    """The visitor for whom ``endpoint`` works (so a refusal is the protection, not authz)."""
    allowed = ALLOWED[POLICY[endpoint]]
    for visitor in ("owner", "instructor"):
        if visitor in allowed:
            return visitor
    raise AssertionError(endpoint)


def routes(app: Flask, method: str) -> Iterator[Any]:
    for rule in rules(app):
        if method in rule.methods and rule.endpoint != "static":
            yield rule


class LiveMarkup(HTMLParser):
    """Collects what a browser would run: script elements, on* handlers, javascript: URLs."""

    URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> not from /static: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRS and value and _is_script_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (names.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    handle_startendtag = handle_starttag


def _is_script_url(value: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems
