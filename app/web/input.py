"""Refuse requests that cannot be real input with a 400 that says why, before a view or the
database sees them: ids beyond what an id column holds, JSON nested beyond any answer, values a
database refuses to store. Bad input must never look like an outage (a 5xx the page retries)."""

from __future__ import annotations

from typing import Any

from flask import Request as FlaskRequest
from markupsafe import Markup
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from app.domain.text import displayable

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL (and what we use)


class BadInput(BadRequest):
    """A 400 whose description is shown to the person as it is."""


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches ids a database column can hold: a larger one is a 404,
    not an OverflowError (SQLite, beyond 2⁶³) or a DataError (PostgreSQL, beyond 2³¹)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Request(FlaskRequest):
    """Flask's request, with JSON nested too deeply for the parser refused as bad input
    (the parser raises RecursionError, which is not a ValueError, so Flask would answer 500)."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadInput(
                "The data sent is nested too deeply to be an answer. Reload the page and try again."
            ) from None


def is_bad_value(exc: BaseException) -> bool:
    """True for an error that a stored value caused, not the database being unavailable:
    PostgreSQL's "invalid input"/"out of range" (a NUL, a number beyond a column), SQLite's
    integer overflow."""
    if isinstance(exc, OverflowError):
        return True
    if isinstance(exc, DataError):
        return True
    return isinstance(exc, UnicodeEncodeError)


BAD_VALUE_MESSAGE = (
    "Something you sent contains a value that cannot be stored (for example an invisible "
    "control character or a number that is far too large). Remove it and try again."
)


class RenderedHtml(Markup):
    """HTML our own templates rendered, every value of it already through ``finalize``: shown
    again (a cached fragment of the quiz page) it is not scanned a second time."""

    __slots__ = ()


def displayable_output(value: Any) -> Any:
    """Jinja's ``finalize``: text stored before the text policy (a lone surrogate) is shown as
    U+FFFD instead of making the whole page fail to encode (a 500 that locks the student out)."""
    if isinstance(value, str) and not isinstance(value, RenderedHtml):
        safe = displayable(value)
        if safe is not value:
            return Markup(safe) if isinstance(value, Markup) else safe  # noqa: S704 (was Markup)
    return value
