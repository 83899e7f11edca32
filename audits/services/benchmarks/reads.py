"""Reads of stored benchmark snapshots: the scorecard's fair score, comparison, calibration.

Kept out of the views so they stay thin: the caller's scope still comes from audits.selectors
(the scorecard decides itself who may see its fair score), and nothing here fits a model
(every figure was computed when the snapshot was built).
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from audits import selectors
from audits.errors import InvalidInput, NotFound
from audits.models import BenchmarkRow, PeriodKind, User
from audits.services.benchmarks.periods import period_kind_of, trend_months
from scoring.benchmark.periods import QUARTER, period_of
from scoring.benchmark.records import OVERALL

COMPARED_FIGURES = (
    "fair_score",
    "interval",
    "percentile",
    "percentile_interval",
    "rank",
    "n",
    "few_audits",
)


def branch_fair_summary(
    branch_id: int,
    *,
    period: str | None = None,
    until: date | None = None,
    dimension: str = OVERALL,
) -> dict | None:
    """The branch's fair score for the scorecard: `period` (a key) or its latest quarter.

    Without `period`, the latest quarter snapshot holding the branch, no later than the
    quarter of `until` when given (a scorecard ending in May shows Q2, not a later quarter).
    {period, fair_score, interval, percentile, percentile_interval, few_audits}, or None when
    no snapshot holds the branch. One query; the scorecard decides who may see it.
    """
    rows = BenchmarkRow.objects.filter(
        level="branch", unit_id=branch_id, snapshot__dimension=dimension
    )
    if period is None:
        rows = rows.filter(snapshot__period_kind=PeriodKind.QUARTER)
        if until is not None:
            # Quarter keys ("2026-Q3") sort in time order as strings.
            rows = rows.filter(snapshot__period__lte=period_of(until, QUARTER).key)
    else:
        rows = rows.filter(snapshot__period=period, snapshot__period_kind=period_kind_of(period))
    found = rows.order_by("-snapshot__period").values_list("snapshot__period", "row").first()
    if found is None:
        return None
    key, row = found
    return {
        "period": key,
        "fair_score": row["fair_score"],
        "interval": row["interval"],
        "percentile": row["percentile"],
        "percentile_interval": row["percentile_interval"],
        "few_audits": row["few_audits"],
    }


def _branch_rows(snapshots: QuerySet, branch_ids: list[int], key_field: str) -> dict:
    """{(branch id, snapshot's `key_field`): served row} for these branches in these snapshots."""
    return {
        (unit_id, key): row
        for key, unit_id, row in BenchmarkRow.objects.filter(
            snapshot__in=snapshots, level="branch", unit_id__in=branch_ids
        ).values_list(f"snapshot__{key_field}", "unit_id", "row")
    }


def branches_compare(*, user: User, branch_ids: list[int], key: str, kind: str) -> dict:
    """Branches side by side: overall and every dimension of one period, plus monthly trend.

    400 naming `branches` for ids the caller cannot see or branches of several brands; 404
    when the period has no snapshot yet. Three queries whatever the number of branches.
    """
    branches = {
        pk: (name, brand_id)
        for pk, name, brand_id in selectors.branches_visible_to(user)
        .filter(pk__in=branch_ids)
        .values_list("pk", "name", "brand_id")
    }
    unknown = [pk for pk in branch_ids if pk not in branches]
    if unknown:
        raise InvalidInput({"branches": [f"Unknown branch ids: {', '.join(map(str, unknown))}."]})
    brands = {brand_id for _, brand_id in branches.values()}
    if len(brands) > 1:
        raise InvalidInput({"branches": ["Compare branches of one brand at a time."]})
    visible = selectors.benchmark_snapshots_visible_to(user).filter(brand_id=brands.pop())
    of_period = visible.filter(period=key, period_kind=kind)
    dimensions = sorted(
        of_period.values_list("dimension", flat=True), key=lambda d: (d != OVERALL, d)
    )
    if not dimensions:
        raise NotFound(f"No {kind} league table for {key} yet.")
    figures = {
        where: {name: row[name] for name in COMPARED_FIGURES}
        for where, row in _branch_rows(of_period, branch_ids, "dimension").items()
    }
    months = trend_months(key, kind)
    monthly = _branch_rows(
        visible.filter(period__in=months, period_kind=PeriodKind.MONTH, dimension=OVERALL),
        branch_ids,
        "period",
    )
    return {
        "period": key,
        "period_kind": kind,
        "dimensions": dimensions,
        "months": months,
        "branches": [
            {
                "id": pk,
                "name": branches[pk][0],
                "overall": figures.get((pk, OVERALL)),
                "dimensions": {d: figures.get((pk, d)) for d in dimensions if d != OVERALL},
                "trend": [_trend_point(month, monthly.get((pk, month))) for month in months],
            }
            for pk in branch_ids
        ],
    }


def _trend_point(month: str, row: dict | None) -> dict:
    return {
        "period": month,
        "fair_score": None if row is None else row["fair_score"],
        "interval": None if row is None else row["interval"],
        "n": 0 if row is None else row["n"],
    }


def shopper_calibration(*, user: User, shopper: User, period: tuple[str, str] | None) -> dict:
    """A shopper's leniency with its interval, from `period` or the latest quarter holding them.

    `shopper` comes from `selectors.calibration_shoppers_visible_to(user)`; 404 when no
    snapshot the caller sees includes an audit by them.
    """
    shopper_id = shopper.pk
    snapshots = selectors.benchmark_snapshots_visible_to(user).filter(
        dimension=OVERALL, shopper_leniency__has_key=str(shopper_id)
    )
    if period is None:
        snapshots = snapshots.filter(period_kind=PeriodKind.QUARTER)
    else:
        snapshots = snapshots.filter(period=period[0], period_kind=period[1])
    # The whole (small) dict of one snapshot: a key transform on a digit key would be read by
    # PostgreSQL as an array index.
    found = (
        snapshots.order_by("-period", "-built_at")
        .values_list("period", "period_kind", "shopper_leniency")
        .first()
    )
    if found is None:
        raise NotFound("No league table includes an audit by this shopper yet.")
    key, kind, leniencies = found
    calibration = leniencies[str(shopper_id)]
    return {
        "shopper": shopper_id,
        "leniency": round(calibration["leniency"], 2),
        "interval": [round(v, 2) for v in calibration["interval"]],
        "n": calibration["n"],
        "period": key,
        "period_kind": kind,
    }
