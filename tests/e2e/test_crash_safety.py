"""A real worker loses no submission and scores none twice, whatever the broker does.

Why end to end: a crash between the commit and the publish, a broker that is down when the
commit lands, or a message delivered twice (late acknowledgement redelivers after a worker
dies) only happen with a real broker and a separate worker. Here each is staged deliberately.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Role, Score, Submission, SubmissionStatus
from audits.tasks import score_submission
from backend.celery import app
from support.factories import PASSWORD, AssignmentFactory, MembershipFactory
from support.helpers import submission_body
from support.pipeline_builders import queued_without_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _assignment():
    assignment = AssignmentFactory()
    MembershipFactory(user=assignment.shopper, role=Role.SHOPPER, brand=assignment.branch.brand)
    return assignment


def _drain(worker) -> None:
    """Wait until the worker has handled every message sent so far on its queue.

    One queue, one solo worker taking one message at a time: a built-in no-op task sent now
    runs after everything already queued, so its log line is a barrier.
    """
    task_id = str(uuid.uuid4())
    app.send_task("celery.accumulate", args=("barrier",), queue=worker.queue, task_id=task_id)
    worker.wait_for_log(rf"\[{task_id}\] succeeded")


def test_a_lost_message_is_found_by_the_sweep_and_scored_once(celery_publishing):
    worker = celery_publishing
    stuck = queued_without_message(_assignment())
    Submission.objects.filter(pk=stuck.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    # Queued a moment ago: its message may still be on its way, so the sweep leaves it alone.
    recent = queued_without_message(_assignment())

    _drain(worker)
    assert Submission.objects.get(pk=stuck.pk).status == SubmissionStatus.QUEUED
    assert not Score.objects.exists(), "a task was published although on_commit was dropped"

    sweep_id = str(uuid.uuid4())
    app.send_task("audits.tasks.requeue_stuck_submissions", queue=worker.queue, task_id=sweep_id)
    worker.wait_for_log(rf"requeue_stuck_submissions\[{sweep_id}\] succeeded in \S+: 1$")
    _drain(worker)  # the scoring task(s) the sweep sent

    assert Submission.objects.get(pk=stuck.pk).status == SubmissionStatus.SCORED
    assert Score.objects.filter(submission=stuck).count() == 1
    assert Score.objects.get(submission=stuck).overall is not None
    assert Submission.objects.get(pk=recent.pk).status == SubmissionStatus.QUEUED
    assert not Score.objects.filter(submission=recent).exists()

    # A second sweep (beat runs it every few minutes) finds nothing left to send.
    again_id = str(uuid.uuid4())
    app.send_task("audits.tasks.requeue_stuck_submissions", queue=worker.queue, task_id=again_id)
    worker.wait_for_log(rf"requeue_stuck_submissions\[{again_id}\] succeeded in \S+: 0$")
    _drain(worker)
    assert Score.objects.filter(submission=stuck).count() == 1


def test_the_same_scoring_task_delivered_twice_leaves_one_score(celery_publishing):
    worker = celery_publishing
    submission = queued_without_message(_assignment())

    task_ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    for task_id in task_ids:
        score_submission.apply_async((submission.pk,), task_id=task_id)
    pattern = rf"score_submission\[({'|'.join(task_ids)})\] succeeded in \S+: (\S+)$"
    lines = worker.wait_for_log(pattern, count=2)

    score = Score.objects.get(submission=submission)  # exactly one row, or this raises
    returned = sorted(line.rsplit(": ", 1)[1] for line in lines)
    assert returned == sorted([str(score.pk), "None"])
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.SCORED


def test_a_broker_outage_at_commit_is_still_a_201_and_the_sweep_scores_it_later(
    http, celery_publishing, broker_outage
):
    """The visit is stored before the publish fails: the phone must not be told it was lost.

    (It used to get a 500 for a stored submission; see `_send_for_scoring`.)
    """
    worker = celery_publishing
    assignment = _assignment()
    phone = http.login(assignment.shopper.username, PASSWORD)
    with broker_outage():
        response = phone.post("/api/v1/submissions/", submission_body(assignment))
    assert response.status == 201, response.text
    assert response.json()["status"] == "queued"
    submission_id = response.json()["id"]

    _drain(worker)
    assert Submission.objects.get(pk=submission_id).status == SubmissionStatus.QUEUED
    assert not Score.objects.exists()

    # The broker is back and beat runs the sweep: the failed send flagged the submission,
    # so this first sweep sends it (it does not wait SCORING_STUCK_AFTER).
    sweep_id = str(uuid.uuid4())
    app.send_task("audits.tasks.requeue_stuck_submissions", queue=worker.queue, task_id=sweep_id)
    worker.wait_for_log(rf"requeue_stuck_submissions\[{sweep_id}\] succeeded in \S+: 1$")
    _drain(worker)

    scored = phone.get(f"/api/v1/submissions/{submission_id}/").json()
    assert scored["status"] == "scored"
    assert scored["score"]["overall"] is not None
    assert Score.objects.filter(submission_id=submission_id).count() == 1
