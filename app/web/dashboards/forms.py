"""Query-string forms of the dashboards: GET only, allow-listed values, no CSRF needed
(they change nothing)."""

from __future__ import annotations

from wtforms import Form, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

from app.services.analytics import ATTEMPT_CHOICES, PENDING_CHOICES, RESULT_STATES
from app.web.forms import choices


def _options(labels: dict[str, str]) -> list[SelectChoice]:
    return choices(labels.items())


SORT_LABELS = {
    "name": "Name",
    "score": "Score",
    "attempts": "Attempts",
    "time": "Time taken",
    "submitted": "Submitted",
    "state": "State",
}


class ResultsQuery(Form):
    sort = SelectField("Sort by", choices=_options(SORT_LABELS), default="name")
    dir = SelectField(
        "Order", choices=_options({"asc": "Ascending", "desc": "Descending"}), default="asc"
    )
    state = SelectField("Show", choices=_options(RESULT_STATES), default="all")
    q = StringField(
        "Find a student",
        validators=[Optional(), Length(max=100)],
        description="Part of a name, email or student number.",
    )


class AttemptsQuery(Form):
    attempts = SelectField("Attempts analysed", choices=_options(ATTEMPT_CHOICES), default="graded")


class ItemsQuery(AttemptsQuery):
    pending = SelectField(
        "Attempts awaiting grading", choices=_options(PENDING_CHOICES), default="leave_out"
    )


class SkillsQuery(AttemptsQuery):
    quiz = SelectField("Quiz", choices=_options({"": "All quizzes"}), default="")
