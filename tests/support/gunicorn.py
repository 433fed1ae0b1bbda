"""Real gunicorn servers for the fault tests: 4 sync workers on a free port of 127.0.0.1.

The test data is made in-process with the app factory (``create_all`` + factories) before the
server starts; the server gets its settings from the environment as a deployment does
(``DATABASE_URL``, ``SECRET_KEY``, ``HUSTINGS_INSECURE_COOKIES``, cheap argon2). Every server is
stopped by the id of the process group it was started in; only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask_migrate import stamp

from app import create_app
from app.config import normalise_database_url
from app.extensions import db
from tests.support import factories, postgres
from tests.support.config import TEST_CONFIG
from tests.support.paths import ROOT

HOST = "127.0.0.1"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def database_url(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh empty database: a temp SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'server.sqlite'}"
        return
    with postgres.temporary_database("hustings_rel") as database:
        yield database.url


def data_app(url: str, secret: str, instance: Path) -> Flask:
    """The app the test uses in-process to build data and read results (cheap hashing)."""
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
         "SECRET_KEY": secret},
        instance_path=instance,
    )  # fmt: skip
    with app.app_context():
        db.create_all()
        db.session.commit()
        stamp()  # `hustings serve` brings the schema up to date first: it is
    return app


class Server:
    """``gunicorn -w 4 'app:create_app(...)'`` as its own process group."""

    def __init__(
        self, url: str, secret: str, tmp: Path, workers: int = 4, env: dict[str, str] | None = None
    ) -> None:
        self.url, self.secret, self.tmp, self.workers = url, secret, tmp, workers
        self.extra_env = env or {}
        self.serve_args: list[str] | None = None  # set: run `hustings serve` with these
        self.port = free_port()
        self.log_path = tmp / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "REDIS_"))}
        env.update(
            DATABASE_URL=self.url,
            SECRET_KEY=self.secret,
            HUSTINGS_INSECURE_COOKIES="1",
            HUSTINGS_ARGON2_TIME_COST="1",
            HUSTINGS_ARGON2_MEMORY_COST="8",
            HUSTINGS_ARGON2_PARALLELISM="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30) -> None:
        instance = self.tmp / "server-instance"
        instance.mkdir(exist_ok=True)
        # Only what the environment cannot say: the instance folder (so the checkout's own
        # instance/config.py is not read). The login throttle keeps its production settings:
        # a class logging in from one address must get in with them.
        factory = f"app:create_app(instance_path={str(instance)!r})"
        self._log = self.log_path.open("ab")
        if self.serve_args is not None:
            # The `hustings` console script, as deployed (its app uses the checkout's instance
            # folder; the environment says everything else).
            self.proc = subprocess.Popen(
                [sys.executable, "-c",
                 "import sys; from app.cli.console import main; sys.exit(main())",
                 "serve", "--host", HOST, "--port", str(self.port),
                 "--workers", str(self.workers), *self.serve_args],
                cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            self._wait_ready(timeout)
            return
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--worker-class", "sync", "--bind", f"{HOST}:{self.port}", "--timeout", "60",
             "--graceful-timeout", "5", factory],
            cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                if requests.get(self.base + "/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not start:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the master and its workers (the process group this server started)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        else:
            with contextlib.suppress(ProcessLookupError):  # workers of a master that died
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Student:
    """One browser: a cookie jar and the last CSRF token, logged in through the real form."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = requests.Session()
        self.csrf = ""

    def url(self, path: str) -> str:
        return self.server.base + path

    def _keep(self, r: requests.Response) -> requests.Response:
        match = CSRF_RE.search(r.text) if "csrf_token" in r.text else None
        if match:
            self.csrf = match.group(1)
        return r

    def get(self, path: str) -> requests.Response:
        return self._keep(self.http.get(self.url(path), allow_redirects=False, timeout=60))

    def post(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        body = {**(data or {}), "csrf_token": self.csrf}
        return self._keep(
            self.http.post(self.url(path), data=body, allow_redirects=False, timeout=60)
        )

    def save(self, attempt_id: int, position: int, value: Any, seq: int) -> requests.Response:
        return self.http.post(
            self.url(f"/attempts/{attempt_id}/responses/{position}"),
            json={"value": value, "seq": seq},
            headers={"X-CSRFToken": self.csrf, "Accept": "application/json"},
            timeout=60,
        )

    def login(self, email: str, password: str = factories.PASSWORD) -> None:
        self.get("/login")
        r = self.post("/login", {"email": email, "password": password})
        assert r.status_code == 302, r.text[:500]
        self.get("/courses/")  # a fresh token for the new session

    def clone(self) -> Student:
        """Another connection of the same browser (same cookie, same token): a second tab."""
        other = Student(self.server)
        other.http.cookies.update(self.http.cookies)
        other.csrf = self.csrf
        return other


def attempt_id_from(r: requests.Response) -> int:
    location = r.headers.get("Location", "")
    match = re.search(r"/attempts/(\d+)", location)
    assert match, f"{r.status_code} {location} {r.text[:300]}"
    return int(match.group(1))
