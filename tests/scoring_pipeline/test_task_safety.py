"""The scoring task is idempotent and crash-safe; lost messages are sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits import tasks
from audits.models import Assignment, Score, Submission
from audits.services import scoring as scoring_services
from support.pipeline_builders import queued_backlog, queued_submission

pytestmark = pytest.mark.django_db


def test_running_the_task_twice_writes_one_score(world):
    submission = queued_submission(world)
    first = tasks.score_submission.delay(submission.pk).get()
    second = tasks.score_submission.delay(submission.pk).get()
    assert first is not None
    assert second is None
    assert Score.objects.filter(submission=submission).count() == 1
    assert Score.objects.get(submission=submission).pk == first


def test_a_crash_mid_scoring_leaves_the_submission_queued(world, monkeypatch):
    submission = queued_submission(world)

    def crash(checklist, answers):
        raise RuntimeError("worker died half-way")

    monkeypatch.setattr(scoring_services, "score", crash)
    with pytest.raises(RuntimeError, match="half-way"):
        tasks.score_submission.delay(submission.pk)
    submission.refresh_from_db()
    assert submission.status == "queued"
    assert submission.scored_at is None
    assert not Score.objects.filter(submission=submission).exists()
    assert Assignment.objects.get(pk=submission.assignment_id).status == "submitted"

    monkeypatch.undo()
    assert tasks.score_submission.delay(submission.pk).get() is not None
    submission.refresh_from_db()
    assert submission.status == "scored"


def test_a_crashed_batch_scores_nothing(world, monkeypatch):
    ids = queued_backlog(world, 3)
    calls = []
    real_score = scoring_services.score

    def crash_on_third(checklist, answers):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("out of memory")
        return real_score(checklist, answers)

    monkeypatch.setattr(scoring_services, "score", crash_on_third)
    with pytest.raises(RuntimeError):
        scoring_services.score_backlog(ids)
    assert set(Submission.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"queued"}
    assert not Score.objects.filter(submission_id__in=ids).exists()


def test_stuck_submissions_are_sent_again_in_batches(world, settings, monkeypatch):
    settings.SCORING_STUCK_AFTER = timedelta(minutes=10)
    stuck = queued_backlog(world, 3)
    fresh = queued_submission(world)
    Submission.objects.filter(pk__in=stuck).update(queued_at=timezone.now() - timedelta(minutes=11))
    monkeypatch.setattr(scoring_services, "BACKLOG_BATCH_SIZE", 2)
    sent: list[list[int]] = []
    real_apply_async = tasks.score_backlog.apply_async

    def spy(args, **options):
        sent.append(list(args[0]))
        return real_apply_async(args, **options)

    monkeypatch.setattr(tasks.score_backlog, "apply_async", spy)
    assert tasks.requeue_stuck_submissions.delay().get() == 3
    assert sorted(len(batch) for batch in sent) == [1, 2]
    assert sorted(i for batch in sent for i in batch) == sorted(stuck)
    assert Score.objects.filter(submission_id__in=stuck).count() == 3
    fresh.refresh_from_db()
    assert fresh.status == "queued"
    # Nothing is stuck any more: a second sweep sends nothing.
    assert tasks.requeue_stuck_submissions.delay().get() == 0
