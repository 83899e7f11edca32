"""The suite-wide anonymity scan (support.anonymity) can fail: it finds a named person in an
owner's response, and leaves staff and the owner's own profile alone."""

from __future__ import annotations

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from support.anonymity import identity_problem

pytestmark = pytest.mark.django_db


def _request(user, path="/api/v1/audits/1/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize(
    "body",
    [
        {"shopper": {"id": 1, "username": "sam"}},
        {"results": [{"by": {"id": 2}}]},
        {"items": [{"decided_by": 3}]},
        {"nested": {"deep": [{"email": "sam@example.com"}]}},
    ],
)
def test_a_name_in_an_owners_response_is_found(world, body):
    assert "names a person" in identity_problem(_request(world.owner_a), JsonResponse(body))


@pytest.mark.parametrize(
    "body", [{"shopper": None, "by": None}, {"role": "reviewer", "reason": "Checked."}]
)
def test_nulls_and_roles_pass(world, body):
    assert identity_problem(_request(world.owner_a), JsonResponse(body)) is None


def test_staff_and_the_owners_own_profile_are_not_scanned(world):
    named = JsonResponse({"shopper": {"id": 1}, "username": "owner"})
    assert identity_problem(_request(world.hq), named) is None
    assert identity_problem(_request(world.owner_a, "/api/v1/me/"), named) is None
