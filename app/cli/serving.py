"""How ``hustings serve`` runs gunicorn so that an exam survives slow clients and restarts.

- Threaded workers (gthread) whose client sockets time out: a connection that announces a body
  and then sends it slowly holds one thread for at most ``read_timeout`` seconds per read, not a
  whole worker for as long as it likes (four such clients used to stop four sync workers, and
  every save behind them waited).
- A control socket of its own per instance (gunicorn's default path is the same for every
  server of a user, so a second instance on the host took the first one's).
- A restart after the master was killed waits for the port: workers orphaned by a killed master
  keep listening until they notice, a few seconds later.
"""

from __future__ import annotations

import errno
import hashlib
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

READ_TIMEOUT_SECONDS = 10
_SUN_PATH_MAX = 100  # a Unix socket path must fit in sockaddr_un (108 bytes on Linux)


class _TimeoutSocket(socket.socket):
    """A client socket whose blocking mode is a timeout: every read or write waits at most
    ``timeout`` seconds, wherever gunicorn (headers) or the app (body) reads."""

    timeout_seconds: float = READ_TIMEOUT_SECONDS

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.timeout_seconds)
        else:
            super().setblocking(False)


class TimeoutThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker with client sockets that time out (see ``_TimeoutSocket``)."""

    def accept(self, listener: socket.socket) -> None:
        try:
            raw, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        client = _TimeoutSocket(raw.family, raw.type, raw.proto, fileno=raw.detach())
        client.setblocking(True)
        self.nr_conns += 1
        self.enqueue_req(TConn(self.cfg, client, client_addr, listener.getsockname()))


def worker_class(read_timeout: float) -> str:
    """The dotted name gunicorn loads, with the read timeout set (workers are forked from
    this process, so they inherit it)."""
    _TimeoutSocket.timeout_seconds = read_timeout
    return f"{__name__}.TimeoutThreadWorker"


def control_socket_path(instance_path: str, host: str, port: int) -> str:
    """One control socket per served address, in the instance folder when the path fits."""
    name = f"gunicorn-{host}-{port}.ctl".replace(":", "_")
    path = Path(instance_path) / name
    if len(str(path)) <= _SUN_PATH_MAX:
        return str(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"hustings-{digest}-{port}.ctl")


def wait_for_port(host: str, port: int, wait_seconds: float, say: Callable[[str], Any]) -> bool:
    """True once ``host:port`` can be bound; waits up to ``wait_seconds`` while it is in use
    (workers of a killed server still stopping), telling the operator once."""
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return True
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            if time.monotonic() >= deadline:
                return False
            if not told:
                say(
                    f"Port {port} on {host} is in use (workers of a previous server may still "
                    f"be stopping); waiting up to {wait_seconds:.0f} s for it."
                )
                told = True
            time.sleep(0.25)
        finally:
            probe.close()
