"""Head office offers visits; a shopper lists their own and accepts them.

Accepting is idempotent: a phone that retries an accept gets 200 and the same assignment
(the first accepted_at kept). Accepting a visit that is no longer open (submitted, scored,
cancelled, expired, or past its window) is 409.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Assignment, Role
from support.factories import AssignmentFactory, ChecklistVersionFactory, MembershipFactory
from support.helpers import client_for, new_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offered(world):
    """world.assignment as these tests start from it: offered, not yet accepted."""
    Assignment.objects.filter(pk=world.assignment.pk).update(status="offered", accepted_at=None)
    world.assignment.refresh_from_db()
    return world.assignment


URL = "/api/v1/assignments/"


def offer_body(world, **overrides) -> dict:
    start = timezone.now() + timedelta(days=1)
    body = {
        "branch": world.branch_b1.pk,
        "shopper": world.shopper2.pk,
        "checklist": world.checklist.pk,
        "scenario": "Ask for a gluten-free option",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(days=3)).isoformat(),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def offer(world, **overrides):
    return client_for(world.hq).post(URL, offer_body(world, **overrides), format="json")


def error_attrs(response) -> set[str]:
    assert response.status_code == 400, response.content
    return {e["attr"] for e in response.json()["errors"]}


# --- offering ------------------------------------------------------------------------------


def test_head_office_offers_a_visit(world):
    response = offer(world)
    assert response.status_code == 201, response.content
    body = response.json()
    assignment = Assignment.objects.get(pk=body["id"])
    assert (assignment.branch, assignment.shopper, assignment.checklist) == (
        world.branch_b1,
        world.shopper2,
        world.checklist,
    )
    assert body["branch"]["id"] == world.branch_b1.pk
    assert body["branch"]["name"] == "Bath Abbey"
    assert body["shopper"] == world.shopper2.pk
    assert body["checklist"] == world.checklist.pk
    assert body["scenario"] == "Ask for a gluten-free option"
    assert (body["status"], body["accepted_at"], body["submission"]) == ("offered", None, None)
    assert client_for(world.hq).get(f"{URL}{body['id']}/").json() == body
    assert client_for(world.shopper2).get(f"{URL}{body['id']}/").json() == body


def test_scenario_is_optional(world):
    response = offer(world, scenario=...)
    assert response.status_code == 201
    assert response.json()["scenario"] == ""


@pytest.mark.parametrize(
    ("overrides", "attr"),
    [
        ({"window_end": "start-1h"}, "window_end"),
        ({"window_end": "start"}, "window_end"),
        ({"checklist": "other_brand"}, "checklist"),
        ({"branch": "other_brand"}, "branch"),
        ({"shopper": "other_brand"}, "shopper"),
        ({"shopper": "owner"}, "shopper"),  # not a shopper at all
        ({"checklist": 999_999}, "checklist"),
        ({"branch": ...}, "branch"),
        ({"shopper": "sam"}, "shopper"),
        ({"window_start": "tomorrow"}, "window_start"),
    ],
)
def test_bad_offer_is_400_naming_the_field(world, overrides, attr):
    start = timezone.now() + timedelta(days=1)
    other_checklist = ChecklistVersionFactory(template__brand=world.other_brand)
    other_shopper = MembershipFactory(role=Role.SHOPPER, brand=world.other_brand).user
    values = {
        "start-1h": (start - timedelta(hours=1)).isoformat(),
        "start": start.isoformat(),
        "owner": world.owner_a.pk,
    }
    by_field = {
        "checklist": other_checklist.pk,
        "branch": world.other_branch.pk,
        "shopper": other_shopper.pk,
    }
    resolved = {}
    for field, value in overrides.items():
        if value == "other_brand":
            value = by_field[field]
        elif value == "sam":
            # sam also owns franchisee B: a shopper never audits a branch they own.
            MembershipFactory(
                user=world.shopper,
                role=Role.OWNER,
                brand=world.brand,
                franchisee=world.franchisee_b,
            )
            value = world.shopper.pk
        resolved[field] = values.get(value, value) if isinstance(value, str) else value
    before = Assignment.objects.count()
    body = offer_body(world, **{"window_start": start.isoformat(), **resolved})
    response = client_for(world.hq).post(URL, body, format="json")
    assert attr in error_attrs(response)
    assert Assignment.objects.count() == before


def test_every_bad_field_is_named_at_once(world):
    start = timezone.now()
    response = offer(
        world,
        branch=world.other_branch.pk,
        checklist=999_999,
        window_start=start.isoformat(),
        window_end=(start - timedelta(days=1)).isoformat(),
    )
    assert {"branch", "checklist", "window_end"} <= error_attrs(response)


@pytest.mark.parametrize("role", ["owner_a", "shopper", "reviewer", "admin"])
def test_only_head_office_offers_visits(world, role):
    response = client_for(getattr(world, role)).post(URL, offer_body(world), format="json")
    assert response.status_code == 403
    assert Assignment.objects.count() == 1


# --- the shopper's list --------------------------------------------------------------------


@pytest.fixture
def visits(world):
    """sam: offered (world.assignment), accepted, cancelled; sue: one offered."""
    accepted = new_assignment(world)
    accepted.status = "accepted"
    accepted.save()
    cancelled = new_assignment(world, branch=world.branch_a2)
    cancelled.status = "cancelled"
    cancelled.save()
    sues = new_assignment(world, shopper=world.shopper2, branch=world.branch_b1)
    sues.status = "offered"
    sues.save()
    return {"offered": world.assignment, "accepted": accepted, "cancelled": cancelled, "sue": sues}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_shopper_lists_only_their_own_visits(world, visits):
    ids = _ids(client_for(world.shopper).get(URL))
    assert sorted(ids) == sorted(v.pk for k, v in visits.items() if k != "sue")
    assert _ids(client_for(world.shopper2).get(URL)) == [visits["sue"].pk]


def test_head_office_lists_the_brands_visits(world, visits):
    ids = _ids(client_for(world.hq).get(URL))
    assert sorted(ids) == sorted(v.pk for v in visits.values())
    assert _ids(client_for(world.other_hq).get(URL)) == []


def test_list_is_paginated(world, visits):
    client = client_for(world.shopper)
    first = client.get(URL, {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["previous"]
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=offered", {"offered"}),
        ("status=accepted", {"accepted"}),
        ("status=offered&status=accepted", {"offered", "accepted"}),
        ("status=scored", set()),
    ],
)
def test_list_filters_by_status(world, visits, query, expected):
    ids = _ids(client_for(world.shopper).get(f"{URL}?{query}"))
    assert set(ids) == {visits[name].pk for name in expected}


def test_unknown_status_filter_is_400_naming_status(world, visits):
    response = client_for(world.shopper).get(f"{URL}?status=lost")
    assert error_attrs(response) == {"status"}


def test_someone_elses_visit_is_404(world, visits):
    assert client_for(world.shopper).get(f"{URL}{visits['sue'].pk}/").status_code == 404
    assert client_for(world.owner_a).get(f"{URL}{visits['offered'].pk}/").status_code == 404


# --- accepting -----------------------------------------------------------------------------


def accept(user, assignment):
    return client_for(user).post(f"{URL}{assignment.pk}/accept/")


def test_shopper_accepts_an_offered_visit(world):
    response = accept(world.shopper, world.assignment)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == world.assignment.pk
    assert body["status"] == "accepted"
    assert body["accepted_at"]
    world.assignment.refresh_from_db()
    assert world.assignment.status == "accepted"


def test_accepting_again_is_200_and_keeps_the_first_acceptance(world):
    first = accept(world.shopper, world.assignment).json()
    again = accept(world.shopper, world.assignment)
    assert again.status_code == 200
    assert again.json() == first


def test_accepting_someone_elses_visit_is_404(world):
    assert accept(world.shopper2, world.assignment).status_code == 404
    world.assignment.refresh_from_db()
    assert world.assignment.status == "offered"


@pytest.mark.parametrize("status", ["submitted", "scored", "cancelled", "expired"])
def test_accepting_a_closed_visit_is_409(world, status):
    world.assignment.status = status
    world.assignment.save()
    response = accept(world.shopper, world.assignment)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_transition"  # issue 11: the lifecycle's own code
    assert status in error["detail"]
    world.assignment.refresh_from_db()
    assert world.assignment.status == status


def test_accepting_after_the_window_is_409(world):
    past = AssignmentFactory(
        branch=world.branch_a1,
        shopper=world.shopper,
        checklist=world.checklist,
        window_start=timezone.now() - timedelta(days=3),
        window_end=timezone.now() - timedelta(days=1),
        status="offered",
    )
    assert accept(world.shopper, past).status_code == 409
    past.refresh_from_db()
    assert past.status == "offered"


def test_accepting_an_unknown_visit_is_404(world):
    assert client_for(world.shopper).post(f"{URL}999999/accept/").status_code == 404
