"""Points as people read them: one rounding rule for every page and file.

Grades are rounded **half up** to 2 decimals (10.125 → 10.13, 9.375 → 9.38), on the decimal
value as written, not on its binary float (``round(10.125, 2)`` gives 10.12 because the float
is 10.12499…). A total shown beside its parts is the sum of the *rounded* parts, so a row always
adds up on screen and in a spreadsheet. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "as_decimal", "display", "round_half_up", "total_of_shown"]

CENT = Decimal("0.01")


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
