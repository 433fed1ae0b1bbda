"""The baseline: a bare Flask "hello world", served by the same gunicorn configuration as the app.

Every figure the bench reports is a ratio to this app's throughput on the same machine, in the
same run, measured by the same load generator, so results survive a noisy or slower machine.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, world!"
