"""The assignment lifecycle: accept, decline, cancel and expire, each step recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Assignment, AssignmentStatus, AssignmentTransition
from audits.services.assignments import assignments_expire
from support.factories import AssignmentFactory
from support.helpers import client_for, stored_submission, submission_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offered(world):
    """world.assignment as these tests start from it: offered, not yet accepted."""
    Assignment.objects.filter(pk=world.assignment.pk).update(status="offered", accepted_at=None)
    world.assignment.refresh_from_db()
    return world.assignment


URL = "/api/v1/assignments/"


def _post(user, assignment, step: str, body=None):
    return client_for(user).post(f"{URL}{assignment.pk}/{step}/", body, format="json")


def _refused(response, current: str) -> None:
    assert response.status_code == 409, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_transition"
    assert current in error["detail"]


def test_a_shopper_declines_an_offer_saying_why(world):
    response = _post(world.shopper, world.assignment, "decline", {"reason": "Away that week"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    step = AssignmentTransition.objects.get(assignment=world.assignment)
    assert (step.from_status, step.to_status, step.by, step.reason) == (
        "offered",
        "declined",
        world.shopper,
        "Away that week",
    )


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}])
def test_a_decline_needs_a_reason(world, body):
    response = _post(world.shopper, world.assignment, "decline", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"
    world.assignment.refresh_from_db()
    assert world.assignment.status == "offered"
    assert not AssignmentTransition.objects.exists()


def test_an_accepted_visit_can_no_longer_be_declined(world):
    assert _post(world.shopper, world.assignment, "accept").status_code == 200
    _refused(_post(world.shopper, world.assignment, "decline", {"reason": "No"}), "accepted")


@pytest.mark.parametrize("accepted", [False, True])
def test_head_office_cancels_an_open_visit_saying_why(world, accepted):
    if accepted:
        assert _post(world.shopper, world.assignment, "accept").status_code == 200
    response = _post(world.hq, world.assignment, "cancel", {"reason": "Branch refitting"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    step = AssignmentTransition.objects.filter(assignment=world.assignment).last()
    assert (step.to_status, step.by, step.reason) == ("cancelled", world.hq, "Branch refitting")


def test_a_submitted_visit_is_neither_cancelled_nor_declined(world):
    assert _post(world.shopper, world.assignment, "accept").status_code == 200
    stored_submission(world.assignment)
    _refused(_post(world.hq, world.assignment, "cancel", {"reason": "Too late"}), "submitted")
    _refused(_post(world.shopper, world.assignment, "decline", {"reason": "No"}), "submitted")


@pytest.mark.parametrize("closed_by", ["decline", "cancel"])
def test_a_closed_visit_cannot_be_accepted_or_submitted(world, closed_by):
    user = world.shopper if closed_by == "decline" else world.hq
    assert _post(user, world.assignment, closed_by, {"reason": "Because"}).status_code == 200
    state = "declined" if closed_by == "decline" else "cancelled"
    _refused(_post(world.shopper, world.assignment, "accept"), state)
    response = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment), format="json"
    )
    assert response.status_code == 409
    assert state in response.json()["errors"][0]["detail"]


def test_only_the_shopper_declines_and_only_head_office_cancels(world):
    for user in (world.hq, world.owner_a, world.reviewer):
        assert _post(user, world.assignment, "decline", {"reason": "x"}).status_code == 403
    for user in (world.shopper, world.owner_a, world.reviewer):
        assert _post(user, world.assignment, "cancel", {"reason": "x"}).status_code == 403
    assert _post(world.shopper2, world.assignment, "decline", {"reason": "x"}).status_code == 404
    assert _post(world.other_hq, world.assignment, "cancel", {"reason": "x"}).status_code == 404


def _window(world, *, ended: bool, status=AssignmentStatus.OFFERED):
    now = timezone.now()
    start = now - timedelta(days=10) if ended else now - timedelta(days=1)
    end = now - timedelta(hours=1) if ended else now + timedelta(days=5)
    return AssignmentFactory(
        branch=world.branch_a1,
        shopper=world.shopper,
        checklist=world.checklist,
        window_start=start,
        window_end=end,
        status=status,
    )


def test_open_visits_whose_window_ended_expire_and_others_do_not(world):
    offered = _window(world, ended=True)
    accepted = _window(world, ended=True, status=AssignmentStatus.ACCEPTED)
    running = _window(world, ended=False)
    sent = _window(world, ended=True, status=AssignmentStatus.ACCEPTED)
    stored_submission(sent)
    declined = _window(world, ended=True, status=AssignmentStatus.DECLINED)

    assert assignments_expire() == 2
    for assignment, status in [
        (offered, "expired"),
        (accepted, "expired"),
        (running, "offered"),
        (sent, "submitted"),
        (declined, "declined"),
    ]:
        assignment.refresh_from_db()
        assert assignment.status == status
    steps = AssignmentTransition.objects.filter(to_status="expired")
    assert {(s.assignment_id, s.from_status, s.by, s.reason) for s in steps} == {
        (offered.pk, "offered", None, "window_ended"),
        (accepted.pk, "accepted", None, "window_ended"),
    }
    assert assignments_expire() == 0  # nothing twice


def test_the_expiry_task_runs_the_service(world):
    from audits.tasks import expire_assignments

    expired = _window(world, ended=True)
    assert expire_assignments.apply().get() == 1
    expired.refresh_from_db()
    assert expired.status == "expired"
