"""Celery tasks: thin wrappers that take ids and call services.

Tasks are acknowledged late and rejected when a worker dies (settings), so a killed worker
loses no submission; every task is safe to run twice because the services claim their row
with a conditional update.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task

from audits import dispatch
from audits.services import assignments as assignment_services
from audits.services import notifications as notification_services
from audits.services import review as review_services
from audits.services import scoring as scoring_services
from audits.services.benchmarks import building as benchmark_building
from audits.services.benchmarks import parallel as benchmark_parallel
from audits.services.benchmarks import scheduling as benchmark_scheduling

# Services send tasks by these names through audits.dispatch; the names are defined there.

# Transient errors (scoring_services.TRANSIENT_ERRORS: a dropped database, a broker gone
# mid-send, a timeout) are waited out and tried again, with backoff and jitter (1, 2, 4 ... s,
# at most 60 s); Celery's Django fix-up discards an unusable connection before the next try.
# Before, a lost database connection left the submission to the sweep, 10 to 15 minutes on.
RETRY_OPTIONS = {
    "autoretry_for": scoring_services.TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(
    name=dispatch.SCORE_SUBMISSION,
    **RETRY_OPTIONS,
    max_retries=8,
)
def score_submission(submission_id: int) -> int | None:
    """Score one queued submission; returns the new score's id, or None if nothing to do."""
    score = scoring_services.submission_score(submission_id=submission_id)
    return score.pk if score is not None else None


@shared_task(
    name=dispatch.SCORE_BACKLOG,
    **RETRY_OPTIONS,
    max_retries=8,
)
def score_backlog(submission_ids: list[int]) -> int:
    """Score the queued ones among `submission_ids` in one transaction; returns how many.

    A batch that fails for another reason than a lost connection is split: each id goes out
    again as its own task (see the service).
    """
    return scoring_services.score_backlog_or_split(submission_ids)


@shared_task(name="audits.tasks.requeue_stuck_submissions")
def requeue_stuck_submissions() -> int:
    """Send again, in batches, the submissions queued too long ago (lost messages)."""
    return scoring_services.stuck_submissions_resend()


@shared_task(
    name=dispatch.REFRESH_BENCHMARKS,
    **RETRY_OPTIONS,
    max_retries=5,
)
def refresh_benchmarks(brand_id: int) -> int:
    """Rebuild one brand's recent league tables and any period changed since (nightly): as
    one `build_benchmark` task per period and dimension where there are workers to share
    them (BENCHMARK_SPLIT_REBUILDS), else here. Returns the tasks sent or snapshots built."""
    return benchmark_parallel.benchmarks_refresh_by_id(brand_id)


@shared_task(
    name=dispatch.BUILD_BENCHMARK,
    **RETRY_OPTIONS,
    max_retries=5,
)
def build_benchmark(
    brand_id: int, kind: str, key: str, dimension: str, token: str, first: str, last: str
) -> int:
    """Build one period and dimension of a split rebuild (`first`, `last`: ISO dates of the
    rebuild's window); returns 1 for a stored snapshot, else 0."""
    return benchmark_parallel.benchmarks_build_one(
        brand_id=brand_id,
        kind=kind,
        key=key,
        dimension=dimension,
        token=token,
        first=date.fromisoformat(first),
        last=date.fromisoformat(last),
    )


@shared_task(
    name=dispatch.REFRESH_STALE_BENCHMARKS,
    **RETRY_OPTIONS,
    max_retries=5,
)
def refresh_stale_benchmarks(brand_id: int) -> int:
    """Rebuild the periods of one brand that releases and corrections marked stale
    (queued, debounced, once they commit)."""
    return benchmark_building.benchmarks_refresh_stale_by_id(brand_id)


@shared_task(name="audits.tasks.refresh_all_benchmarks")
def refresh_all_benchmarks() -> int:
    """Nightly (beat): queue every brand's refresh as its own task."""
    return benchmark_scheduling.benchmarks_schedule_every_brand()


@shared_task(name="audits.tasks.expire_assignments")
def expire_assignments() -> int:
    """Periodic (beat): offered and accepted visits whose window ended unsent expire."""
    return assignment_services.assignments_expire()


@shared_task(name="audits.tasks.review_sweep")
def review_sweep() -> dict[str, int]:
    """Periodic (beat): the quality-control clock. Reports past their media deadline are
    scored as they are, unreviewed ones past the SLA release (where the brand allows it), and
    returns past their deadline are rejected. Returns how many of each."""
    return {
        "media_overdue": review_services.submissions_queue_overdue_media(),
        "sla_released": review_services.reviews_release_overdue(),
        "returns_expired": review_services.returns_expire(),
    }


@shared_task(name=dispatch.DELIVER_NOTIFICATIONS, **RETRY_OPTIONS, max_retries=5)
def deliver_notifications(notification_ids: list[int] | None = None) -> int:
    """E-mail these notifications (after their commit), or, from beat, any still pending."""
    return notification_services.notifications_deliver(notification_ids)


@shared_task(name="audits.tasks.remind_actions")
def remind_actions() -> dict[str, int]:
    """Periodic (beat): owners hear once of actions due soon and once of overdue ones."""
    return notification_services.actions_remind()
