from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.domain.identities import (
    IdentityError,
    normalise_email,
    normalise_name,
    normalise_student_number,
)
from app.domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def _identity(check: object) -> object:
    """A validator from an ``app.domain.identities`` check: its message, capitalised, on the
    field."""

    def validate(form: FlaskForm, field: StringField) -> None:
        try:
            check(field.data or "")  # type: ignore[operator]
        except IdentityError as exc:
            message = str(exc)
            raise ValidationError(message[0].upper() + message[1:] + ".") from exc

    return validate


_email = _identity(normalise_email)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    next = HiddenField()
    submit = SubmitField("Log in")


_new_password = [
    DataRequired(),
    Length(
        min=MIN_PASSWORD_LENGTH,
        max=MAX_PASSWORD_LENGTH,
        message=f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
    ),
]


class SignupForm(FlaskForm):
    join_code = StringField(
        "Course join code",
        validators=[DataRequired(), Length(max=32)],
        description="Your instructor gives you this code.",
    )
    name = StringField(
        "Full name", validators=[DataRequired(), Length(max=200), _identity(normalise_name)]
    )
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), _email])
    student_number = StringField(
        "Student id",
        validators=[Optional(), Length(max=64), _identity(normalise_student_number)],
        description="Required if your instructor put you on the course roster with one.",
    )
    password = PasswordField("Password", validators=_new_password)
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
    submit = SubmitField("Create account")


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
    submit = SubmitField("Change password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
    submit = SubmitField("Set password")
