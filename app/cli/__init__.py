"""The ``hustings`` command: Flask's CLI over the app factory, plus Hustings' own commands.

Commands are thin: they parse options, call the same services the views use, and commit.
"""

from __future__ import annotations

import contextvars
import gc
import os
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade as migrate_upgrade
from gunicorn.app.base import BaseApplication

from app.cli.attempts import attempts_group
from app.cli.banks import banks, sources
from app.cli.demo import demo_data
from app.cli.export import export_group
from app.cli.quizzes import quizzes_group
from app.cli.serving import (
    READ_TIMEOUT_SECONDS,
    control_socket_path,
    wait_for_port,
    worker_class,
)
from app.database import writing
from app.domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.extensions import db
from app.models import Role
from app.services import accounts
from app.services.demo import load_demo, print_logins
from app.web.sessions import host_only_cookie


def register_cli(app: Flask) -> None:
    """Attach the command groups to ``app`` so ``flask --app app X`` works as ``hustings X``."""
    for command in (
        users,
        serve,
        upgrade_db,
        demo,
        banks,
        sources,
        quizzes_group,
        export_group,
        demo_data,
        attempts_group,
    ):
        app.cli.add_command(command)


@click.command("upgrade-db")
@with_appcontext
def upgrade_db() -> None:
    """Bring the database schema up to date (same as ``hustings db upgrade``)."""
    bring_schema_up_to_date()
    click.echo("Database schema is up to date.")


def bring_schema_up_to_date() -> None:
    migrate_upgrade()


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--instructor", is_flag=True, help="Create an instructor (default: student).")
@click.option("--student-id", default=None)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Read from a prompt when not given; prefer the prompt over the command line.",
)
@with_appcontext
def create_user_command(
    email: str, name: str, instructor: bool, student_id: str | None, password: str
) -> None:
    """Create an account (instructors are only ever created this way)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters", param_hint="password"
        )
    with writing():
        try:
            user = accounts.create_user(
                email=email,
                name=name,
                password=password,
                role=Role.INSTRUCTOR if instructor else Role.STUDENT,
                student_number=student_id,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=4, show_default=True, type=int)
@click.option(
    "--threads", default=4, show_default=True, type=int, help="Request threads per worker."
)
@click.option(
    "--read-timeout",
    default=READ_TIMEOUT_SECONDS,
    show_default=True,
    type=float,
    help="Seconds a client may take per read or write before its connection is closed.",
)
@click.option(
    "--port-wait",
    default=30,
    show_default=True,
    type=float,
    help="Seconds to wait for the port while a previous server's workers stop.",
)
@click.option(
    "--demo",
    "with_demo",
    is_flag=True,
    is_eager=True,
    # Eager: set before the app is built, which then accepts a short SECRET_KEY.
    callback=lambda _ctx, _param, value: _demo_mode(value),
    help="Load the demo course first.",
)
@with_appcontext
def serve(
    host: str,
    port: int,
    workers: int,
    threads: int,
    read_timeout: float,
    port_wait: float,
    with_demo: bool,
) -> None:
    """Run the production WSGI server (gunicorn), after bringing the schema up to date."""
    if not wait_for_port(host, port, port_wait, click.echo):
        raise click.ClickException(
            f"Port {port} on {host} is still in use after {port_wait:.0f} s. Another server "
            f"runs there: stop it (or its leftover workers: `fuser -k {port}/tcp`), or choose "
            "another --port."
        )
    bring_schema_up_to_date()
    if with_demo:
        with writing():
            logins = load_demo()
        print_logins(logins, base_url=f"http://{host}:{port}/")
        current_app.config["PUBLIC_URL"] = current_app.config["PUBLIC_URL"] or (
            f"http://{host}:{port}"
        )
        # The demo is served over plain HTTP on this machine; browsers drop Secure cookies
        # there. Real deployments run without --demo, behind HTTPS, with Secure cookies.
        current_app.config["SESSION_COOKIE_SECURE"] = False
        host_only_cookie(current_app)  # a __Host- cookie needs Secure
        click.echo("Demo mode: session cookies are not marked Secure (plain HTTP on localhost).")
    run_gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": max(threads, 1),
            "worker_class": worker_class(read_timeout),
            "accesslog": "-" if current_app.debug else None,
            "graceful_timeout": 10,
            # Forwarded headers are honoured only from TRUSTED_PROXIES proxies (ProxyFix in
            # create_app); gunicorn itself would trust X-Forwarded-Proto from any local client.
            "forwarded_allow_ips": "",
            "timeout": 60,
            "control_socket": control_socket_path(current_app.instance_path, host, port),
        }
    )


def _demo_mode(value: bool) -> bool:
    if value:
        os.environ["HUSTINGS_DEMO"] = "1"
    return value


def tune_gc() -> None:
    """Keep the garbage collector off the long-lived objects of a worker.

    The app, its templates, the ORM mappings and the banks are hundreds of thousands of
    objects that live as long as the worker; full collections walked them all (75-83 ms on the
    dashboards, every other request). Freezing them moves them out of the collector's sight,
    and a larger young generation lets a request's short-lived ORM objects die without
    triggering collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def run_gunicorn(options: dict[str, Any]) -> None:
    """Serve the current app with gunicorn; each worker gets its own database connections."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        db.engine.dispose()

    def post_fork(_server: Any, _worker: Any) -> None:
        with app.app_context():
            db.engine.dispose(close=False)
        tune_gc()

    options = {**options, "post_fork": post_fork}

    class HustingsServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    sys.argv = [sys.argv[0]]  # gunicorn parses argv; ours were for click
    os.environ.setdefault("HUSTINGS_SERVER", "gunicorn")
    # Serve from an empty context, not inside the CLI's app context: forked workers would
    # inherit it, and Flask reuses an active app context for every request, so `g` (Flask-Login's
    # user, the CSRF token) and the database session would pass from one user to the next.
    contextvars.Context().run(HustingsServer().run)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load every bank and create the demo course, logins and attempts (idempotent)."""
    bring_schema_up_to_date()
    with writing():
        logins = load_demo()
    print_logins(logins)
