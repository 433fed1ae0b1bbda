from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class CourseForm(FlaskForm):
    title = StringField("Course title", validators=[DataRequired(), Length(max=200)])
    code = StringField(
        "Course code",
        validators=[Optional(), Length(max=40)],
        description="For example POL204. Optional.",
    )
    submit = SubmitField("Create course")


class RosterForm(FlaskForm):
    file = FileField(
        "Roster CSV",
        validators=[FileRequired("Choose a CSV file.")],
        description="Columns: name, email, student id (optional), section (optional). UTF-8.",
    )
    submit = SubmitField("Import roster")


class JoinForm(FlaskForm):
    join_code = StringField("Join code", validators=[DataRequired(), Length(max=32)])
    submit = SubmitField("Join course")
