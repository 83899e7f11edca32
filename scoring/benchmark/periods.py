"""Period keys for league tables: "2026-Q3" (quarter), "2026-11" (month) and "2026" (year).

A snapshot is stored under its period key, so keys are plain strings that sort in time order
within one kind. Ranking on a handful of audits a quarter is noisy, so `rolling_quarters` gives
the four quarters ending at a quarter: the caller passes the audits of that window to
`build_snapshot` and labels the snapshot with the last quarter.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

QUARTER = "quarter"
MONTH = "month"
YEAR = "year"

_PER_YEAR = {QUARTER: 4, MONTH: 12, YEAR: 1}
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """One calendar period; `index` is the quarter (1-4), the month (1-12), or 1 for a year."""

    year: int
    kind: str
    index: int

    def __post_init__(self) -> None:
        if self.kind not in _PER_YEAR:
            raise ValueError(f"unknown period kind: {self.kind!r}")
        if not 1 <= self.year <= 9999 or not 1 <= self.index <= _PER_YEAR[self.kind]:
            raise ValueError(f"period out of range: {self.year} {self.kind} {self.index}")

    @property
    def key(self) -> str:
        if self.kind == QUARTER:
            return f"{self.year:04d}-Q{self.index}"
        if self.kind == MONTH:
            return f"{self.year:04d}-{self.index:02d}"
        return f"{self.year:04d}"

    @property
    def start(self) -> date:
        """The first day of the period."""
        first_month = {QUARTER: 3 * self.index - 2, MONTH: self.index, YEAR: 1}[self.kind]
        return date(self.year, first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        last_month = {QUARTER: 3 * self.index, MONTH: self.index, YEAR: 12}[self.kind]
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def shift(self, steps: int) -> Period:
        """The period `steps` periods of the same kind later (earlier when `steps` < 0).

        ValueError, never OverflowError, past the calendar (no period follows December 9999
        or precedes January of year 1), so a caller stepping from a stray date gets the one
        error every malformed period raises.
        """
        per_year = _PER_YEAR[self.kind]
        year, index0 = divmod(self.year * per_year + self.index - 1 + steps, per_year)
        if not 1 <= year <= 9999:
            raise ValueError(f"no {self.kind} {steps:+d} from {self.key}: years run from 1 to 9999")
        return Period(year, self.kind, index0 + 1)

    def __str__(self) -> str:
        return self.key


def parse_period(key: str) -> Period:
    """The period a key names; raises ValueError for anything but the three key forms."""
    text = key.strip() if isinstance(key, str) else ""
    if match := _QUARTER_RE.match(text):
        return Period(int(match[1]), QUARTER, int(match[2]))
    if match := _MONTH_RE.match(text):
        return Period(int(match[1]), MONTH, int(match[2]))
    if match := _YEAR_RE.match(text):
        return Period(int(match[1]), YEAR, 1)
    raise ValueError(f"not a period key (expected 2026-Q3, 2026-11 or 2026): {key!r}")


def period_of(day: date, kind: str) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == QUARTER:
        return Period(day.year, QUARTER, (day.month - 1) // 3 + 1)
    if kind == MONTH:
        return Period(day.year, MONTH, day.month)
    return Period(day.year, YEAR, 1)


def date_range(key: str) -> tuple[date, date]:
    """First and last day (both inclusive) of the period `key`."""
    period = parse_period(key)
    return period.start, period.end


def previous_period(key: str) -> str:
    """The key of the period of the same kind just before `key` ("2026-Q1" -> "2025-Q4")."""
    return parse_period(key).shift(-1).key


def rolling_quarters(key: str, quarters: int = 4) -> tuple[str, ...]:
    """The `quarters` quarter keys ending at quarter `key`, oldest first.

    `rolling_quarters("2026-Q3")` is ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3").
    """
    period = parse_period(key)
    if period.kind != QUARTER:
        raise ValueError(f"a rolling window ends at a quarter, not {key!r}")
    if quarters < 1:
        raise ValueError("a rolling window has at least one quarter")
    return tuple(period.shift(step).key for step in range(1 - quarters, 1))


def rolling_date_range(key: str, quarters: int = 4) -> tuple[date, date]:
    """First and last day (inclusive) of the rolling window of `quarters` ending at `key`."""
    keys = rolling_quarters(key, quarters)
    return parse_period(keys[0]).start, parse_period(keys[-1]).end
