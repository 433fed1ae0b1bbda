"""``hustings attempts``: housekeeping for attempts (the overdue sweeper, safe from cron)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from app.database import declare_write_intent
from app.extensions import db
from app.services import attempts


@click.group("attempts")
def attempts_group() -> None:
    """Attempts: finalise the ones whose time ran out."""


@attempts_group.command("close-overdue")
@with_appcontext
def close_overdue_command() -> None:
    """Submit every open attempt past its deadline (plus grace) with its saved answers.

    Idempotent and safe to run from cron at any interval: each attempt is finalised once.
    """
    declare_write_intent()
    closed = attempts.close_overdue(datetime.now(UTC))
    db.session.commit()
    click.echo(f"Finalised {len(closed)} overdue attempt{'' if len(closed) == 1 else 's'}.")
