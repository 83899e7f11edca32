"""A refresh survives what the database holds: visits no period can hold, a failing brand.

The API refuses dates outside years 2000 to 2100, but rows stored before that rule, by a
script or through the ORM still reach the league tables: such an audit is logged and skipped,
and one brand's failed refresh never stops the others.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from audits import tasks
from audits.models import BenchmarkSnapshot, PeriodKind, Score, Submission
from audits.services.benchmarks import building, scheduling
from audits.services.benchmarks.building import benchmarks_refresh_brand
from support.helpers import scored_submission

pytestmark = pytest.mark.django_db

TODAY = date(2026, 8, 20)
AUGUST = datetime(2026, 8, 3, 10, tzinfo=UTC)
COLLECTING = "audits.services.benchmarks.collecting"


def _dated(world, started_at: datetime, branch=None) -> Submission:
    """A scored submission whose visit is then re-dated through the ORM (no validation)."""
    submission = scored_submission(world, branch=branch, started_at=AUGUST)
    Submission.objects.filter(pk=submission.pk).update(started_at=started_at)
    return submission


def _built(brand) -> set[tuple[str, str]]:
    return set(
        BenchmarkSnapshot.objects.filter(brand=brand, dimension="overall").values_list(
            "period_kind", "period"
        )
    )


def _normal_periods(world) -> set[tuple[str, str]]:
    """What a first build of the brand's one normal August audit stores."""
    scored_submission(world, started_at=AUGUST)
    benchmarks_refresh_brand(brand=world.brand, today=TODAY)
    normal = _built(world.brand)
    BenchmarkSnapshot.objects.filter(brand=world.brand).delete()
    return normal


def _skipped(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == COLLECTING]


def _levels(caplog) -> set[int]:
    return {r.levelno for r in caplog.records if r.name == COLLECTING}


@pytest.mark.parametrize(
    "started_at",
    [
        datetime(9999, 12, 31, 12, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1, 1, 2, 12, tzinfo=UTC),  # PostgreSQL stores year 1 (SQLite too)
        datetime(1999, 12, 31, 12, tzinfo=UTC),
        datetime(2101, 1, 1, 12, tzinfo=UTC),
    ],
    ids=["9999-12-31", "9999-12-31-late", "0001-01-02", "1999-12-31", "2101-01-01"],
)
def test_a_visit_outside_the_supported_years_is_logged_and_skipped(world, caplog, started_at):
    normal = _normal_periods(world)
    assert (PeriodKind.MONTH, "2026-08") in normal
    bad = _dated(world, started_at)
    assert Submission.objects.get(pk=bad.pk).started_at == started_at  # stored as dated

    with caplog.at_level(logging.WARNING, logger=COLLECTING):
        written = benchmarks_refresh_brand(brand=world.brand, today=TODAY)

    assert written > 0
    assert _built(world.brand) == normal  # the normal periods, nothing for the stray visit
    august = BenchmarkSnapshot.objects.get(
        brand=world.brand, period_kind=PeriodKind.MONTH, period="2026-08", dimension="overall"
    )
    assert august.n_audits == 1  # the re-dated audit no longer counts in August
    messages = _skipped(caplog)
    assert messages and all(f"submission {bad.pk}:" in m for m in messages)
    assert _levels(caplog) == {logging.WARNING}


def test_a_visit_with_no_local_date_is_skipped(world, caplog):
    """9999-12-31 20:00 UTC is already year 10000 in Tokyo: astimezone overflows."""
    tokyo = world.branch_a2
    tokyo.timezone = "Asia/Tokyo"
    tokyo.save()
    scored_submission(world, started_at=AUGUST)
    bad = _dated(world, datetime(9999, 12, 31, 20, tzinfo=UTC), branch=tokyo)
    with caplog.at_level(logging.WARNING, logger=COLLECTING):
        assert benchmarks_refresh_brand(brand=world.brand, today=TODAY) > 0
    assert (PeriodKind.MONTH, "2026-08") in _built(world.brand)
    assert all(p.startswith("2026") or p.startswith("2025") for _, p in _built(world.brand))
    assert any(f"submission {bad.pk}:" in m for m in _skipped(caplog))


