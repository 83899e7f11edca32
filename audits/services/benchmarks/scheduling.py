"""When league tables are rebuilt: a debounced refresh per brand once scores are committed.

Releases, corrections and rescorings call `benchmarks_refresh_on_commit`; once they commit,
the periods their audits fall in are marked stale (`BenchmarkStalePeriod`) and the refresh of
those periods runs as a task after a debounce window (BENCHMARK_REFRESH_DELAY), on a worker,
or on a background thread of the embedded default, which has no worker. The nightly job
rebuilds every recent period of every brand whatever was marked.
"""

from __future__ import annotations

import logging
import threading
import time as time_module
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audits import dispatch
from audits.models import BenchmarkRefreshWindow, Brand, Submission
from audits.services.benchmarks.building import mark_stale
from audits.services.benchmarks.collecting import placed_visit_date
from audits.services.benchmarks.periods import periods_of

logger = logging.getLogger(__name__)


def benchmarks_schedule_refresh(brand_id: int) -> bool:
    """Queue one refresh of the brand's snapshots in BENCHMARK_REFRESH_DELAY seconds.

    Debounced across every process: the first call claims the brand's refresh window (a row
    of `BenchmarkRefreshWindow`, due when the queued run starts) and queues the task; calls
    while the window is open do nothing, because the queued run starts when it closes and so
    reads every audit those calls were about (they run on commit). A call after it closed
    claims a new window. Returns whether a run was queued.

    With the embedded eager Celery (no broker) there is no worker to take the countdown: a
    background thread (BENCHMARK_REFRESH_IN_THREAD, on by default without a broker) waits it
    out and refreshes, so the request that scored a submission does not wait seconds for model
    fits and the run still reads every audit of its window; with the setting off it runs
    inline at once, as eager tasks do.
    """
    delay = int(settings.BENCHMARK_REFRESH_DELAY)
    if not _claim_refresh_window(brand_id, seconds=max(delay, 1)):
        return False
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.BENCHMARK_REFRESH_IN_THREAD:
        threading.Thread(
            target=_refresh_in_thread,
            args=(dispatch.registered(dispatch.REFRESH_STALE_BENCHMARKS), brand_id, delay),
            name=f"benchmarks-refresh-{brand_id}",
            daemon=True,
        ).start()
        return True
    try:
        dispatch.send(dispatch.REFRESH_STALE_BENCHMARKS, brand_id, countdown=delay)
    except Exception:
        # Nothing was queued: close the window, so the next release tries again.
        BenchmarkRefreshWindow.objects.filter(brand_id=brand_id).update(due_at=timezone.now())
        raise
    return True


def _claim_refresh_window(brand_id: int, *, seconds: int) -> bool:
    """Open the brand's next refresh window, unless one is open; True for the one caller
    that opened it. A conditional update where the row exists, an insert the first time
    (two first callers: the unique key lets one in, the other finds the window open)."""
    now = timezone.now()
    due = now + timedelta(seconds=seconds)
    windows = BenchmarkRefreshWindow.objects.filter(brand_id=brand_id, due_at__lte=now)
    if windows.update(due_at=due):
        return True
    if BenchmarkRefreshWindow.objects.filter(brand_id=brand_id).exists():
        return False
    try:
        with transaction.atomic():
            BenchmarkRefreshWindow.objects.create(brand_id=brand_id, due_at=due)
    except IntegrityError:
        return bool(windows.update(due_at=due))  # it closed in between: still ours to open
    return True


def _refresh_in_thread(task, brand_id: int, delay: float) -> None:
    """After the debounce window, run the refresh on this thread's own connection; close it."""
    time_module.sleep(delay)
    try:
        task.apply(args=[brand_id])
    except Exception:  # a thread has no caller to raise to: log it
        logger.exception("league-table refresh of brand %s failed", brand_id)
    finally:
        connection.close()


def benchmarks_mark_stale(submission_ids: Iterable[int]) -> list[int]:
    """Mark the periods of these (just released or re-scored) submissions' visits stale.

    One query for the visits, one insert of the periods (a period already marked stays as it
    is). Returns the ids of the brands they belong to.
    """
    rows = Submission.objects.filter(pk__in=list(submission_ids)).values_list(
        "pk", "started_at", "assignment__branch__brand_id", "assignment__branch__timezone"
    )
    days: dict[int, list] = {}
    for submission_id, started_at, brand_id, zone in rows:
        day = placed_visit_date(submission_id, started_at, zone)  # None: logged, skipped
        days.setdefault(brand_id, []).extend([] if day is None else [day])
    mark_stale(
        (brand_id, kind, key)
        for brand_id, visited in days.items()
        for kind, key in periods_of(visited)
    )
    return sorted(days)


def benchmarks_schedule_refresh_for_submissions(submission_ids: Iterable[int]) -> int:
    """Mark the periods of these submissions stale and schedule one debounced refresh of
    each brand they belong to. Called on commit; returns how many refreshes were queued."""
    return sum(
        benchmarks_schedule_refresh(brand_id) for brand_id in benchmarks_mark_stale(submission_ids)
    )


def benchmarks_refresh_on_commit(submission_ids: Iterable[int]) -> None:
    """Once the current transaction commits, schedule the refresh of these submissions' brands.

    Robust: a broker or cache outage then is logged, never turned into a failed scoring (the
    scores are committed; the nightly job rebuilds the tables anyway).
    """
    ids = list(submission_ids)

    def schedule_benchmark_refresh() -> None:
        benchmarks_schedule_refresh_for_submissions(ids)

    transaction.on_commit(schedule_benchmark_refresh, robust=True)


def benchmarks_schedule_every_brand() -> int:
    """Nightly (beat): queue every brand's refresh as its own task, so one slow brand or a
    failing one does not hold the others back. Returns how many were queued (or, eager, run).

    A brand whose send fails is logged and the loop goes on: with a broker that is the broker
    refusing one message; with the embedded eager Celery the task runs here and its error
    propagates out of the send (CELERY_TASK_EAGER_PROPAGATES), so without this one brand's
    failed refresh would leave every later brand's tables unbuilt for the night.
    """
    brand_ids = list(Brand.objects.order_by("pk").values_list("pk", flat=True))
    queued = 0
    for brand_id in brand_ids:
        try:
            dispatch.send(dispatch.REFRESH_BENCHMARKS, brand_id)
        except Exception:  # one brand's failure is logged; the other brands go on
            logger.exception("nightly league-table refresh of brand %s failed", brand_id)
        else:
            queued += 1
    return queued
