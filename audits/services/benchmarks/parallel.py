"""A brand's rebuild split into one Celery task per period and dimension, so that N benchmark
workers finish it about N times sooner than one `benchmarks_refresh_brand` would.

`benchmarks_refresh_in_tasks` decides the periods as the serial refresh does, then sends a
group of chains: one chain per (period kind, dimension), its periods in key order, because a
period's change test reads the snapshot of the period before, which the previous link of its
chain has just stored. The chains run side by side on however many workers there are.

Each task (`benchmarks_build_one`) builds and stores one snapshot. The audits are read from
the database once per worker process for the whole rebuild (the widest window of its
periods, cached under the rebuild's token) rather than once per task: one read of a
250,000-audit brand costs as much as several fits. Readers may see a period's dimensions
replaced one after another while the rebuild runs; each snapshot is replaced in one
transaction with its rows. Stale marks (`BenchmarkStalePeriod`) are left for the debounced
refresh: no task could put them back if it failed, as the serial refresh does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from celery import chain, group
from django.conf import settings
from django.utils import timezone

from audits import dispatch
from audits.models import BenchmarkSnapshot, Brand
from audits.services.benchmarks import building
from audits.services.benchmarks.building import (
    AuditsByDay,
    build_and_store_period,
    periods_span,
    wanted_periods,
)
from audits.services.benchmarks.collecting import (
    branch_units,
    dimension_keys,
    read_audits,
)
from audits.services.benchmarks.periods import KIND_ORDER, leniency_window, ranked_window
from scoring.benchmark import PeriodLayout, UnitInfo, lay_out
from scoring.benchmark.records import OVERALL


@dataclass(frozen=True)
class _RebuildAudits:
    """What every task of one rebuild reads: the brand's branches and its audits, by day."""

    token: str
    units: dict[str, UnitInfo]
    audits: AuditsByDay
    layouts: dict[tuple[str, str], tuple[list, list | None, PeriodLayout]]

    def period(self, kind: str, key: str) -> tuple[list, list | None, PeriodLayout]:
        """The period's records, its leniency window's, and their layout. The layout of the
        last period asked for is kept: the queue hands a process a period's dimensions one
        after another (every chain's first link is queued at once, in dimension order), and
        laying out a 250,000-audit window costs a second."""
        if (kind, key) not in self.layouts:
            records = self.audits.between(ranked_window(kind, key))
            window = leniency_window(kind, key)
            shopper_records = self.audits.between(window) if window is not None else None
            layout = lay_out(records, period=key, shopper_window_records=shopper_records)
            self.layouts.clear()
            self.layouts[(kind, key)] = (records, shopper_records, layout)
        return self.layouts[(kind, key)]


# The audits of the rebuild this process last worked on (one rebuild at a time: the memory of
# a large brand's audits is held once, and let go when the next rebuild starts).
_current: _RebuildAudits | None = None


def benchmarks_refresh_by_id(brand_id: int) -> int:
    """The nightly refresh of a brand: split into tasks (BENCHMARK_SPLIT_REBUILDS), returning
    how many were sent, or run here by `benchmarks_refresh_brand`, returning the snapshots
    built; 0 for a brand deleted since it was queued."""
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        return 0
    if settings.BENCHMARK_SPLIT_REBUILDS:
        return benchmarks_refresh_in_tasks(brand=brand)
    return building.benchmarks_refresh_brand(brand=brand)


def benchmarks_refresh_in_tasks(
    *, brand: Brand, periods: list[str] | None = None, today: date | None = None
) -> int:
    """Send the rebuild of `periods` (keys; default: the periods `benchmarks_refresh_brand`
    would rebuild) as one task per period and dimension; returns how many tasks were sent.

    Snapshots of those periods in a dimension no audit of the window has any more are
    deleted here; a task whose period and dimension turn out empty deletes its own.
    """
    today = today or timezone.now().date()
    _, zones = branch_units(brand)
    wanted = wanted_periods(brand, zones, today, periods)
    if not wanted:
        return 0
    first, last = periods_span(wanted)
    dimensions = [OVERALL, *sorted(dimension_keys(brand, first, last) - {OVERALL})]
    for kind, key in wanted:
        BenchmarkSnapshot.objects.filter(brand=brand, period_kind=kind, period=key).exclude(
            dimension__in=dimensions
        ).delete()
    token = uuid.uuid4().hex
    task = dispatch.registered(dispatch.BUILD_BENCHMARK)
    chains = []
    for kind in KIND_ORDER:  # months first: theirs are the longest chains
        keys = sorted(key for k, key in wanted if k == kind)
        if not keys:
            continue
        for dimension in dimensions:
            links = [
                task.si(brand.pk, kind, key, dimension, token, first.isoformat(), last.isoformat())
                for key in keys
            ]
            chains.append(chain(*links))
    group(chains).apply_async()
    return sum(len(c.tasks) for c in chains)


def benchmarks_build_one(
    *, brand_id: int, kind: str, key: str, dimension: str, token: str, first: date, last: date
) -> int:
    """Build and store the snapshot of one period and dimension of rebuild `token`; returns
    1, or 0 when its period holds nothing to rank in that dimension (its snapshot, if any, is
    deleted) or the brand is gone."""
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        return 0
    audits = _rebuild_audits(brand, token, first, last)
    records, shopper_records, layout = audits.period(kind, key)
    return build_and_store_period(
        brand,
        kind,
        key,
        records,
        shopper_records,
        audits.units,
        {},
        only=[dimension],
        layout=layout,
    )


def _rebuild_audits(brand: Brand, token: str, first: date, last: date) -> _RebuildAudits:
    global _current
    if _current is None or _current.token != token:
        _current = None  # let the previous rebuild's audits go before reading the next
        units, zones = branch_units(brand)
        audits = read_audits(brand, first, last, zones)
        _current = _RebuildAudits(token=token, units=units, audits=AuditsByDay(audits), layouts={})
    return _current
