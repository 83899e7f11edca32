"""The debounced refresh task, the hook after scoring, and the nightly beat entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from audits import tasks
from audits.models import BenchmarkRefreshWindow, BenchmarkSnapshot
from audits.services.benchmarks import scheduling
from support.helpers import scored_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Calls of refresh_stale_benchmarks.apply_async, recorded instead of sent."""
    calls = []
    monkeypatch.setattr(
        tasks.refresh_stale_benchmarks, "apply_async", lambda *a, **kw: calls.append((a, kw))
    )
    yield calls


def test_two_schedules_enqueue_one_refresh(world, queued):
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is False
    assert queued == [
        ((), {"args": [world.brand.pk], "countdown": settings.BENCHMARK_REFRESH_DELAY})
    ]


def test_brands_are_debounced_separately(world, queued):
    scheduling.benchmarks_schedule_refresh(world.brand.pk)
    scheduling.benchmarks_schedule_refresh(world.other_brand.pk)
    assert [kw["args"] for _, kw in queued] == [[world.brand.pk], [world.other_brand.pk]]


def _close_window(brand) -> None:
    """The window's time is up (as BENCHMARK_REFRESH_DELAY seconds later)."""
    BenchmarkRefreshWindow.objects.filter(brand=brand).update(
        due_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_schedule_after_the_window_enqueues_again(world, queued):
    scheduling.benchmarks_schedule_refresh(world.brand.pk)
    _close_window(world.brand)
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is False
    assert len(queued) == 2


def test_the_window_is_shared_by_processes_whatever_their_cache(world, queued):
    """Issue 14: without CACHE_URL each process had its own memory cache, so each Celery child
    opened its own window and two refreshes of one brand ran together. The window is a row."""
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True
    cache.clear()  # another process: an empty cache of its own
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is False
    window = BenchmarkRefreshWindow.objects.get(brand=world.brand)
    expected = timezone.now() + timedelta(seconds=settings.BENCHMARK_REFRESH_DELAY)
    assert abs((window.due_at - expected).total_seconds()) < 5
    assert len(queued) == 1


def test_a_send_that_fails_leaves_the_window_closed(world, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.refresh_stale_benchmarks, "apply_async", broken)
    with pytest.raises(ConnectionError):
        scheduling.benchmarks_schedule_refresh(world.brand.pk)
    monkeypatch.undo()
    sent = []
    monkeypatch.setattr(
        tasks.refresh_stale_benchmarks, "apply_async", lambda *a, **kw: sent.append(kw)
    )
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True
    assert len(sent) == 1


def test_scored_submissions_schedule_their_brands(world, queued):
    first = scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC))
    second = scored_submission(world, started_at=datetime(2026, 8, 3, 11, tzinfo=UTC))
    assert scheduling.benchmarks_schedule_refresh_for_submissions([first.pk, second.pk]) == 1
    assert [kw["args"] for _, kw in queued] == [[world.brand.pk]]


def test_the_task_runs_eagerly_and_builds_snapshots(world):
    scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC))
    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True  # eager: runs inline
    assert BenchmarkSnapshot.objects.filter(brand=world.brand, period="2026-08").exists()


def test_unknown_brand_refresh_is_a_no_op(db):
    assert tasks.refresh_benchmarks.apply(args=[987654]).get() == 0
    assert tasks.refresh_stale_benchmarks.apply(args=[987654]).get() == 0


def test_nightly_job_queues_every_brand(world, monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.refresh_benchmarks, "apply_async", lambda args, **kw: sent.extend(args)
    )
    assert tasks.refresh_all_benchmarks() == 2
    assert sorted(sent) == sorted([world.brand.pk, world.other_brand.pk])
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-all-benchmarks"]
    assert entry["task"] == tasks.refresh_all_benchmarks.name
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {0}


def test_scoring_alone_schedules_nothing(world, queued, django_capture_on_commit_callbacks):
    """League tables count released reports: one waiting for review changes no table."""
    with django_capture_on_commit_callbacks(execute=True):
        scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC), release=False)
    assert queued == []


def test_release_schedules_a_refresh_once_committed(
    world, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC))
    assert queued == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert [kw["args"] for _, kw in queued] == [[world.brand.pk]]


def test_a_failing_schedule_does_not_fail_the_release(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.refresh_stale_benchmarks, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        submission = scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC))
    assert submission.status == "released"


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_refresh_runs_in_a_background_thread(world, settings, monkeypatch):
    """The embedded default has no worker: the request that scored must not wait for fits."""
    import threading

    scored_submission(world, started_at=datetime(2026, 8, 3, 10, tzinfo=UTC))
    _close_window(world.brand)  # its release (committed at once here) opened one
    settings.BENCHMARK_REFRESH_IN_THREAD = True
    settings.BENCHMARK_REFRESH_DELAY = 1  # the thread waits the debounce window out first
    ran_on = []
    original = scheduling._refresh_in_thread

    def recording(task, brand_id, delay):
        ran_on.append((threading.current_thread().name, delay))
        original(task, brand_id, delay)

    monkeypatch.setattr(scheduling, "_refresh_in_thread", recording)

    assert scheduling.benchmarks_schedule_refresh(world.brand.pk) is True
    for thread in threading.enumerate():
        if thread.name == f"benchmarks-refresh-{world.brand.pk}":
            thread.join(timeout=60)

    assert ran_on == [(f"benchmarks-refresh-{world.brand.pk}", 1)]
    assert BenchmarkSnapshot.objects.filter(brand=world.brand, period="2026-08").exists()
