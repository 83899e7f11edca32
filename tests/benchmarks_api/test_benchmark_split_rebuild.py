"""A rebuild split into one task per period and dimension stores what the serial one does."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audits import tasks
from audits.models import BenchmarkRow, BenchmarkSnapshot, PeriodKind
from audits.services.benchmarks import parallel
from audits.services.benchmarks.building import benchmarks_refresh_brand, wanted_periods
from audits.services.benchmarks.collecting import branch_units
from support.league_data import make_league

pytestmark = pytest.mark.django_db

TODAY = date(2026, 10, 10)


def _stored(brand) -> dict:
    """Every snapshot's data and its served rows, by (kind, period, dimension)."""
    return {
        (s.period_kind, s.period, s.dimension): (
            s.n_audits,
            s.data,
            s.shopper_leniency,
            list(
                BenchmarkRow.objects.filter(snapshot=s)
                .order_by("level", "position")
                .values_list("level", "position", "unit_id", "fair_score", "row")
            ),
        )
        for s in BenchmarkSnapshot.objects.filter(brand=brand)
    }


@pytest.fixture
def league(world):
    soft = make_league(world, start=datetime(2026, 5, 4, 10, tzinfo=UTC), rounds=1)
    make_league(world, start=datetime(2026, 8, 3, 10, tzinfo=UTC), rounds=1, soft=soft)
    return world


def test_the_split_rebuild_stores_exactly_what_one_process_does(league):
    """Change tests included: each chain builds its periods in order, so every period's test
    reads the snapshot its predecessor's task has just stored."""
    benchmarks_refresh_brand(brand=league.brand, today=TODAY)
    serial = _stored(league.brand)
    BenchmarkSnapshot.objects.all().delete()
    _, zones = branch_units(league.brand)
    wanted = wanted_periods(league.brand, zones, TODAY, None)  # the first build's periods

    sent = parallel.benchmarks_refresh_in_tasks(brand=league.brand, today=TODAY)  # eager

    split = _stored(league.brand)
    assert split.keys() == serial.keys()
    for key, value in serial.items():
        assert split[key] == value, key
    dimensions = {dimension for _, _, dimension in serial}
    assert sent == len(wanted) * len(dimensions)  # periods without audits build nothing
    changed = split[(PeriodKind.MONTH, "2026-08", "overall")][1]["rows"]["branch"]
    assert all("change" in row for row in changed)


def test_a_split_rebuild_drops_what_nothing_ranks_any_more(league):
    benchmarks_refresh_brand(brand=league.brand, today=TODAY)
    stale = BenchmarkSnapshot.objects.get(
        brand=league.brand, period_kind=PeriodKind.MONTH, period="2026-08", dimension="overall"
    )
    BenchmarkSnapshot.objects.create(
        brand=league.brand,
        period="2026-08",
        period_kind=PeriodKind.MONTH,
        dimension="retired_dimension",
        built_at=stale.built_at,
        n_audits=1,
        data=stale.data,
    )

    parallel.benchmarks_refresh_in_tasks(brand=league.brand, periods=["2026-08"], today=TODAY)

    assert not BenchmarkSnapshot.objects.filter(dimension="retired_dimension").exists()
    assert BenchmarkSnapshot.objects.filter(pk=stale.pk).exists()


def test_the_nightly_task_splits_only_when_told(league, settings, monkeypatch):
    sent = []
    monkeypatch.setattr(
        parallel, "benchmarks_refresh_in_tasks", lambda *, brand: sent.append(brand.pk) or 7
    )
    settings.BENCHMARK_SPLIT_REBUILDS = True
    assert tasks.refresh_benchmarks.apply(args=[league.brand.pk]).get() == 7
    assert sent == [league.brand.pk]

    settings.BENCHMARK_SPLIT_REBUILDS = False
    assert tasks.refresh_benchmarks.apply(args=[league.brand.pk]).get() > 0  # built here
    assert sent == [league.brand.pk]
    assert BenchmarkSnapshot.objects.filter(brand=league.brand).exists()


def test_a_task_of_a_deleted_brand_does_nothing(db):
    assert (
        tasks.build_benchmark.apply(
            args=[987654, "month", "2026-08", "overall", "t", "2025-09-01", "2026-08-31"]
        ).get()
        == 0
    )
