"""A broker outage after the commit must not turn a stored submission into an error.

Why: the scoring task is published once the submission's transaction has committed. If the
broker is down then, the visit is already safe in the database and the stuck-submission
sweep will send it later; answering 500 would tell the phone its visit was lost. Other
errors (e.g. an eager scoring bug in tests and the demo) must still surface.
(tests/e2e/test_crash_safety.py stages the same outage against a real broker and worker.)
"""

from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from audits.models import Score, Submission, SubmissionStatus
from audits.services.scoring import stuck_submission_ids, stuck_submissions_resend
from audits.services.submissions import submission_queue_for_scoring
from support.helpers import submission_body
from support.pipeline_builders import queued_submission as stored_queued

pytestmark = pytest.mark.django_db


def test_broker_down_at_publish_is_201_and_leaves_the_submission_for_the_sweep(
    world, api, django_capture_on_commit_callbacks, caplog
):
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("audits.tasks.score_submission.apply_async", side_effect=refused) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api(world.shopper).post(
            "/api/v1/submissions/", submission_body(world.assignment), format="json"
        )
    assert response.status_code == 201, response.content
    submission_id = response.json()["id"]
    send.assert_called_once_with(args=[submission_id])
    assert "stays queued" in caplog.text
    stored = Submission.objects.get(pk=submission_id)
    assert stored.status == SubmissionStatus.QUEUED
    assert stored.send_failed_at is not None
    assert not Score.objects.exists()
    # The next sweep sends it: it does not wait SCORING_STUCK_AFTER like a message lost
    # without a trace (the broker was down for 32 s and the visit waited 11 minutes).
    assert stuck_submission_ids() == [submission_id]


def test_other_errors_while_sending_still_propagate(world, api, django_capture_on_commit_callbacks):
    with (
        mock.patch(
            "audits.tasks.score_submission.apply_async", side_effect=ValueError("engine bug")
        ),
        pytest.raises(ValueError, match="engine bug"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        api(world.shopper).post(
            "/api/v1/submissions/", submission_body(world.assignment), format="json"
        )


def test_the_sweep_sends_an_unsent_submission_once_and_clears_its_flag(world):
    submission = stored_queued(world)
    Submission.objects.filter(pk=submission.pk).update(send_failed_at=timezone.now())
    with mock.patch("audits.tasks.score_backlog.apply_async") as send:
        assert stuck_submissions_resend() == 1
    send.assert_called_once_with(args=[[submission.pk]])
    assert Submission.objects.get(pk=submission.pk).send_failed_at is None
    assert stuck_submission_ids() == []  # sent: the next sweep leaves it to its worker


def test_a_sweep_that_cannot_send_keeps_the_flag_for_the_next(world):
    submission = stored_queued(world)
    Submission.objects.filter(pk=submission.pk).update(send_failed_at=timezone.now())
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("audits.tasks.score_backlog.apply_async", side_effect=refused),
        pytest.raises(OperationalError),
    ):
        stuck_submissions_resend()
    assert stuck_submission_ids() == [submission.pk]


def test_queueing_again_clears_the_flag(world):
    submission = stored_queued(world)
    Submission.objects.filter(pk=submission.pk).update(send_failed_at=timezone.now())
    with mock.patch("audits.tasks.score_submission.apply_async"):
        submission_queue_for_scoring(submission=submission)
    assert Submission.objects.get(pk=submission.pk).send_failed_at is None
    assert stuck_submission_ids() == []
