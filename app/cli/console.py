"""Entry point of the ``hustings`` console script: Flask's CLI bound to the app factory."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from app import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Hustings: close-reading quizzes for politics courses."""
