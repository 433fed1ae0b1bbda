"""Forms of the studio. The question editor's own fields are read by
``app.domain.banks.editing`` (they follow the bank file's paths); WTForms guards CSRF there."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget


class NewBankForm(FlaskForm):
    slug = StringField(
        "Bank id",
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(
                r"[a-z0-9][a-z0-9_-]*\Z",
                message="Use lower-case letters, digits, - and _ (e.g. week-3-coups).",
            ),
        ],
        description="Lower-case letters, digits, - and _; it names the bank's file and URL.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    sources = SelectMultipleField(
        "Articles the questions are about",
        coerce=str,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[
            DataRequired(
                message="Choose at least one article: a bank's questions are about articles."
            )
        ],
        description="Questions pick evidence in these articles. Import a new one on the "
        "Sources page first.",
    )
    submit = SubmitField("Create the bank")


class MoveForm(FlaskForm):
    target = SelectField("Move to bank", validators=[DataRequired()])
    submit = SubmitField("Move")
