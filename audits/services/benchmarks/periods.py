"""Which periods a refresh rebuilds, the dates each snapshot ranks, and period keys.

Which periods the debounced refresh after a release or correction rebuilds
(`benchmarks_refresh_stale`): those its audits changed, recorded as `BenchmarkStalePeriod`
rows when they committed (`periods_of` their visit days), and the periods that depend
on them (`dependent_periods`): the later months and quarters whose trailing twelve months of
leniency hold them, and the period after each (its change test is measured against it). A
release of this month's visit thus rebuilds its month, quarter, year and rolling window, four
periods, not every recent one.

Which periods a full refresh (the nightly job, `benchmarks_refresh_brand(brand=...,
periods=None)`) rebuilds:

- a brand with no snapshot yet: every period that holds a counted audit (the first build);
- otherwise the recent periods, i.e. the months of the last `BENCHMARK_RECENT_MONTHS`
  (default 3, the current one included) with their quarters and years, plus every period
  holding an audit whose current score was written since the brand's last build (a late
  upload, a rescoring), so an old quarter is rebuilt exactly when something in it changed,
  and the period after each such one (its change test is measured against it).

Each quarter also gets its rolling-four-quarter snapshot (period kind `rolling4q`, labelled by
the quarter). Months and quarters learn shopper leniency from the trailing four quarters (12
months) ending with the period; years and rolling windows already span a year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings

from audits.models import BenchmarkSnapshot, Brand, PeriodKind
from audits.services.benchmarks.collecting import counted_scores, placed_visit_date
from scoring.benchmark import parse_period
from scoring.benchmark.periods import MONTH, QUARTER, YEAR, Period, period_of, rolling_date_range

# Kinds in build order; within a kind periods go by key, so a period's predecessor is built
# (and cached) before its change test reads it.
KIND_ORDER = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR, PeriodKind.ROLLING_4Q)
_KIND_OF = {MONTH: PeriodKind.MONTH, QUARTER: PeriodKind.QUARTER, YEAR: PeriodKind.YEAR}


def ranked_window(kind: str, key: str) -> tuple[date, date]:
    """The dates whose audits a snapshot of `kind` and `key` ranks."""
    if kind == PeriodKind.ROLLING_4Q:
        return rolling_date_range(key)
    period = parse_period(key)
    return period.start, period.end


def leniency_window(kind: str, key: str) -> tuple[date, date] | None:
    """The trailing four quarters (12 months) ending with the period, to learn leniency."""
    if kind == PeriodKind.QUARTER:
        return rolling_date_range(key)
    if kind == PeriodKind.MONTH:
        period = parse_period(key)
        return period.shift(-11).start, period.end
    return None  # a year or a rolling window already spans four quarters


def periods_of(days: Iterable[date]) -> set[tuple[str, str]]:
    """(kind, key) of every month, quarter, year and rolling window containing one of `days`.

    A rolling window labelled by quarter Q contains the days of Q and the three quarters
    before it, so a day makes four rolling snapshots stale.
    """
    out: set[tuple[str, str]] = set()
    for day in set(days):
        out.add((PeriodKind.MONTH, period_of(day, MONTH).key))
        out.add((PeriodKind.YEAR, period_of(day, YEAR).key))
        quarter = period_of(day, QUARTER)
        out.add((PeriodKind.QUARTER, quarter.key))
        for step in range(4):
            out.add((PeriodKind.ROLLING_4Q, quarter.shift(step).key))
    return out


def expand_keys(keys: Iterable[str]) -> set[tuple[str, str]]:
    """Explicit period keys: a quarter key also names its rolling window."""
    out = set()
    for key in keys:
        period = parse_period(key)
        out.add((_KIND_OF[period.kind], period.key))
        if period.kind == QUARTER:
            out.add((PeriodKind.ROLLING_4Q, period.key))
    return out


def default_periods(brand: Brand, zones: dict[int, str], today: date) -> set[tuple[str, str]]:
    """The periods a refresh without explicit keys rebuilds (see the module docstring)."""
    last_built = (
        BenchmarkSnapshot.objects.filter(brand=brand)
        .order_by("-built_at")
        .values_list("built_at", flat=True)
        .first()
    )
    scores = counted_scores(brand)
    if last_built is not None:
        scores = scores.filter(scored_at__gt=last_built)
        months = max(int(settings.BENCHMARK_RECENT_MONTHS), 1)
        current = period_of(today, MONTH)
        recent = [current.shift(-i).start for i in range(months)]
    else:
        recent = []
    touched = [
        placed_visit_date(submission_id, started, zones.get(branch_id, "UTC"))
        for submission_id, branch_id, started in scores.values_list(
            "submission_id", "submission__assignment__branch_id", "submission__started_at"
        )
    ]
    periods = periods_of(day for day in touched if day is not None)  # None: logged, skipped
    # Recent months: rebuilding them re-tests change against their predecessors too.
    for day in recent:
        periods |= {(PeriodKind.MONTH, period_of(day, MONTH).key)}
        periods |= {(PeriodKind.QUARTER, period_of(day, QUARTER).key)}
        periods |= {(PeriodKind.ROLLING_4Q, period_of(day, QUARTER).key)}
        periods |= {(PeriodKind.YEAR, period_of(day, YEAR).key)}
    return _with_successors(periods, today)


def dependent_periods(stale: Iterable[tuple[str, str]], today: date) -> set[tuple[str, str]]:
    """The periods to rebuild when the audits of the `stale` ones changed.

    Each stale period, the months and quarters whose leniency window (`leniency_window`: the
    twelve months ending with them) reaches back into a stale month or quarter, and then the
    period after every one of those; never a period still to come.
    """
    periods = set(stale)
    for kind, key in list(periods):
        if kind == PeriodKind.MONTH:
            periods |= {(kind, parse_period(key).shift(step).key) for step in range(1, 12)}
        elif kind == PeriodKind.QUARTER:
            periods |= {(kind, parse_period(key).shift(step).key) for step in range(1, 4)}
    return _with_successors(periods, today)


def _with_successors(periods: set[tuple[str, str]], today: date) -> set[tuple[str, str]]:
    """`periods` and the one after each, none of them starting after `today`."""
    # A rebuilt period is the baseline of the next one's change tests: rebuild that one too,
    # or a late upload for July would leave August's "change" measured against the old July.
    periods = periods | {(kind, parse_period(key).shift(1).key) for kind, key in periods}
    # Never build the future (a rolling window labelled by a quarter still to come).
    return {(kind, key) for kind, key in periods if parse_period(key).start <= today}


def trend_months(key: str, kind: str) -> list[str]:
    """The month keys a snapshot of `kind` and `key` spans, oldest first (for trends)."""
    first, last = ranked_window(kind, key)
    month, final = period_of(first, MONTH), period_of(last, MONTH)
    months = [month.key]
    while month != final:  # no shift past the last month (none follows December 9999)
        month = month.shift(1)
        months.append(month.key)
    return months


def period_kind_of(key: str, *, rolling: bool = False) -> str:
    """The stored period kind for a key; ValueError for a malformed key or rolling non-quarter."""
    period: Period = parse_period(key)
    if rolling:
        if period.kind != QUARTER:
            raise ValueError("a rolling window is labelled by a quarter, e.g. 2026-Q3")
        return PeriodKind.ROLLING_4Q
    return _KIND_OF[period.kind]
