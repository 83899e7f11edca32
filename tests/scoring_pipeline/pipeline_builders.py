"""Queued submissions made through the real submission service, for the pipeline tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from factories import good_answers
from helpers import new_assignment

from audits.models import Submission
from audits.services.submissions import submission_create


def queued_submission(world, *, branch=None, answers=None) -> Submission:
    """A stored, queued submission whose scoring task was never sent (no on-commit run)."""
    assignment = new_assignment(world, branch=branch)
    started = timezone.now() - timedelta(hours=2)
    submission, _ = submission_create(
        shopper=assignment.shopper,
        assignment=assignment,
        client_id=uuid.uuid4(),
        started_at=started,
        finished_at=started + timedelta(minutes=25),
        answers=answers if answers is not None else good_answers(),
    )
    assert submission.status == "queued"
    return submission


def queued_backlog(world, count: int) -> list[int]:
    return [queued_submission(world).pk for _ in range(count)]
