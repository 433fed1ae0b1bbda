"""How `hustings serve` holds up: slow clients, a killed master, two instances on one host,
a read-only SQLite file (issue 14 points 8-11). Real processes; figures printed with ``-s``."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.config import INSTANCE
from tests.support import specs
from tests.support.deployment import Deployment, quick_world, report_answers, server_errors
from tests.support.gunicorn import HOST, Server, Student, attempt_id_from

pytestmark = pytest.mark.slow


def slow_clients(server: Server, browser: Student, path: str, n: int = 4) -> list[socket.socket]:
    """``n`` connections that announce a 2,000-byte autosave body and send 20 bytes of it."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{server.port}\r\nCookie: {cookie}\r\n"
        f"X-CSRFToken: {browser.csrf}\r\nContent-Type: application/json\r\n"
        "Accept: application/json\r\nContent-Length: 2000\r\n\r\n"
    )
    out = []
    for _ in range(n):
        s = socket.create_connection((HOST, server.port))
        s.sendall(head.encode() + b'{"value": "slow", "s')  # 20 bytes of the 2,000
        out.append(s)
    time.sleep(0.5)  # let the server hand them to workers
    return out


def timed_save(browser: Student, attempt_id: int, seq: int) -> tuple[int, float]:
    started = time.monotonic()
    r = browser.save(attempt_id, 1, f"answer {seq}", seq)
    return r.status_code, time.monotonic() - started


def setup(dep: Deployment, serve_args: list[str], workers: int = 4):
    _, _, student, quiz = quick_world(dep.make, [specs.short("sv-1")])
    email = student.email
    server = dep.serve(workers=workers, serve_args=serve_args)
    browser = Student(server)
    browser.login(email)
    attempt_id = attempt_id_from(browser.post(f"/quizzes/{quiz.id}/start"))
    browser.get(f"/attempts/{attempt_id}")
    return server, browser, attempt_id


def test_four_slow_clients_do_not_hold_up_a_save(deploy: Callable[[str], Deployment]) -> None:
    dep = deploy("sqlite")
    server, browser, attempt_id = setup(dep, ["--read-timeout", "10"])
    slow = slow_clients(server, browser, f"/attempts/{attempt_id}/responses/1")
    try:
        status, took = timed_save(browser, attempt_id, 1)
        print(f"\nsave beside 4 slow clients (4 workers x 4 threads): {status} in {took:.3f} s")
        assert status == 200 and took < 2, took
    finally:
        for s in slow:
            s.close()
    found = int(dep.responses(attempt_id)[1].value == "answer 1")
    report_answers("a save beside four slow clients (hustings serve)", 1, int(status == 200), found)
    assert not server_errors(server)


def test_slow_clients_are_cut_off_after_the_read_timeout(
    deploy: Callable[[str], Deployment],
) -> None:
    """Even when they take every thread (1 worker x 2 threads here), slow clients hold them
    only for the read timeout; their connections are then closed and the save goes through."""
    dep = deploy("sqlite")
    server, browser, attempt_id = setup(dep, ["--threads", "2", "--read-timeout", "3"], workers=1)
    slow = slow_clients(server, browser, f"/attempts/{attempt_id}/responses/1", n=2)
    try:
        status, took = timed_save(browser, attempt_id, 1)
        print(f"\nsave with every thread held by a slow client: {status} in {took:.3f} s")
        assert status == 200 and took < 3 + 3, took
        for s in slow:
            s.settimeout(5)
            reply = s.recv(4096)  # refused as incomplete (4xx), or the connection closed
            assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:100]
    finally:
        for s in slow:
            s.close()
    assert dep.responses(attempt_id)[1].value == "answer 1"


def test_restart_after_the_master_is_killed_waits_for_the_port(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    server, browser, attempt_id = setup(dep, [])
    assert browser.save(attempt_id, 1, "before", 1).status_code == 200
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGKILL)  # the master only: its workers are orphaned
    server.proc.wait(10)
    again = Server(server.url, server.secret, server.tmp)
    again.port = server.port  # the same port, still held by the orphans
    again.serve_args = []
    dep.servers.append(again)
    started = time.monotonic()
    again.start(timeout=60)
    print(f"\nback on the same port after {time.monotonic() - started:.1f} s")
    acknowledged = int(browser.save(attempt_id, 1, "after", 2).status_code == 200)
    found = int(dep.responses(attempt_id)[1].value == "after")
    report_answers("SIGKILL of the master, restart on the same port", 1, acknowledged, found)
    assert acknowledged == found == 1
    assert "Connection in use" not in again.log()


def test_serve_waits_while_the_port_is_held_then_starts(
    deploy: Callable[[str], Deployment],
) -> None:
    """Something (a killed server's workers still stopping) holds the port for 3 s: serve says
    so, waits, and starts once it is free, instead of exiting with "Connection in use"."""
    dep = deploy("sqlite")
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind((HOST, 0))
    holder.listen()
    server = Server(dep.url, dep.secret, dep.tmp)
    server.port = holder.getsockname()[1]
    server.serve_args = []
    dep.servers.append(server)
    threading.Timer(3, holder.close).start()
    started = time.monotonic()
    server.start(timeout=60)
    took = time.monotonic() - started
    assert took >= 2.5, took
    assert "is in use" in server.log() and "waiting up to 30 s" in server.log()
    assert "Connection in use" not in server.log()


def test_two_instances_on_one_host_have_their_own_control_sockets(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    first = dep.serve(serve_args=["--workers", "1"])
    second = dep.serve(serve_args=["--workers", "1"])
    paths = [Path(INSTANCE) / f"gunicorn-{HOST}-{s.port}.ctl" for s in (first, second)]
    deadline = time.monotonic() + 10
    while not all(p.exists() for p in paths) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(p.exists() for p in paths), paths
    assert "Connection in use" not in first.log() + second.log()
    for s in (first, second):
        assert s.proc is not None and s.proc.poll() is None
