"""Request helpers: a test client that sees what a request wrote, CSRF tokens read from pages,
and multipart uploads."""

from __future__ import annotations

import io
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from tests.support.factories import PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class SessionSyncClient(FlaskClient):
    """Ends the test's own transaction around each request.

    On SQLite in WAL mode (and PostgreSQL's repeatable snapshots) a test that read before a
    request would otherwise keep seeing the database as it was before the request.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.commit()
            db.session.expire_all()


def upload(data: bytes | str, name: str = "bank.yaml") -> tuple[io.BytesIO, str]:
    """A file for a multipart form field."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return io.BytesIO(raw), name


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """POST a multipart form encoded in memory (the test client would spool a big body to a
    temporary file that it never closes, which filterwarnings=error turns into a failure)."""
    fields = {
        name: FileStorage(value[0], value[1]) if isinstance(value, tuple) else value
        for name, value in data.items()
    }
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on ``path`` (for apps with CSRF on)."""
    match = TOKEN_RE.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def log_in(client: FlaskClient, user: Any) -> None:
    """Log in through the real form, CSRF token included."""
    token = csrf_token(client)
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
