"""Forms of the grading pages. Scores are text fields parsed by app.domain.points.parse_points,
so a
bad number gets a specific message (range, 2 decimal places) rather than a generic one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class RubricFormBase(FlaskForm):
    comment = TextAreaField(
        "Comment to the student",
        validators=[Optional(), Length(max=5000)],
        description="Shown to the student with their results, when the review policy allows.",
    )
    submit = SubmitField("Save grade")


def rubric_form(
    rubric: Sequence[Mapping[str, Any]], max_points: float, data: Mapping[str, Any] | None = None
) -> FlaskForm:
    """A form with one score field per rubric criterion (or one score when there is no rubric)."""

    class RubricForm(RubricFormBase):
        pass

    if rubric:
        for index, criterion in enumerate(rubric):
            levels = criterion.get("levels") or ()
            if levels:
                # Click a level (as in Canvas rubrics); the points box below it adjusts.
                setattr(
                    RubricForm,
                    f"level_{index}",
                    RadioField(
                        f"{criterion['criterion']} (0–{float(criterion['points']):g})",
                        choices=[
                            SelectChoice(f"{float(lv['points']):g}", f"{float(lv['points']):g}")
                            for lv in levels
                        ],
                        validators=[Optional()],
                        validate_choice=False,  # checked by the service, with a clear message
                        description=str(criterion.get("description") or ""),
                    ),
                )
                setattr(
                    RubricForm,
                    f"criterion_{index}",
                    StringField(
                        f"Adjust the points for “{criterion['criterion']}” (optional)",
                        validators=[Optional()],
                        description="Leave empty to give the level's points; if you adjust, "
                        "say why in the comment.",
                    ),
                )
                continue
            setattr(
                RubricForm,
                f"criterion_{index}",
                StringField(
                    f"{criterion['criterion']} (0–{float(criterion['points']):g})",
                    validators=[InputRequired("Enter a score for this criterion.")],
                    description=str(criterion.get("description") or ""),
                ),
            )
    else:
        RubricForm.score = StringField(  # type: ignore[attr-defined]
            f"Score (0–{max_points:g})", validators=[InputRequired("Enter a score.")]
        )
    return RubricForm(data=data)


def _reason_field() -> TextAreaField:
    """Every override states why: the reason goes into the audit trail."""
    return TextAreaField(
        "Reason",
        validators=[
            InputRequired("Give a reason: it is kept in the audit trail."),
            Length(max=1000),
        ],
    )


class OverrideForm(FlaskForm):
    score = StringField(
        "New score",
        validators=[Optional()],
        description="Leave empty to remove an earlier override.",
    )
    reason = _reason_field()
    submit = SubmitField("Override score")


class AttemptOverrideForm(FlaskForm):
    total = StringField(
        "New total",
        validators=[Optional()],
        description="Leave empty to go back to the sum of the question scores.",
    )
    extra_credit = BooleanField(
        "Extra credit",
        description="Allows a total above the maximum (up to twice it); exported as it is.",
    )
    reason = _reason_field()
    submit = SubmitField("Override total")


class RegradeForm(FlaskForm):
    questions = SelectMultipleField(
        "Questions to regrade",
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    dry_run = SubmitField("Dry run: show what would change")
    apply = SubmitField("Apply the regrade")
