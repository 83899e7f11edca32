"""Reading what a league table ranks: branches as `UnitInfo`, counted audits as `AuditRecord`.

The one place rows become the pure package's records (`scoring.benchmark`). Visit dates are
the branch's local date, so an audit late on the last evening of a month counts in that month.

An audit whose visit date falls outside the years the product supports (audits.dates, 2000 to
2100) cannot be placed in a period a league table is built for: it is logged and skipped here,
where audits are read, so a visit dated 9999-12-31 that reached the database never stops a
brand's refresh (the period after December 9999 cannot be computed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from audits.dates import FIRST_YEAR, LAST_YEAR, in_supported_range
from audits.models import COUNTED_STATUSES, Branch, Brand, Score
from scoring.benchmark import AuditRecord, UnitInfo

logger = logging.getLogger(__name__)

# The first and last visit dates a league table can place in a period.
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)


@dataclass(frozen=True)
class CountedAudit:
    """An audit as a league table counts it, with when its current score was written."""

    record: AuditRecord
    scored_at: datetime


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def visit_date(started_at: datetime, zone: str) -> date:
    """The date of a visit in its branch's time zone."""
    return started_at.astimezone(_zone(zone)).date()


def placed_visit_date(submission_id: int, started_at: datetime, zone: str) -> date | None:
    """The visit date of a counted audit, or None (logged) if no supported period holds it.

    None for a date outside years 2000 to 2100 in the branch's time zone, or one that has no
    local date at all (9999-12-31 late in UTC is year 10000 in Tokyo): the audit is skipped.
    """
    try:
        day = visit_date(started_at, zone)
    except OverflowError:
        day = None
    if day is None or not in_supported_range(day):
        logger.warning(
            "league tables skip submission %s: its visit (%s, %s) is outside years %s to %s",
            submission_id,
            started_at.isoformat(),
            zone,
            FIRST_YEAR,
            LAST_YEAR,
        )
        return None
    return day


def branch_units(brand: Brand) -> tuple[dict[str, UnitInfo], dict[int, str]]:
    """UnitInfo of every branch of the brand, and each branch's time zone."""
    units, zones = {}, {}
    rows = Branch.objects.filter(brand=brand).values_list(
        "pk", "name", "timezone", "franchisee_id", "franchisee__name", "region_id", "region__name"
    )
    for pk, name, zone, franchisee_id, franchisee_name, region_id, region_name in rows:
        units[str(pk)] = UnitInfo(
            branch_id=str(pk),
            name=name,
            franchisee_id=None if franchisee_id is None else str(franchisee_id),
            region_id=None if region_id is None else str(region_id),
            franchisee_name=franchisee_name,
            region_name=region_name,
        )
        zones[pk] = zone
    return units, zones


def counted_scores(brand: Brand) -> QuerySet[Score]:
    """Current scores of the brand's released audits (not those released excluded)."""
    return Score.objects.filter(
        is_current=True,
        submission__status__in=COUNTED_STATUSES,
        submission__assignment__branch__brand=brand,
    )


def _counted_between(brand: Brand, first: date, last: date) -> QuerySet[Score]:
    """Counted scores of visits started from a day before `first` to a day after `last` (UTC):
    every visit whose branch-local date falls in the window, whatever the time zone."""
    low = datetime.combine(first - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    high = datetime.combine(last + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
    return counted_scores(brand).filter(
        submission__started_at__gte=low, submission__started_at__lt=high
    )


def dimension_keys(brand: Brand, first: date, last: date) -> set[str]:
    """The dimensions any counted audit visited about `first` to `last` has a score in (a
    superset of those `read_audits` of the window would give: the window is padded a day)."""
    first, last = max(first, FIRST_DAY), min(last, LAST_DAY)
    if first > last:
        return set()
    keys: set[str] = set()
    for dims in _counted_between(brand, first, last).values_list("dimensions", flat=True):
        keys.update(k for k, v in (dims or {}).items() if v is not None)
    return keys


def read_audits(brand: Brand, first: date, last: date, zones: dict[int, str]) -> list[CountedAudit]:
    """Counted audits visited (branch-local date) from `first` to `last`, in visit order.

    One query with values() for the window (padded a day each side for time zones, and held
    within the supported years, so no date arithmetic leaves the calendar). Each audit
    counts with its calculated overall, the score before a `zero` critical policy replaced it
    with 0: the model is fitted on the calculated score (a kill item is its own yes/no
    outcome), and the failure counts as a critical failure.
    """
    first, last = max(first, FIRST_DAY), min(last, LAST_DAY)
    if first > last:
        return []
    rows = _counted_between(brand, first, last).values_list(
        "submission_id",
        "submission__assignment__branch_id",
        "submission__shopper_id",
        "submission__started_at",
        "calculated_overall",
        "critical_failures",
        "dimensions",
        "scored_at",
    )
    audits = []
    for sub_id, branch_id, shopper_id, started, calculated, failures, dims, scored in rows:
        visited = placed_visit_date(sub_id, started, zones.get(branch_id, "UTC"))
        if visited is None or not first <= visited <= last:
            continue
        if calculated is None:
            continue  # nothing was scorable on this visit
        audits.append(
            CountedAudit(
                record=AuditRecord(
                    audit_id=str(sub_id),
                    branch_id=str(branch_id),
                    shopper_id=str(shopper_id),
                    score=float(calculated),
                    critical_failure=bool(failures),
                    visited_on=visited,
                    dimension_scores={
                        key: None if v is None else float(v) for key, v in (dims or {}).items()
                    },
                ),
                scored_at=scored,
            )
        )
    audits.sort(key=lambda a: (a.record.visited_on, a.record.audit_id))
    return audits
