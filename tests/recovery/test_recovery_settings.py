"""Recovery in seconds, not a quarter of an hour (issue 12): what the settings promise.

Before, a lost scoring message waited SCORING_STUCK_AFTER (10 minutes) plus a sweep every 5
minutes; a killed worker's message waited the broker's visibility timeout of an hour.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from audits import tasks
from audits.services.scoring import TRANSIENT_ERRORS


def _sweep_every() -> timedelta:
    return settings.CELERY_BEAT_SCHEDULE["requeue-stuck-submissions"]["schedule"]


def test_a_lost_scoring_message_is_sent_again_within_two_minutes():
    assert settings.SCORING_STUCK_AFTER + _sweep_every() <= timedelta(minutes=2)


def test_the_visibility_timeout_outlasts_every_countdown_and_is_minutes_not_an_hour():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.BENCHMARK_REFRESH_DELAY < timeout <= 15 * 60


def test_every_task_that_touches_the_database_retries_a_dropped_connection():
    from django.db import InterfaceError, OperationalError

    for task in (
        tasks.score_submission,
        tasks.score_backlog,
        tasks.refresh_benchmarks,
        tasks.refresh_stale_benchmarks,
        tasks.build_benchmark,
    ):
        assert set(task.autoretry_for) >= {OperationalError, InterfaceError}, task.name
        assert task.retry_jitter and task.max_retries >= 5
    assert OperationalError in TRANSIENT_ERRORS
