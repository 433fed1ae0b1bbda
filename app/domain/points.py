"""Points as people read them: one rounding rule for every page and file.

Grades are rounded **half up** to 2 decimals (10.125 → 10.13, 9.375 → 9.38), on the decimal
value as written, not on its binary float (``round(10.125, 2)`` gives 10.12 because the float
is 10.12499…). A total shown beside its parts is the sum of the *rounded* parts, so a row always
adds up on screen and in a spreadsheet. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CENT",
    "MAX_POINTS",
    "as_decimal",
    "display",
    "parse_points",
    "round_half_up",
    "total_of_shown",
]

CENT = Decimal("0.01")
MAX_POINTS = 1000.0  # per question, per slot and per override


def as_decimal(value: float | int | str | Decimal) -> Decimal:
    """The decimal a person would write for ``value``: floats go through their shortest
    repr (``str(10.125)`` is ``'10.125'``), so 10.125 is not taken as 10.12499…"""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def round_half_up(value: float | int | str | Decimal) -> Decimal:
    """``value`` rounded half up (away from zero on a tie) to 2 decimals."""
    return as_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def display(value: float | int | str | Decimal | None) -> int | Decimal | None:
    """Points for a cell: half up, no trailing zeros (``7.50`` → ``7.5``, ``4.00`` → ``4``)."""
    if value is None:
        return None
    rounded = round_half_up(value)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return rounded.normalize()


def total_of_shown(values: Iterable[float | int | str | Decimal | None]) -> Decimal:
    """The sum of the values as displayed (each rounded first); blanks count 0."""
    return sum((round_half_up(v) for v in values if v is not None), Decimal(0))


def parse_points(text: Any, maximum: float = MAX_POINTS, *, allow_zero: bool = False) -> float:
    """A points value typed by a person: a number with at most 2 decimals, in range.

    Raises ValueError with a message fit to show beside the field."""
    raw = str(text).strip() if text is not None else ""
    if not raw:
        raise ValueError("Enter a number.")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"“{raw[:20]}” is not a number.") from None
    if not number.is_finite():
        raise ValueError("Enter a finite number.")
    exponent = number.as_tuple().exponent
    # Quantize with enough precision for every digit typed: the default context (28 digits)
    # raises InvalidOperation on e.g. "228571428571428571428571391.857".
    digits = Context(prec=len(number.as_tuple().digits) + 3)
    if (
        isinstance(exponent, int)
        and exponent < -2
        and number != number.quantize(Decimal("0.01"), context=digits)
    ):
        raise ValueError("Use at most 2 decimal places.")
    value = float(number)
    lowest = 0.0
    if value < lowest or (value == 0 and not allow_zero):
        raise ValueError(
            f"Enter a number from 0 to {maximum:g}."
            if allow_zero
            else f"Enter a number greater than 0 (at most {maximum:g})."
        )
    if value > maximum + 1e-9:
        raise ValueError(f"At most {maximum:g} points.")
    return round(value, 2)
