"""A broker outage after the commit must not turn a stored submission into an error.

Why: the scoring task is published once the submission's transaction has committed. If the
broker is down then, the visit is already safe in the database and the stuck-submission
sweep will send it later; answering 500 would tell the phone its visit was lost. Other
errors (e.g. an eager scoring bug in tests and the demo) must still surface.
(tests/e2e/test_crash_safety.py stages the same outage against a real broker and worker.)
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from audits.models import Score, Submission, SubmissionStatus
from audits.services.scoring import stuck_submission_ids
from support.helpers import submission_body

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
    assert Submission.objects.get(pk=submission_id).status == SubmissionStatus.QUEUED
    assert not Score.objects.exists()

    Submission.objects.filter(pk=submission_id).update(
        queued_at=timezone.now() - timedelta(hours=1)
    )
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
