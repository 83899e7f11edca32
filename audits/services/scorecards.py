"""A branch's scorecard: what its audits say over a period, from the current score rows.

Everything comes from the stored scores (never re-scored on the fly), with a fixed number of
queries whatever the period holds: the checklist versions used, one aggregate row, one
row per month, the item explanations and the five latest audits. No shopper identity is read
or returned: a franchise owner sees how the branch did, never who visited.

Dates are calendar days of the branch's own time zone, so a visit at 00:30 local time on the
first of a month counts in that month wherever the server runs.

The result is a plain dict so that other figures (e.g. the fair benchmark) can be added to it
without touching what is here.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf, TruncMonth
from django.utils import timezone

from audits.errors import InvalidInput
from audits.models import COUNTED_STATUSES, Action, ActionStatus, Branch, ChecklistVersion, Score
from audits.services.actions import overdue
from audits.services.benchmarks.reads import branch_fair_summary

DEFAULT_MONTHS = 12
MAX_PERIOD_DAYS = 3660  # ten years: the monthly trend stays a readable list
MOST_MISSED = 5
RECENT = 5


def branch_timezone(branch: Branch) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(branch.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def _year_before(day: date) -> date:
    """The day after the same date a year earlier: `DEFAULT_MONTHS` months ending on `day`."""
    try:
        earlier = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        earlier = day.replace(year=day.year - 1, day=28)
    return earlier + timedelta(days=1)


def scorecard_period(
    branch: Branch, date_from: date | None, date_to: date | None, *, today: date | None = None
) -> tuple[date, date]:
    """The period asked for, defaulting to the 12 months ending today (branch time).

    Raises InvalidInput naming `from` when it falls after `to`, or the period is longer
    than ten years.
    """
    if today is None:
        today = timezone.now().astimezone(branch_timezone(branch)).date()
    end = date_to or today
    start = date_from or _year_before(end)
    if start > end:
        raise InvalidInput({"from": [f"must not be after 'to' ({end})."]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput({"from": ["the period may cover at most ten years."]})
    return start, end


def _round(value: Any, places: str = "0.01") -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else _round(Decimal(part) / Decimal(whole), "0.0001")


def _months(start: date, end: date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _layout(versions: Iterable[ChecklistVersion]) -> tuple[list[str], list[str], dict[str, str]]:
    """Dimension keys, section keys and item texts of the versions, newest version's order
    first, keys only older versions had after them."""
    dimensions: dict[str, None] = {}
    sections: dict[str, None] = {}
    texts: dict[str, str] = {}
    for version in versions:
        for section in version.checklist.sections:
            dimensions.setdefault(section.dimension)
            sections.setdefault(section.key)
            for item in section.items:
                texts.setdefault(item.key, item.text)
    return list(dimensions), list(sections), texts


def _json_mean(field: str, key: str) -> Avg:
    """Mean of one key of a JSON object column (JSON null and missing keys are left out).

    On SQLite Django reads a JSON null as the text 'null' (which would cast to 0), hence the
    NULLIF; on PostgreSQL `->>` already gives SQL NULL.
    """
    text = NullIf(KeyTextTransform(key, field), Value("null"))
    return Avg(Cast(text, FloatField()))


def _item_figures(
    rows: Iterable[tuple[list[dict], list[str]]], texts: dict[str, str]
) -> tuple[list[dict], list[dict]]:
    """Critical failures per item, and the items with the lowest share of points earned.

    The explanation is an ordered list per score, not an object keyed by item, so its totals
    are summed here from one query of the period's rows (a branch has tens to hundreds of
    audits a year). Only items that were scored count (N/A, hidden, bonus and unscored ones
    have nothing possible), and items never missed are not "missed".
    """
    earned: dict[str, Decimal] = defaultdict(Decimal)
    possible: dict[str, Decimal] = defaultdict(Decimal)
    counted: dict[str, int] = defaultdict(int)
    critical: dict[str, int] = defaultdict(int)
    for items, failures in rows:
        for entry in items:
            if entry["possible"]:
                key = entry["item"]
                earned[key] += Decimal(str(entry["earned"]))
                possible[key] += Decimal(str(entry["possible"]))
                counted[key] += 1
        for key in failures:
            critical[key] += 1
    shares = {key: earned[key] / possible[key] for key in possible}
    missed = sorted((share, key) for key, share in shares.items() if share < 1)
    most_missed = [
        {
            "item": key,
            "text": texts.get(key, ""),
            "share_earned": _round(share, "0.0001"),
            "n": counted[key],
        }
        for share, key in missed[:MOST_MISSED]
    ]
    critical_items = [
        {"item": key, "count": count}
        for key, count in sorted(critical.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return critical_items, most_missed


def period_scores(branch: Branch, start: date, end: date, tz: tzinfo) -> QuerySet[Score]:
    """Current scores of the branch's released audits started within [start, end] (local days).

    Released excluded ones are left out: a reviewer kept them for the record, not the score."""
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return Score.objects.filter(
        is_current=True,
        submission__status__in=COUNTED_STATUSES,
        submission__assignment__branch=branch,
        submission__started_at__gte=since,
        submission__started_at__lt=until,
    )


def branch_scorecard(
    *, branch: Branch, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any]:
    """The scorecard of `branch` over [date_from, date_to] (see the module docstring).

    Means are of the stored (2-decimal) scores; rates are shares from 0 to 1; null where the
    period holds nothing to average. Six queries (the last reads the fair benchmark),
    whatever the period holds.
    """
    tz = branch_timezone(branch)
    start, end = scorecard_period(branch, date_from, date_to)
    scores = period_scores(branch, start, end, tz)

    versions = ChecklistVersion.objects.filter(
        pk__in=scores.values("checklist_id").distinct()
    ).order_by("-template_id", "-version", "-pk")
    dimension_keys, section_keys, texts = _layout(versions)

    aggregates = {
        "n": Count("pk"),
        "mean": Avg("overall"),
        "passed": Count("pk", filter=Q(passed=True)),
        "critical": Count("pk", filter=~Q(critical_failures=[])),
    }
    aggregates.update(
        {f"dimension_{i}": _json_mean("dimensions", key) for i, key in enumerate(dimension_keys)}
    )
    aggregates.update(
        {f"section_{i}": _json_mean("sections", key) for i, key in enumerate(section_keys)}
    )
    totals = scores.aggregate(**aggregates)
    n = totals["n"]

    by_month = {
        row["month"].astimezone(tz).strftime("%Y-%m"): row
        for row in scores.annotate(month=TruncMonth("submission__started_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"), mean=Avg("overall"), passed=Count("pk", filter=Q(passed=True)))
        .order_by("month")
    }
    trend = []
    for month in _months(start, end):
        row = by_month.get(month)
        count = row["n"] if row else 0
        trend.append(
            {
                "month": month,
                "n": count,
                "mean_overall": _round(row["mean"]) if row else None,
                "pass_rate": _rate(row["passed"], count) if row else None,
            }
        )

    critical_items, most_missed = _item_figures(
        scores.values_list("items", "critical_failures"), texts
    )
    recent = [
        {
            "id": row["submission_id"],
            "started_at": row["started_at"],
            "overall": _round(row["overall"]),
            "passed": row["passed"],
        }
        for row in scores.order_by("-submission__started_at", "-submission_id").values(
            "submission_id", "overall", "passed", started_at=F("submission__started_at")
        )[:RECENT]
    ]

    return {
        "branch": {"id": branch.pk, "name": branch.name},
        "from": start,
        "to": end,
        "n_audits": n,
        "mean_overall": _round(totals["mean"]),
        "dimensions": {
            key: _round(totals[f"dimension_{i}"]) for i, key in enumerate(dimension_keys)
        },
        "sections": {key: _round(totals[f"section_{i}"]) for i, key in enumerate(section_keys)},
        "pass_rate": _rate(totals["passed"], n),
        "critical_failures": {
            "count": totals["critical"],
            "rate": _rate(totals["critical"], n),
            "items": critical_items,
        },
        "trend": trend,
        "most_missed": most_missed,
        "recent": recent,
        "fair": branch_fair_summary(branch.pk, until=end),
        "actions": _actions_owed(branch),
    }


def _actions_owed(branch: Branch) -> dict[str, int]:
    """The branch's actions not yet done, now (not bounded by the period: what it owes)."""
    owed = Action.objects.filter(branch=branch)
    return {
        "open": owed.filter(status=ActionStatus.OPEN).count(),
        "overdue": overdue(owed).count(),
        "awaiting_verification": owed.filter(status=ActionStatus.COMPLETED).count(),
    }
