"""Celery tasks: thin wrappers that take ids and call services.

Tasks are acknowledged late and rejected when a worker dies (settings), so a killed worker
loses no submission; every task is safe to run twice because the services claim their row
with a conditional update.
"""

from __future__ import annotations

import logging

from celery import shared_task

from audits.services import scoring as scoring_services

logger = logging.getLogger(__name__)


@shared_task(
    name="audits.tasks.score_submission",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def score_submission(submission_id: int) -> int | None:
    """Score one queued submission; returns the new score's id, or None if nothing to do."""
    score = scoring_services.submission_score(submission_id=submission_id)
    return score.pk if score is not None else None


@shared_task(
    name="audits.tasks.score_backlog",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def score_backlog(submission_ids: list[int]) -> int:
    """Score the queued ones among `submission_ids` in one transaction; returns how many.

    If the batch fails for another reason, one bad submission must not hold the others back
    on every redelivery: each id is sent again as its own task, and only the bad one fails.
    """
    try:
        return len(scoring_services.score_backlog(submission_ids))
    except (ConnectionError, TimeoutError):
        raise
    except Exception:
        if len(submission_ids) <= 1:
            raise
        logger.exception("backlog batch of %d failed; scoring one by one", len(submission_ids))
        for submission_id in submission_ids:
            score_submission.delay(submission_id)
        return 0


@shared_task(name="audits.tasks.requeue_stuck_submissions")
def requeue_stuck_submissions() -> int:
    """Send again, in batches, the submissions queued too long ago (lost messages)."""
    ids = scoring_services.stuck_submission_ids()
    size = scoring_services.BACKLOG_BATCH_SIZE
    for start in range(0, len(ids), size):
        score_backlog.delay(ids[start : start + size])
    if ids:
        logger.warning("re-sent %d stuck submission(s) for scoring", len(ids))
    return len(ids)


@shared_task(
    name="audits.tasks.refresh_benchmarks",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=3,
)
def refresh_benchmarks(brand_id: int) -> int:
    """Rebuild one brand's recent league tables (queued, debounced, once audits are scored)."""
    from audits.models import Brand
    from audits.services.benchmarks.building import benchmarks_refresh_brand

    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        return 0
    return benchmarks_refresh_brand(brand=brand)


@shared_task(name="audits.tasks.refresh_all_benchmarks")
def refresh_all_benchmarks() -> int:
    """Nightly (beat): queue every brand's refresh as its own task, so one slow brand or a
    failing one does not hold the others back."""
    from audits.models import Brand

    brand_ids = list(Brand.objects.order_by("pk").values_list("pk", flat=True))
    for brand_id in brand_ids:
        refresh_benchmarks.delay(brand_id)
    return len(brand_ids)