def test_a_later_refresh_still_completes(world, caplog):
    """Not only the first build: the default periods once snapshots are stored, with the
    stray audit scored since the last build (the nightly case)."""
    scored_submission(world, started_at=AUGUST)
    benchmarks_refresh_brand(brand=world.brand, today=TODAY)
    bad = _dated(world, datetime(9999, 12, 31, 12, tzinfo=UTC))
    Score.objects.filter(submission=bad).update(scored_at=timezone.now())
    with caplog.at_level(logging.WARNING, logger=COLLECTING):
        assert benchmarks_refresh_brand(brand=world.brand, today=TODAY) > 0
    assert any(f"submission {bad.pk}:" in m for m in _skipped(caplog))
    assert not any(p.startswith("9999") for _, p in _built(world.brand))


def test_explicit_periods_at_the_calendar_edges_do_not_overflow(world):
    """A caller naming 9999 or year 1 gets no snapshot (no audit is there), not a crash."""
    scored_submission(world, started_at=AUGUST)
    assert benchmarks_refresh_brand(brand=world.brand, periods=["9999-Q4", "9999-12"]) == 0
    assert benchmarks_refresh_brand(brand=world.brand, periods=["0001-12", "0002"]) == 0
    assert benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"]) > 0


def test_the_nightly_job_refreshes_a_brand_holding_a_9999_visit(world):
    """The nightly fan-out, eager (no broker): the task runs in-process for each brand."""
    scored_submission(world, started_at=AUGUST)
    _dated(world, datetime(9999, 12, 31, 12, tzinfo=UTC))
    cache.clear()
    assert tasks.refresh_all_benchmarks.apply().get() == 2
    periods = {p for _, p in _built(world.brand)}
    assert "2026-08" in periods and not any(p.startswith("9999") for p in periods)


def test_one_brand_failing_does_not_stop_the_nightly_refresh_of_the_others(
    world, monkeypatch, caplog
):
    """Eager: a brand's refresh raising inside the fan-out is logged, the next brand builds."""
    scored_submission(world, started_at=AUGUST)
    other = scored_submission(
        world, branch=world.other_branch, started_at=datetime(2026, 8, 4, 10, tzinfo=UTC)
    )
    assert other.status == "released"
    failing = min(world.brand.pk, world.other_brand.pk)  # the first one the loop sends
    healthy = world.other_brand if failing == world.brand.pk else world.brand
    real = building.benchmarks_refresh_brand

    def refresh(*, brand, **kwargs):
        if brand.pk == failing:
            raise OverflowError("date value out of range")
        return real(brand=brand, **kwargs)

    monkeypatch.setattr(building, "benchmarks_refresh_brand", refresh)
    with caplog.at_level(logging.ERROR, logger=scheduling.logger.name):
        queued = tasks.refresh_all_benchmarks.apply().get()

    assert queued == 1  # the failing one is not counted
    assert BenchmarkSnapshot.objects.filter(brand=healthy, period="2026-08").exists()
    assert not BenchmarkSnapshot.objects.filter(brand_id=failing).exists()
    failures = [r for r in caplog.records if r.name == scheduling.logger.name]
    assert [f"brand {failing} failed" in r.getMessage() for r in failures] == [True]
    assert failures[0].exc_info and failures[0].exc_info[0] is OverflowError


def test_a_broker_refusing_one_brand_does_not_stop_the_others(world, monkeypatch, caplog):
    sent = []

    def apply_async(args, **kwargs):
        if args == [world.brand.pk]:
            raise ConnectionError("broker refused")
        sent.extend(args)

    monkeypatch.setattr(tasks.refresh_benchmarks, "apply_async", apply_async)
    with caplog.at_level(logging.ERROR, logger=scheduling.logger.name):
        assert scheduling.benchmarks_schedule_every_brand() == 1
    assert sent == [world.other_brand.pk]
    assert any(f"brand {world.brand.pk} failed" in r.getMessage() for r in caplog.records)
