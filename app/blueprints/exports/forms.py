"""The export choices: a GET form (downloading changes nothing, so no CSRF token)."""

from __future__ import annotations

from wtforms import BooleanField, Form, SelectField
from wtforms.fields import SelectChoice

LAYOUT_LABELS = {
    "plain": "Plain (spreadsheets)",
    "canvas": "Canvas gradebook import",
    "moodle": "Moodle grade import",
}


class ExportQuery(Form):
    layout = SelectField(
        "Layout",
        choices=[SelectChoice(v, label) for v, label in LAYOUT_LABELS.items()],
        default="plain",
    )
    no_bom = BooleanField(
        "Leave out the byte-order mark",
        description="Keep it for Excel; some older tools want a file without it.",
    )
