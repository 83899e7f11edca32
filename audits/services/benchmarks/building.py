"""Building a brand's snapshots and storing them, each with its league-table rows.

Which periods are rebuilt is decided in `periods`; the audits come from `collecting`. Each
`Snapshot.to_dict()` is stored whole, and its rows once more in served shape (`served`), in
league order, so a page of a league table is one indexed range read.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.bulk import insert_rows
from audits.models import BenchmarkRow, BenchmarkSnapshot, BenchmarkStalePeriod, Brand
from audits.services.benchmarks.collecting import CountedAudit, branch_units, read_audits
from audits.services.benchmarks.periods import (
    KIND_ORDER,
    default_periods,
    dependent_periods,
    expand_keys,
    leniency_window,
    ranked_window,
)
from audits.services.benchmarks.served import served_row
from scoring.benchmark import AuditRecord, PeriodLayout, Snapshot, build_snapshots, parse_period
from scoring.benchmark.records import LEVELS, OVERALL

logger = logging.getLogger(__name__)


def benchmarks_refresh_brand(
    *, brand: Brand, periods: Iterable[str] | None = None, today: date | None = None
) -> int:
    """Rebuild the brand's snapshots for `periods` (keys) or the default ones; returns how many.

    Every snapshot of a period is written in one transaction (all dimensions), so a reader
    never sees half a period. A period left with no counted audit loses its snapshots.
    """
    today = today or timezone.now().date()
    units, zones = branch_units(brand)
    return _refresh_periods(brand, wanted_periods(brand, zones, today, periods), units, zones)


def wanted_periods(
    brand: Brand, zones: dict[int, str], today: date, periods: Iterable[str] | None
) -> set[tuple[str, str]]:
    """(kind, key) of the periods a refresh of `periods` (keys, or None: the default) builds."""
    return expand_keys(periods) if periods is not None else default_periods(brand, zones, today)


def periods_span(wanted: Iterable[tuple[str, str]]) -> tuple[date, date]:
    """The first and last visit dates any of these periods ranks or learns leniency from."""
    first, last = date.max, date.min
    for kind, key in wanted:
        start, end = ranked_window(kind, key)
        window = leniency_window(kind, key)
        first, last = min(first, start, window[0] if window else start), max(last, end)
    return first, last


def benchmarks_refresh_stale(*, brand: Brand, today: date | None = None) -> int:
    """Rebuild the brand's periods marked stale since the last such run, and the periods that
    depend on them; returns how many snapshots. What the debounced refresh after a release or
    correction runs. A brand without snapshots gets its first full build instead.
    """
    today = today or timezone.now().date()
    units, zones = branch_units(brand)
    stale = _take_stale_periods(brand)
    if not BenchmarkSnapshot.objects.filter(brand=brand).exists():
        first_build = default_periods(brand, zones, today)
        return _refresh_periods(brand, first_build, units, zones, taken=stale)
    if not stale:
        return 0
    return _refresh_periods(brand, dependent_periods(stale, today), units, zones, taken=stale)


def benchmarks_refresh_stale_by_id(brand_id: int) -> int:
    """`benchmarks_refresh_stale` for a brand id; 0 for a brand deleted since it was queued."""
    brand = Brand.objects.filter(pk=brand_id).first()
    return 0 if brand is None else benchmarks_refresh_stale(brand=brand)


def _take_stale_periods(
    brand: Brand, among: set[tuple[str, str]] | None = None
) -> set[tuple[str, str]]:
    """The brand's stale marks (those `among` the given periods), deleted in the same
    transaction (the rows locked meanwhile, so a concurrent mark of one waits, then marks it
    anew)."""
    with transaction.atomic():
        marks = [
            (pk, kind, key)
            for pk, kind, key in BenchmarkStalePeriod.objects.select_for_update()
            .filter(brand=brand)
            .values_list("pk", "period_kind", "period")
            if among is None or (kind, key) in among
        ]
        BenchmarkStalePeriod.objects.filter(pk__in=[pk for pk, _, _ in marks]).delete()
    return {(kind, key) for _, kind, key in marks}


def mark_stale(marks: Iterable[tuple[int, str, str]]) -> None:
    """Mark (brand id, kind, key) periods stale in one insert; a period already marked stays
    as it is (ignore_conflicts on its unique key)."""
    now = timezone.now()
    BenchmarkStalePeriod.objects.bulk_create(
        [
            BenchmarkStalePeriod(brand_id=brand_id, period_kind=kind, period=key, marked_at=now)
            for brand_id, kind, key in sorted(marks)
        ],
        ignore_conflicts=True,
    )


def _refresh_periods(
    brand: Brand,
    wanted: set[tuple[str, str]],
    units: dict,
    zones: dict[int, str],
    *,
    taken: set[tuple[str, str]] = frozenset(),
) -> int:
    """Build and store the snapshots of every (kind, key) in `wanted`; returns how many.

    The stale marks of those periods are taken (deleted) before any audit is read, so an
    audit committed after that marks its period again and queues the next run; if the
    rebuild fails they are put back, with the marks the caller `taken`, for the retry.
    """
    if not wanted:
        return 0
    taken = set(taken) | _take_stale_periods(brand, among=wanted)
    try:
        return _build_periods(brand, wanted, units, zones)
    except BaseException:
        try:
            mark_stale((brand.pk, kind, key) for kind, key in taken)
        except Exception:  # the database that failed the rebuild: the nightly job catches up
            logger.exception("could not put back the stale periods of brand %s", brand.pk)
        raise


class AuditsByDay:
    """Counted audits in visit order, sliced by date windows without a scan."""

    def __init__(self, audits: list[CountedAudit]) -> None:
        self.audits = audits
        self.days = [a.record.visited_on for a in audits]

    def between(self, window: tuple[date, date]) -> list[AuditRecord]:
        """The records of the audits visited from `window[0]` to `window[1]`, inclusive."""
        lo = bisect.bisect_left(self.days, window[0])
        hi = bisect.bisect_right(self.days, window[1])
        return [a.record for a in self.audits[lo:hi]]


def _build_periods(
    brand: Brand, wanted: set[tuple[str, str]], units: dict, zones: dict[int, str]
) -> int:
    """Read the audits of every wanted period's windows once, then build period by period."""
    windows = {pk: ranked_window(*pk) for pk in wanted}
    lenient = {pk: leniency_window(*pk) for pk in wanted}
    between = AuditsByDay(read_audits(brand, *periods_span(wanted), zones)).between

    built = 0
    previous_cache: dict[tuple[str, str, str], dict] = {}
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    for kind, key in sorted(wanted, key=lambda pk: (order[pk[0]], pk[1])):
        records = between(windows[(kind, key)])
        window = lenient[(kind, key)]
        shopper_records = between(window) if window is not None else None
        built += build_and_store_period(
            brand, kind, key, records, shopper_records, units, previous_cache
        )
    return built


