"""Exact number helpers shared by the checklist parser and the engine.

JSON numbers arrive as ints or binary floats. Scores must be exact, so a float is read through
its shortest decimal text (`0.1` becomes exactly 1/10, not the nearest binary fraction), and
only rounded once, half-up, when a result is written out for people.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any


def is_number(value: Any) -> bool:
    """True for a finite int, float, Fraction or Decimal; never for bool (`True` is not 1 here)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int | Fraction)


def to_fraction(value: Any) -> Fraction:
    """The exact value of a number accepted by `is_number`; floats go through their decimal text."""
    if isinstance(value, float):
        return Fraction(str(value))
    return Fraction(value)


def fraction_to_json(value: Fraction) -> int | float:
    """An int when the fraction is whole, else the nearest float: the JSON shape of a number."""
    if value.denominator == 1:
        return value.numerator
    return float(value)


def round_half_up(value: Fraction, places: int = 2) -> float:
    """Round to `places` decimals, halves away from zero, as a float for JSON (58.333… -> 58.33)."""
    # floor(|n/d| * scale + 1/2) in integers: the same result as Fraction arithmetic, without
    # building three intermediate Fractions per call (this runs for every item of every score).
    numerator, denominator = value.numerator, value.denominator
    scale = 10**places
    magnitude = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    rounded = magnitude / scale
    return -rounded if numerator < 0 and magnitude else rounded
