"""Queued submissions made through the real submission service, for the pipeline tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone

from audits.models import Submission, SubmissionStatus
from audits.services.submissions import submission_create
from support.factories import good_answers
from support.helpers import new_assignment, stored_submission


def queued_submission(world, *, branch=None, answers=None) -> Submission:
    """A stored, queued submission whose scoring task was never sent (no on-commit run)."""
    submission = stored_submission(new_assignment(world, branch=branch), answers=answers)
    assert submission.status == "queued"
    return submission


def queued_backlog(world, count: int) -> list[int]:
    return [queued_submission(world).pk for _ in range(count)]


def queued_without_message(assignment) -> Submission:
    """Store a complete submission, but drop the task its commit would have published.

    That is what a web process killed between commit and publish leaves behind: the row is
    `queued` and no message for it exists anywhere.
    """
    started = timezone.now() - timedelta(hours=2)
    with mock.patch.object(transaction, "on_commit") as on_commit:
        submission, created = submission_create(
            shopper=assignment.shopper,
            assignment=assignment,
            client_id=uuid.uuid4(),
            started_at=started,
            finished_at=started + timedelta(minutes=25),
            answers=good_answers(),
        )
    assert created
    assert on_commit.called, "the service no longer publishes on commit: this test is stale"
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED
    return submission
