"""Who a person is, as typed: emails, names and student ids checked where they enter.

Sign-up, the roster import and the command line all pass through here, so an account cannot
be created with an address that looks like another one (``amira\u200b@…``, ``amira@….``), a
name the database or a page would choke on (NUL, bidi overrides), or an identifier that a
spreadsheet or LMS import reads as a formula (leading ``= + - @``). Pure: no Flask, no database.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from app.domain.text import TextProblem, accept

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
MAX_STUDENT_NUMBER_LENGTH = 64
# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets; a grade
# file neutralises it ("'-123"), and then Canvas and Moodle cannot match the row to the student.
FORMULA_STARTS = ("=", "+", "-", "@")


class IdentityError(ValueError):
    """Why a typed email, name or student id was refused, in words the person can act on."""


def canonical_email(value: str) -> str:
    """The lookup key of an address: full-width letters, case and stray spaces fold away.

    Used to find an account from what someone typed at login; never refuses anything.
    """
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _no_formula(value: str, what: str) -> None:
    if value.startswith(FORMULA_STARTS):
        raise IdentityError(
            f"{what} {value!r} starts with {value[0]!r}, which spreadsheets and LMS imports read "
            "as a formula; use the identifier without it"
        )


def normalise_email(value: str) -> str:
    """The stored form of an email address, or :class:`IdentityError`.

    Refuses what makes two addresses look alike: invisible characters (zero-width spaces,
    direction controls), a trailing dot, control characters; and a leading ``= + - @``.
    """
    email = canonical_email(value)
    if not email:
        raise IdentityError("the email is empty")
    if len(email) > MAX_EMAIL_LENGTH:
        raise IdentityError(f"the email is longer than {MAX_EMAIL_LENGTH} characters")
    _no_formula(email, "the email")
    try:
        accept(email, multiline=False)
        checked = validate_email(email, check_deliverability=False, test_environment=True)
    except TextProblem as exc:
        raise IdentityError(
            f"the email contains {exc.describe()} at position {exc.column}; retype it"
        ) from exc
    except EmailNotValidError as exc:
        raise IdentityError(f"the email {email!r} is not a valid address: {exc}") from exc
    # Both parts compare case-insensitively here (one account per mailbox, whatever the case).
    return checked.normalized.casefold()


def normalise_name(value: str) -> str:
    """A person's name: NFC, single line, spaces collapsed, at most 200 characters."""
    try:
        name = accept(value, multiline=False)
    except TextProblem as exc:
        raise IdentityError(
            f"the name contains {exc.describe()} at position {exc.column}; remove it"
        ) from exc
    name = " ".join(name.split())
    if not name:
        raise IdentityError("the name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise IdentityError(f"the name is longer than {MAX_NAME_LENGTH} characters")
    return name


def normalise_student_number(value: str | None) -> str | None:
    """A student id as an LMS matches it: trimmed, single line, no leading formula character."""
    if value is None:
        return None
    try:
        number = accept(value, multiline=False).strip()
    except TextProblem as exc:
        raise IdentityError(
            f"the student id contains {exc.describe()} at position {exc.column}; remove it"
        ) from exc
    if not number:
        return None
    if len(number) > MAX_STUDENT_NUMBER_LENGTH:
        raise IdentityError(f"the student id is longer than {MAX_STUDENT_NUMBER_LENGTH} characters")
    _no_formula(number, "the student id")
    return number
