"""Only an accepted visit takes a report, and not one dated before it was offered.

Each refusal stores nothing: no submission, no answers, the assignment as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Assignment, Submission
from support.factories import AssignmentFactory
from support.helpers import client_for, submission_body

pytestmark = pytest.mark.django_db


def _send(world, assignment, **overrides):
    body = submission_body(assignment, **overrides)
    return client_for(world.shopper).post("/api/v1/submissions/", body, format="json")


def test_an_offered_visit_must_be_accepted_first(world):
    offered = AssignmentFactory(
        branch=world.branch_a1, shopper=world.shopper, checklist=world.checklist, status="offered"
    )
    response = _send(world, offered)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "assignment_not_accepted"
    assert not Submission.objects.filter(assignment=offered).exists()
    assert Assignment.objects.get(pk=offered.pk).status == "offered"


@pytest.mark.parametrize("status", ["declined", "cancelled", "expired"])
def test_a_closed_visit_takes_no_report_and_the_409_names_its_state(world, status):
    closed = AssignmentFactory(
        branch=world.branch_a1, shopper=world.shopper, checklist=world.checklist, status=status
    )
    response = _send(world, closed)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "assignment_closed"
    assert status in error["detail"]
    assert not Submission.objects.filter(assignment=closed).exists()


def test_a_visit_before_the_offer_is_400_on_started_at(world):
    assignment = AssignmentFactory(
        branch=world.branch_a1,
        shopper=world.shopper,
        checklist=world.checklist,
        created_at=timezone.now() - timedelta(days=1),
    )
    started = timezone.now() - timedelta(days=400)
    response = _send(
        world,
        assignment,
        started_at=started.isoformat(),
        finished_at=(started + timedelta(minutes=20)).isoformat(),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "started_at"
    assert not Submission.objects.filter(assignment=assignment).exists()


def test_a_visit_outside_its_window_is_accepted_and_signalled(
    world, django_capture_on_commit_callbacks
):
    assignment = AssignmentFactory(
        branch=world.branch_a1,
        shopper=world.shopper,
        checklist=world.checklist,
        window_start=timezone.now() - timedelta(hours=1),
        window_end=timezone.now() + timedelta(days=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(world, assignment)  # started two hours ago: before the window
    assert response.status_code == 201
    assert Submission.objects.get(pk=response.json()["id"]).signal_codes == ["outside_window"]


def test_a_mocked_location_is_kept_and_signalled(world, django_capture_on_commit_callbacks):
    body = submission_body(world.assignment)
    body["location"]["mocked"] = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201
    assert response.json()["location"]["mocked"] is True
    submission = Submission.objects.get(pk=response.json()["id"])
    assert submission.mocked_location and "mock_location" in submission.signal_codes
    assert submission.risk == "high"
