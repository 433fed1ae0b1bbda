"""The Host header never reaches links; forwarded headers only from trusted proxies (point 6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import Flask

from app import create_app
from tests.support.factories import PASSWORD
from tests.support.gunicorn import HOST, free_port
from tests.support.paths import ROOT

EVIL = {"Host": "evil.example"}


def _roster(client, teacher, course):
    """The roster page, logged in and asked for, through a forged Host header."""
    r = client.post("/login", data={"email": teacher.email, "password": PASSWORD}, headers=EVIL)
    assert r.status_code == 302
    return client.get(f"/teach/courses/{course.id}/roster", headers=EVIL).get_data(as_text=True)


def test_forged_host_does_not_reach_the_signup_link(make, client):
    teacher = make.instructor()
    course = make.course(teacher)
    page = _roster(client, teacher, course)
    assert "evil.example" not in page
    assert f"/signup?code={course.join_code}" in page
    assert "no <code>PUBLIC_URL</code> set" in page


def test_links_are_built_from_public_url(app_config, make):
    web = create_app({**app_config, "PUBLIC_URL": "https://quiz.example.ac.uk/"})
    client = web.test_client()
    teacher = make.instructor()
    course = make.course(teacher)
    page = _roster(client, teacher, course)
    assert f"https://quiz.example.ac.uk/signup?code={course.join_code}" in page
    assert "evil.example" not in page


def test_trusted_hosts_refuse_other_hosts(app_config):
    web = create_app({**app_config, "TRUSTED_HOSTS": ["quiz.example.ac.uk"]})
    client = web.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "quiz.example.ac.uk"}).status_code == 200


@pytest.mark.parametrize("bad", ["quiz.example.ac.uk", "ftp://x.example", "https://x.example/?a=1"])
def test_a_public_url_that_is_not_an_address_stops_startup(app_config, bad):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app({**app_config, "PUBLIC_URL": bad})


def test_environment_sets_public_url_trusted_hosts_and_smtp():
    from app.config import environment_overrides

    out = environment_overrides(
        {
            "PUBLIC_URL": "https://q.example",
            "TRUSTED_HOSTS": "q.example, www.q.example",
            "SMTP_HOST": "mail.example",
            "SMTP_PORT": "2525",
            "MAIL_FROM": "quiz@q.example",
        }
    )
    assert out["TRUSTED_HOSTS"] == ["q.example", "www.q.example"]
    assert (out["SMTP_HOST"], out["SMTP_PORT"], out["MAIL_FROM"]) == (
        "mail.example",
        2525,
        "quiz@q.example",
    )


def test_forwarded_proto_is_ignored_without_trusted_proxies(app_config):
    plain: Flask = create_app(app_config)
    r = plain.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in r.headers
    proxied = create_app({**app_config, "TRUSTED_PROXIES": 1})
    r = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in r.headers


@pytest.mark.slow
@pytest.mark.parametrize("trusted", [0, 1])
def test_hustings_serve_honours_forwarded_proto_only_from_trusted_proxies(tmp_path, trusted):
    """gunicorn by itself trusts X-Forwarded-Proto from any local client; `serve` must not."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "REDIS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite'}",
        SECRET_KEY="a" * 40,
        HUSTINGS_INSECURE_COOKIES="1",
        TRUSTED_PROXIES=str(trusted),
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hustings"), "serve", "--host", HOST,
         "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                r = requests.get(
                    f"http://{HOST}:{port}/login", headers={"X-Forwarded-Proto": "https"}, timeout=2
                )
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "hustings serve did not start"
                time.sleep(0.3)
        assert ("Strict-Transport-Security" in r.headers) == bool(trusted)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()
