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


@shared_task(name="audits.tasks.requeue_stuck_submissions")
def requeue_stuck_submissions() -> int:
    """Send again the scoring tasks of submissions queued too long ago (lost messages)."""
    ids = scoring_services.stuck_submission_ids()
    for submission_id in ids:
        score_submission.delay(submission_id)
    if ids:
        logger.warning("re-sent %d stuck submission(s) for scoring", len(ids))
    return len(ids)
