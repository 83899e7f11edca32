"""The refresh after a release rebuilds the periods its audits changed, not every recent one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audits import tasks
from audits.models import BenchmarkRow, BenchmarkSnapshot, BenchmarkStalePeriod, PeriodKind
from audits.services.benchmarks import building
from audits.services.benchmarks.building import benchmarks_refresh_brand, benchmarks_refresh_stale
from audits.services.benchmarks.periods import dependent_periods
from support.helpers import scored_submission
from support.league_data import make_league

pytestmark = pytest.mark.django_db

M, Q, Y, R = PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR, PeriodKind.ROLLING_4Q
TODAY = date(2026, 9, 20)  # after the August visits


@pytest.fixture
def queued(monkeypatch):
    """Debounced refreshes recorded instead of run, so the test runs the refresh itself."""
    calls = []
    monkeypatch.setattr(
        tasks.refresh_stale_benchmarks, "apply_async", lambda *a, **kw: calls.append(kw)
    )
    return calls


def _marks(brand) -> set[tuple[str, str]]:
    return set(
        BenchmarkStalePeriod.objects.filter(brand=brand).values_list("period_kind", "period")
    )


def _built(brand) -> dict[tuple[str, str, str], datetime]:
    return {
        (s.period_kind, s.period, s.dimension): s.built_at
        for s in BenchmarkSnapshot.objects.filter(brand=brand)
    }


def _release(world, day: datetime, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return scored_submission(world, started_at=day, **kwargs)


def test_a_release_marks_the_periods_of_its_visit(
    world, queued, django_capture_on_commit_callbacks
):
    _release(world, datetime(2026, 8, 3, 10, tzinfo=UTC), django_capture_on_commit_callbacks)
    _release(world, datetime(2026, 8, 4, 10, tzinfo=UTC), django_capture_on_commit_callbacks)

    rolling = {(R, key) for key in ("2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2")}
    assert _marks(world.brand) == {(M, "2026-08"), (Q, "2026-Q3"), (Y, "2026")} | rolling
    assert BenchmarkStalePeriod.objects.count() == 7  # the second release marked nothing new
    assert [kw["args"] for kw in queued] == [[world.brand.pk]]  # one debounced run


def test_the_periods_that_depend_on_a_stale_one():
    """Later months and quarters learn leniency from twelve months back; each period is the
    baseline of the next one's change test; nothing after today is built."""
    months = {(M, f"2026-{m:02d}") for m in range(1, 13)}
    assert dependent_periods({(M, "2026-01")}, date(2026, 12, 31)) == months
    assert dependent_periods({(M, "2026-01")}, date(2026, 3, 1)) == {
        (M, "2026-01"),
        (M, "2026-02"),
        (M, "2026-03"),
    }
    assert dependent_periods({(Q, "2026-Q1")}, date(2027, 6, 1)) == {
        (Q, f"2026-Q{q}") for q in range(1, 5)
    } | {(Q, "2027-Q1")}
    assert dependent_periods({(Y, "2025"), (R, "2026-Q1")}, date(2026, 5, 1)) == {
        (Y, "2025"),
        (Y, "2026"),
        (R, "2026-Q1"),
        (R, "2026-Q2"),
    }


def test_a_stale_refresh_rebuilds_only_what_the_release_touched(
    world, queued, django_capture_on_commit_callbacks
):
    """A release of this month's visit: its month, quarter, year and rolling window. Not the
    other recent months (August, Q3), which the nightly job rebuilds."""
    today = date(2026, 10, 10)
    soft = make_league(world, start=datetime(2026, 5, 4, 10, tzinfo=UTC), rounds=1)
    make_league(world, start=datetime(2026, 8, 3, 10, tzinfo=UTC), rounds=1, soft=soft)
    benchmarks_refresh_brand(brand=world.brand, today=today)  # the first, full build
    before = _built(world.brand)
    rolling = BenchmarkSnapshot.objects.get(
        brand=world.brand, period_kind=R, period="2026-Q4", dimension="overall"
    )
    n_before = BenchmarkRow.objects.get(
        snapshot=rolling, level="branch", unit_id=world.branch_a1.pk
    ).row["n"]

    _release(
        world,
        datetime(2026, 10, 5, 10, tzinfo=UTC),
        django_capture_on_commit_callbacks,
        branch=world.branch_a1,
    )
    written = benchmarks_refresh_stale(brand=world.brand, today=today)

    after = _built(world.brand)
    changed = {
        (kind, key) for (kind, key, d), at in after.items() if at != before.get((kind, key, d))
    }
    assert changed == {(M, "2026-10"), (Q, "2026-Q4"), (Y, "2026"), (R, "2026-Q4")}
    assert written == sum(1 for kind, key, _ in after if (kind, key) in changed)
    assert {(M, "2026-08"), (Q, "2026-Q3"), (R, "2026-Q3")} <= {(k, p) for k, p, _ in after}
    rolling = BenchmarkSnapshot.objects.get(pk=rolling.pk)
    assert BenchmarkRow.objects.get(
        snapshot=rolling, level="branch", unit_id=world.branch_a1.pk
    ).row["n"] == (n_before + 1)
    assert _marks(world.brand) == set()
    assert benchmarks_refresh_stale(brand=world.brand, today=today) == 0  # nothing marked since


def test_a_failed_stale_refresh_puts_its_periods_back(
    world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    _release(world, datetime(2026, 8, 3, 10, tzinfo=UTC), django_capture_on_commit_callbacks)
    benchmarks_refresh_brand(brand=world.brand, today=TODAY)
    _release(world, datetime(2026, 8, 10, 10, tzinfo=UTC), django_capture_on_commit_callbacks)
    marked = _marks(world.brand)

    def broken(*args, **kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(building, "_build_periods", broken)
    with pytest.raises(ConnectionError):
        benchmarks_refresh_stale(brand=world.brand, today=TODAY)
    assert _marks(world.brand) == marked  # for the retry


def test_a_brand_without_snapshots_gets_its_first_full_build(
    world, queued, django_capture_on_commit_callbacks
):
    scored_submission(world, started_at=datetime(2026, 5, 4, 10, tzinfo=UTC))  # never marked
    _release(world, datetime(2026, 8, 3, 10, tzinfo=UTC), django_capture_on_commit_callbacks)

    assert benchmarks_refresh_stale(brand=world.brand, today=TODAY) > 0
    periods = set(BenchmarkSnapshot.objects.values_list("period_kind", "period"))
    assert {(M, "2026-05"), (M, "2026-08")} <= periods
    assert _marks(world.brand) == set()


def test_a_full_refresh_takes_the_marks_of_the_periods_it_rebuilds(
    world, queued, django_capture_on_commit_callbacks
):
    _release(world, datetime(2026, 8, 3, 10, tzinfo=UTC), django_capture_on_commit_callbacks)
    _release(world, datetime(2026, 5, 4, 10, tzinfo=UTC), django_capture_on_commit_callbacks)

    benchmarks_refresh_brand(brand=world.brand, periods=["2026-08"], today=TODAY)

    assert (M, "2026-08") not in _marks(world.brand)  # rebuilt: nothing left to do
    assert (M, "2026-05") in _marks(world.brand)  # not rebuilt: still stale
