"""When league tables are rebuilt: a debounced refresh per brand once scores are committed.

Scoring calls `benchmarks_refresh_on_commit`; the refresh then runs as a task after a debounce
window (BENCHMARK_REFRESH_DELAY), on a worker, or on a background thread of the embedded
default, which has no worker.
"""

from __future__ import annotations

import logging
import threading
import time as time_module
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection, transaction

from audits import dispatch
from audits.models import Branch, Brand

logger = logging.getLogger(__name__)


def refresh_cache_key(brand_id: int) -> str:
    return f"benchmarks:refresh:{brand_id}"


def benchmarks_schedule_refresh(brand_id: int) -> bool:
    """Queue one refresh of the brand's snapshots in BENCHMARK_REFRESH_DELAY seconds.

    Debounced: the first call adds a per-brand cache key living as long as the countdown and
    queues the task; calls while the key lives do nothing, because the queued run starts after
    the key has expired and so reads every audit those calls were about (they run on commit).
    A call after expiry queues a new run. Returns whether a run was queued.

    With the embedded eager Celery (no broker) there is no worker to take the countdown: a
    background thread (BENCHMARK_REFRESH_IN_THREAD, on by default without a broker) waits it
    out and refreshes, so the request that scored a submission does not wait seconds for model
    fits and the run still reads every audit of its window; with the setting off it runs
    inline at once, as eager tasks do.
    """
    delay = int(settings.BENCHMARK_REFRESH_DELAY)
    if not django_cache.add(refresh_cache_key(brand_id), 1, timeout=max(delay, 1)):
        return False
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.BENCHMARK_REFRESH_IN_THREAD:
        threading.Thread(
            target=_refresh_in_thread,
            args=(dispatch.registered(dispatch.REFRESH_BENCHMARKS), brand_id, delay),
            name=f"benchmarks-refresh-{brand_id}",
            daemon=True,
        ).start()
        return True
    dispatch.send(dispatch.REFRESH_BENCHMARKS, brand_id, countdown=delay)
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


def benchmarks_schedule_refresh_for_submissions(submission_ids: Iterable[int]) -> int:
    """Schedule the refresh of every brand these (just scored) submissions belong to.

    Called on commit by the scoring service; one query, then one debounced schedule per brand.
    Returns how many refreshes were queued.
    """
    brand_ids = (
        Branch.objects.filter(assignments__submission__in=list(submission_ids))
        .values_list("brand_id", flat=True)
        .distinct()
    )
    return sum(benchmarks_schedule_refresh(brand_id) for brand_id in sorted(set(brand_ids)))


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