def _dimensions(records: list[AuditRecord]) -> list[str]:
    keys = {k for r in records for k, v in r.dimension_scores.items() if v is not None}
    return [OVERALL, *sorted(keys - {OVERALL})]


def _previous(brand, kind, key, dimensions, cache_) -> dict[str, dict]:
    """The stored snapshots of the period before, by dimension (for change tests)."""
    prev = parse_period(key).shift(-1).key
    wanted = [d for d in dimensions if (kind, prev, d) not in cache_]
    if wanted:
        for dimension, data in BenchmarkSnapshot.objects.filter(
            brand=brand, period_kind=kind, period=prev, dimension__in=wanted
        ).values_list("dimension", "data"):
            cache_[(kind, prev, dimension)] = data
    return {d: cache_[(kind, prev, d)] for d in dimensions if (kind, prev, d) in cache_}


def build_and_store_period(
    brand: Brand,
    kind: str,
    key: str,
    records: list[AuditRecord],
    shopper_records: list[AuditRecord] | None,
    units: dict,
    cache_: dict,
    *,
    only: Iterable[str] | None = None,
    layout: PeriodLayout | None = None,
) -> int:
    """Fit and store the snapshots of one period in every dimension its records score (or in
    those of them listed in `only`), in one transaction; returns how many were stored.

    A snapshot of the period in a dimension that now has nothing to rank is deleted (among
    `only`, when given). `cache_` holds the stored data by (kind, key, dimension), so the
    next period's change tests read it without a query; `layout` is the records' `lay_out`,
    when the caller keeps one for several calls.
    """
    dimensions = _dimensions(records) if records else []
    only = None if only is None else set(only)
    if only is not None:
        dimensions = [d for d in dimensions if d in only]
    previous = _previous(brand, kind, key, dimensions, cache_) if records else {}
    snapshots = build_snapshots(
        records,
        units,
        period=key,
        dimensions=dimensions,
        previous=previous,
        min_audits=brand.min_audits,
        shopper_window_records=shopper_records,
        layout=layout,
    )
    built: list[tuple[str, Snapshot]] = [
        (dimension, snapshot)
        for dimension, snapshot in snapshots.items()
        if snapshot.variance_components.n_audits
    ]
    now = timezone.now()
    with transaction.atomic():
        stale = BenchmarkSnapshot.objects.filter(brand=brand, period=key, period_kind=kind)
        if only is not None:
            stale = stale.filter(dimension__in=list(only))
        stale.exclude(dimension__in=[d for d, _ in built]).delete()
        for dimension, snapshot in built:
            data = snapshot.to_dict()
            cache_[(kind, key, dimension)] = data
            store_snapshot(brand, kind, key, dimension, snapshot, data=data, now=now)
    return len(built)


