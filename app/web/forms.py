"""Forms and form helpers more than one blueprint uses; blueprints never import each other's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields import SelectChoice


class CsrfForm(FlaskForm):
    """Only the CSRF token: for buttons, and pages that read their own fields."""


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects, not tuples."""
    return [SelectChoice(value, label) for value, label in pairs]
