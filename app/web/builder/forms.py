"""Forms of the quiz builder. Field-level checks here; rules across fields live in
app.services.quizzes."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain import question_types
from app.domain.banks.schema import DIFFICULTIES, QUESTION_TYPES, SKILLS
from app.domain.review import DETAILS, WHEN
from app.web.forms import choices

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
WHEN_LABELS = {
    "immediately": "Immediately after submitting",
    "after_close": "After the quiz closes",
    "released": "When I release it",
    "never": "Never",
}
TYPE_LABELS = question_types.labels()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _any(pairs: list[tuple[str, str]], label: str = "Any") -> list[SelectChoice]:
    return choices([("", label), *pairs])


SKILL_CHOICES = list(SKILLS.items())
DIFFICULTY_CHOICES = [(d, d) for d in DIFFICULTIES]
TYPE_CHOICES = [(t, TYPE_LABELS.get(t, t)) for t in QUESTION_TYPES]


class NewQuizForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired("Give the quiz a title."), Length(max=200)]
    )
    submit = SubmitField("Create quiz")


class SettingsForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired("Give the quiz a title."), Length(max=200)]
    )
    description = TextAreaField("Instructions for students", validators=[Length(max=5000)])
    mode = SelectField(
        "Mode",
        choices=choices(
            [
                ("graded", "Graded (feedback after submitting, as the review policy allows)"),
                ("practice", "Practice (feedback per question at once, with retries)"),
            ]
        ),
    )
    opens_at = DateTimeLocalField(
        "Opens (UTC)",
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description="Leave empty to open at once.",
    )
    closes_at = DateTimeLocalField(
        "Closes (UTC)",
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description="Leave empty to never close.",
    )
    time_limit_minutes = IntegerField(
        "Time limit (minutes)", validators=[Optional()], description="Leave empty for no limit."
    )
    attempts_allowed = IntegerField(
        "Attempts allowed",
        validators=[InputRequired("Enter a number (0 = unlimited).")],
        description="0 means unlimited.",
    )
    grading_method = SelectField(
        "Grade from several attempts",
        choices=choices(
            [("highest", "Highest"), ("last", "Last"), ("average", "Average"), ("first", "First")]
        ),
    )
    questions_per_page = IntegerField(
        "Questions per page",
        validators=[InputRequired("Enter a number (0 = all).")],
        description="0 puts every question on one page.",
    )
    shuffle_questions = BooleanField("Shuffle question order for each attempt")
    shuffle_options = BooleanField("Shuffle answer options for each attempt")
    review_score = SelectField(
        "Students see their score", choices=choices((w, WHEN_LABELS[w]) for w in WHEN)
    )
    review_details = SelectField(
        "Students see the details below", choices=choices((w, WHEN_LABELS[w]) for w in WHEN)
    )
    review_show = MultiCheckboxField(
        "Details shown", choices=choices((d, d.capitalize()) for d in DETAILS)
    )
    review_released = BooleanField("Released (for “when I release it”)")
    sources = MultiCheckboxField("Articles shown beside the questions", choices=[])
    canvas_assignment_id = StringField(
        "Canvas assignment id",
        validators=[Optional(), Length(max=40)],
        description="Digits only; for the Canvas grade export.",
    )
    published = BooleanField("Published (students can see it)")
    submit = SubmitField("Save settings")


class AddQuestionsForm(FlaskForm):
    question_ids = SelectMultipleField("Questions", coerce=int, validate_choice=False)
    points = StringField(
        "Points per question",
        validators=[Optional()],
        description="Leave empty to use each question's own points.",
    )
    page = IntegerField("Page", validators=[Optional(), NumberRange(1, 1000)])
    submit = SubmitField("Add ticked questions")


class DrawForm(FlaskForm):
    bank = SelectField("Bank", coerce=int, validate_choice=False)
    skill = SelectField("Skill", choices=_any(SKILL_CHOICES), default="")
    difficulty = SelectField("Difficulty", choices=_any(DIFFICULTY_CHOICES), default="")
    qtype = SelectField("Type", choices=_any(TYPE_CHOICES), default="")
    count = IntegerField(
        "How many",
        default=1,
        validators=[InputRequired("Enter how many to draw."), NumberRange(1, 200)],
    )
    points = StringField(
        "Points per question",
        validators=[Optional()],
        description="Leave empty to use each question's own points.",
    )
    page = IntegerField("Page", validators=[Optional(), NumberRange(1, 1000)])
    submit = SubmitField("Add random draw")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    bank = SelectField("Bank", choices=[], validate_choice=False)
    source = SelectField("Article", choices=[], validate_choice=False)
    skill = SelectField("Skill", choices=_any(SKILL_CHOICES), default="")
    qtype = SelectField("Type", choices=_any(TYPE_CHOICES), default="")
    difficulty = SelectField("Difficulty", choices=_any(DIFFICULTY_CHOICES), default="")
    text = StringField("Words in the question or its id", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Filter")


class SlotForm(FlaskForm):
    points = StringField(
        "Points", validators=[Optional()], description="Empty: the question's own points."
    )
    page = IntegerField(
        "Page", validators=[InputRequired("Enter a page number."), NumberRange(1, 1000)]
    )
    submit = SubmitField("Save")


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])


class ConfirmForm(FlaskForm):
    """A button with a CSRF token (remove, clear, publish)."""


class AccommodationForm(FlaskForm):
    student = SelectField("Student", coerce=int, validate_choice=False)
    time_multiplier = StringField(
        "Time multiplier",
        validators=[Optional()],
        description="e.g. 1.5 for 50% extra time. Or use minutes below.",
    )
    extra_minutes = IntegerField("Extra minutes", validators=[Optional()])
    extra_attempts = IntegerField("Extra attempts", validators=[Optional()])
    closes_at = DateTimeLocalField(
        "Personal close date (UTC)",
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description="Must be later than the quiz's close date.",
    )
    note = StringField("Note (shown to the student)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save accommodation")


def form_errors_into(form: FlaskForm, errors: dict[str, str], aliases: dict[str, Any]) -> None:
    """Put service errors beside their fields; ``""`` and unknown names go to form_errors."""
    for name, message in errors.items():
        field = getattr(form, aliases.get(name, name), None) if name else None
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*list(field.errors), message]
