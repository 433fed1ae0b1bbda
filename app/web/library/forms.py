"""Forms of the library pages: source import and review, bank upload and confirm, GIFT import."""

from __future__ import annotations

import re
from datetime import date as _date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.domain.banks.extraction import MAX_PAGE_BYTES

_SLUG = r"[a-z0-9][a-z0-9_-]*\Z"
_SLUG_MESSAGE = "Use lower-case letters, digits, - and _ (starting with a letter or digit)."
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")


def _plain(_form: Any, field: Field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError("This field contains control characters; type plain text.")


def _date_check(_form: Any, field: Field) -> None:
    if not field.data:
        return
    match = _DATE.match(field.data)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) if g else 1 for g in match.groups())
        _date(year, month, day)
    except ValueError:
        raise ValidationError("Write the date as YYYY, YYYY-MM or YYYY-MM-DD.") from None


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class SourceMetadataForm(FlaskForm):
    """Metadata shown under the article, validated like a source file's front matter."""

    id = StringField(
        "Source id",
        filters=[_strip],
        validators=[DataRequired(), Length(max=100), Regexp(_SLUG, message=_SLUG_MESSAGE), _plain],
        description="Stable id that banks cite (e.g. two-coups): lower-case letters, digits, "
        "- and _.",
    )
    title = StringField(
        "Title", filters=[_strip], validators=[DataRequired(), Length(max=300), _plain]
    )
    publication = StringField(
        "Publication",
        filters=[_strip],
        validators=[DataRequired(), Length(max=200), _plain],
        description="Where it appeared (e.g. The Guardian, or Opinion piece).",
    )
    date = StringField(
        "Date",
        filters=[_strip],
        validators=[Optional(), Length(max=10), _date_check],
        description="YYYY, YYYY-MM or YYYY-MM-DD. Optional.",
    )
    url = StringField(
        "Web address",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=2000),
            Regexp(r"https?://\S+\Z", message="Give an http:// or https:// address."),
        ],
        description="Optional; http or https only.",
    )
    author = StringField(
        "Author",
        filters=[_strip],
        validators=[Optional(), Length(max=200), _plain],
        description="Leave empty when the text names no author: it is shown as “author not given”.",
    )


class SourceImportForm(SourceMetadataForm):
    id = StringField(
        "Source id",
        filters=[_strip],
        validators=[Optional(), Length(max=100), Regexp(_SLUG, message=_SLUG_MESSAGE), _plain],
        description="Stable id that banks cite (e.g. two-coups): lower-case letters, digits, "
        "- and _. Leave empty to have one made from the title.",
    )
    title = StringField(
        "Title",
        filters=[_strip],
        validators=[Optional(), Length(max=300), _plain],
        description="Leave empty for a saved web page: its own title is filled in for review.",
    )
    publication = StringField(
        "Publication",
        filters=[_strip],
        validators=[Optional(), Length(max=200), _plain],
        description="Where it appeared (e.g. The Guardian). A web page's site name is filled in.",
    )
    text = TextAreaField(
        "Paste the article",
        validators=[Optional(), Length(max=MAX_PAGE_BYTES)],
        render_kw={"rows": 14},
        description="Paste the text as copied from the web, or a page's HTML, or upload a file.",
    )
    file = FileField(
        "Or upload a file",
        description=".txt, .md, or a saved web page (.html), at most 5 MB. Pages may use any "
        "encoding they declare; text files must be UTF-8.",
    )
    format = SelectField(
        "Format",
        choices=[
            SelectChoice("auto", "Detect from the file name and content"),
            SelectChoice("text", "Plain text"),
            SelectChoice("markdown", "Markdown"),
            SelectChoice("html", "HTML"),
        ],
        default="auto",
    )
    submit = SubmitField("Clean and review")


class SourceReviewForm(SourceMetadataForm):
    paragraphs = TextAreaField(
        "Cleaned text",
        validators=[DataRequired("The text is empty.")],
        render_kw={"rows": 24},
        description="One paragraph per block; a blank line separates paragraphs. Add a blank "
        "line to split a paragraph, remove one to merge two; then preview again.",
    )
    removed = HiddenField()
    shown = HiddenField()  # digest of the paragraphs the preview's buttons refer to
    replace = BooleanField("Replace the existing source with this id (paragraph numbers are kept)")
    preview = SubmitField("Preview again")
    save = SubmitField("Save source")


class BankUploadForm(FlaskForm):
    file = FileField(
        "Bank file (YAML)",
        validators=[FileRequired("Choose a .yaml bank file.")],
        description="UTF-8, at most 2 MB. Cite library sources by id alone (- id: two-coups) "
        "or embed them; file: paths are not accepted here.",
    )
    submit = SubmitField("Check bank")


class ConfirmLoadForm(FlaskForm):
    token = HiddenField()
    file = FileField("Upload the same file again to confirm")
    force = BooleanField("Replace the library's newer versions with this file's")
    submit = SubmitField("Confirm and load")


class DownloadYamlForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField("Download YAML")


class GiftImportForm(FlaskForm):
    file = FileField(
        "GIFT file",
        validators=[FileRequired("Choose a GIFT file.")],
        description="A Moodle GIFT export (.gift or .txt), UTF-8, at most 1 MB.",
    )
    bank_id = StringField(
        "Bank id",
        filters=[_strip],
        validators=[DataRequired(), Length(max=100), Regexp(_SLUG, message=_SLUG_MESSAGE)],
        description="Id of the new bank, e.g. week3-gift.",
    )
    title = StringField(
        "Bank title", filters=[_strip], validators=[DataRequired(), Length(max=300), _plain]
    )
    source = SelectField(
        "Source the questions are about",
        validators=[DataRequired("Choose a source (import one first if the list is empty).")],
        description="A bank cites at least one source; GIFT has none, so choose it here.",
    )
    submit = SubmitField("Convert")
