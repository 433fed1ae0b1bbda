"""Serve ``bench/hello.py`` with exactly the gunicorn options of ``hustings serve``.

The app itself is started with the real ``hustings serve`` command; this launcher mirrors the
option set that command builds (app/cli.py ``serve``): the same worker count and threads, the
sync worker class when threads == 1 (gthread otherwise), timeout 60 s, graceful timeout 10 s,
no access log, the same garbage-collector tuning after fork.
Usage: ``python bench/launch.py --port 8100 [--workers 4] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hello import app as hello_app


def serve_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The option dict ``hustings serve`` passes to gunicorn (keep in step with app/cli.py)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": None,
        "graceful_timeout": 10,
        "timeout": 60,
        "post_fork": _post_fork,
    }


def _post_fork(_server: Any, _worker: Any) -> None:
    """The same garbage-collector tuning as ``hustings serve`` workers (app.cli.tune_gc)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


class HelloServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return hello_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.argv = [sys.argv[0]]  # gunicorn parses argv
    HelloServer(serve_options(args.host, args.port, args.workers, args.threads)).run()


if __name__ == "__main__":
    main()
