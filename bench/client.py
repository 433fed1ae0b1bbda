"""A small asyncio HTTP/1.1 client (standard library only) for the bench's sessions.

One connection per request with ``Connection: close``: gunicorn's sync workers close every
connection anyway, and it keeps the parser trivial (read to EOF, de-chunk if needed). A
``Browser`` keeps the session cookie and the CSRF token, as a student's browser does. Only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"
_CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


class HTTPError(RuntimeError):
    pass


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


async def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 120.0,
) -> Reply:
    """Send one request to 127.0.0.1:``port`` and read the whole reply."""
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    if not head:
        raise HTTPError(f"{method} {path}: empty reply")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = [tuple(h.split(":", 1)) for h in header_lines if ":" in h]
    reply_headers = [(k.strip(), v.strip()) for k, v in parsed]
    reply = Reply(int(status_line.split()[1]), reply_headers, payload, 0.0)
    if (reply.header("transfer-encoding") or "").lower() == "chunked":
        reply.body = _dechunk(payload)
    reply.seconds = time.perf_counter() - started
    return reply


@dataclass
class Browser:
    """One student's (or instructor's) browser: cookie jar of one cookie, last CSRF token."""

    port: int
    cookie_name: str = "hustings_session"
    cookie: str | None = None
    csrf: str | None = None
    timings: dict[str, list[float]] = field(default_factory=dict)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": "hustings-bench"}
        if self.cookie:
            headers["Cookie"] = f"{self.cookie_name}={self.cookie}"
        headers.update(extra or {})
        return headers

    def _keep(self, reply: Reply, label: str) -> Reply:
        for key, value in reply.headers:
            if key.lower() == "set-cookie" and value.startswith(self.cookie_name + "="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        match = _CSRF_RE.search(reply.body) if b"csrf_token" in reply.body else None
        if match:
            self.csrf = match.group(1).decode()
        self.timings.setdefault(label, []).append(reply.seconds)
        return reply

    async def get(self, path: str, label: str = "get") -> Reply:
        reply = await request(self.port, "GET", path, headers=self._headers())
        return self._keep(reply, label)

    async def post_form(self, path: str, data: dict[str, str], label: str = "post") -> Reply:
        body = urlencode({**data, "csrf_token": self.csrf or ""}).encode()
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        reply = await request(self.port, "POST", path, headers=headers, body=body)
        return self._keep(reply, label)

    async def post_json(self, path: str, data: Any, label: str = "json") -> Reply:
        headers = self._headers(
            {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": self.csrf or "",
            }
        )
        reply = await request(
            self.port, "POST", path, headers=headers, body=json.dumps(data).encode()
        )
        return self._keep(reply, label)

    async def login(self, email: str, password: str) -> None:
        await self.get("/login", "login_form")
        reply = await self.post_form("/login", {"email": email, "password": password}, "login")
        if reply.status != 302:
            raise HTTPError(f"login of {email} answered {reply.status}: {reply.body[-600:]!r}")