def store_snapshot(
    brand: Brand,
    kind: str,
    key: str,
    dimension: str,
    snapshot: Snapshot,
    *,
    data: dict | None = None,
    now: datetime | None = None,
) -> int:
    """Upsert one snapshot and replace its served rows (call inside a transaction); its id.

    The rows are written in league order with their served JSON, so a page of the league
    table is one indexed range read. Public so the league-endpoint bench can store a pure
    snapshot built from simulated records.
    """
    data = snapshot.to_dict() if data is None else data
    now = now or timezone.now()
    n_audits = sum(row.n for row in snapshot.rows.get("branch", ()))
    fields = {
        "built_at": now,
        "n_audits": n_audits,
        "data": data,
        "summary": {
            level: {
                "count": len(data["rows"].get(level, [])),
                "quartiles": data["quartiles"].get(level),
            }
            for level in LEVELS
        },
        "shopper_leniency": {
            s["shopper"]: {"leniency": s["leniency"], "interval": s["interval"], "n": s["n"]}
            for s in data["shoppers"]
        },
    }
    stored = _upsert_snapshot(
        {"brand": brand, "period": key, "period_kind": kind, "dimension": dimension}, fields
    )
    BenchmarkRow.objects.filter(snapshot_id=stored).delete()
    # One plain insert (COPY on PostgreSQL): `bulk_create` of a 1,000-branch brand's rows took
    # a fifth of a refresh, building instances and adapting their JSON (bench/league_refresh.py).
    insert_rows(
        BenchmarkRow,
        ("snapshot", "level", "position", "unit_id", "fair_score", "row"),
        (
            (stored, level, position, int(row["id"]), row["fair_score"], served_row(row))
            for level in LEVELS
            for position, row in enumerate(data["rows"].get(level, []))
        ),
    )
    return stored


def _upsert_snapshot(key: dict, fields: dict) -> int:
    """Write `fields` to the snapshot `key` names, creating it if need be; its id.

    Not `update_or_create`: that locks and loads the old row first, and parsing a
    5,000-branch snapshot's JSON only to overwrite it took 0.8 s of a 3.8 s rebuild task
    (cProfile of `benchmarks_build_one`). A create that loses to a concurrent one updates.
    """
    snapshots = BenchmarkSnapshot.objects.filter(**key)
    pk = snapshots.values_list("pk", flat=True).first()
    if pk is None:
        try:
            with transaction.atomic():
                return BenchmarkSnapshot.objects.create(**key, **fields).pk
        except IntegrityError:
            pk = snapshots.values_list("pk", flat=True).get()
    BenchmarkSnapshot.objects.filter(pk=pk).update(**fields)
    return pk
