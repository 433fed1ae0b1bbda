from __future__ import annotations

from flask_wtf import FlaskForm


class CsrfForm(FlaskForm):
    """A form that only carries the CSRF token; the answer fields are read per question type."""
