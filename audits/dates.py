"""The calendar the product supports: visits, windows and report periods in years 2000 to 2100.

Python's dates reach year 9999, but a period after December 9999 cannot be computed, and a
visit dated 1970 or 2999 is a typo, not an audit: every date a caller sends is checked against
this range, so a bad one is a 400 naming the field, never a stored row that breaks a report.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_YEAR = 2000
LAST_YEAR = 2100
OUT_OF_RANGE = "out_of_range"
OUT_OF_RANGE_MESSAGE = f"Dates from {FIRST_YEAR} to {LAST_YEAR} only."


def in_supported_range(value: date | datetime) -> bool:
    """Whether the (calendar) year of `value` is one the product can hold and report on."""
    return FIRST_YEAR <= value.year <= LAST_YEAR
