"""Helpers for API tests: authenticated clients, request bodies and test images."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from support.factories import AssignmentFactory, good_answers
from support.factories import jpeg_bytes as jpeg_bytes  # re-exported for the tests


def client_for(user=None) -> APIClient:
    """An API client carrying a real JWT for `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def at_branch(assignment) -> dict:
    """A GPS fix at the assignment's branch, as an honest phone reports it."""
    branch = assignment.branch
    return {"latitude": branch.latitude, "longitude": branch.longitude, "accuracy_m": 12.0}


def submission_body(assignment, **overrides) -> dict:
    """A valid POST /submissions/ body for `assignment` (SMALL_CHECKLIST answers), made at
    the branch, two hours ago, for 25 minutes: an honest visit trips no integrity signal."""
    started = timezone.now() - timedelta(hours=2)
    body = {
        "client_id": str(uuid.uuid4()),
        "assignment": assignment.pk,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=25)).isoformat(),
        "location": at_branch(assignment),
        "photo_count": 0,
        "answers": good_answers(),
    }
    body.update(overrides)
    return body


def new_assignment(world, shopper=None, branch=None):
    return AssignmentFactory(
        branch=branch or world.branch_a1,
        shopper=shopper or world.shopper,
        checklist=world.checklist,
    )


def stored_submission(assignment, *, answers=None, started_at=None, photo_count: int = 0):
    """A valid submission of `assignment` stored through the real service (no HTTP).

    Complete (photo_count 0) it is queued, and its scoring task runs on commit as in the app.
    """
    from audits.services.submissions import submission_create

    started = started_at or timezone.now() - timedelta(hours=2)
    submission, _ = submission_create(
        shopper=assignment.shopper,
        assignment=assignment,
        client_id=uuid.uuid4(),
        started_at=started,
        finished_at=started + timedelta(minutes=25),
        answers=answers if answers is not None else good_answers(),
        location=at_branch(assignment),
        photo_count=photo_count,
    )
    return submission


def scored_submission(
    world, *, shopper=None, branch=None, answers=None, started_at=None, release: bool = True
):
    """A submission stored, scored and (unless `release=False`) released by the brand's head
    office, through the real services (no HTTP, no worker): what owners and league tables
    count."""
    from audits.services.review import submission_review
    from audits.services.scoring import submission_score

    assignment = new_assignment(world, shopper=shopper, branch=branch)
    submission = stored_submission(assignment, answers=answers, started_at=started_at)
    submission_score(submission_id=submission.pk)
    submission.refresh_from_db()
    if release:
        submission = submission_review(submission=submission, by=world.hq, action="release")
    return submission
