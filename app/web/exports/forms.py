"""The export choices: a GET form (downloading changes nothing, so no CSRF token)."""

from __future__ import annotations

from wtforms import BooleanField, Form, SelectField
from wtforms.fields import SelectChoice

from app.domain.export import (
    MOODLE_MATCH_CHOICES,
    NO_GRADE_CHOICES,
    PROVISIONAL_CHOICES,
    ExportOptions,
)

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
    no_grade = SelectField(
        "A student without a grade",
        choices=[SelectChoice(v, label) for v, label in NO_GRADE_CHOICES.items()],
        default="leave",
        description="In a Canvas import a blank cell clears the grade Canvas already has; "
        "by default Hustings writes no row for a student without any grade.",
    )
    provisional = SelectField(
        "Grades that include an essay awaiting grading",
        choices=[SelectChoice(v, label) for v, label in PROVISIONAL_CHOICES.items()],
        default="flag",
    )
    all_students = BooleanField(
        "Canvas and Moodle: also list students without any grade",
        description="Their cells are blank (or 0 with “0 for no attempt”).",
    )
    moodle_match = SelectField(
        "Moodle: you will map users by",
        choices=[SelectChoice(v, label) for v, label in MOODLE_MATCH_CHOICES.items()],
        default="email",
        description="Mapping by ID number, students without a student number are left out.",
    )

    def options(self) -> ExportOptions:
        return ExportOptions(
            no_grade=self.no_grade.data,
            provisional=self.provisional.data,
            all_students=bool(self.all_students.data),
            moodle_match=self.moodle_match.data,
        )
