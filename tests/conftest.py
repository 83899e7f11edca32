"""Shared personas and helpers: one small franchise network every API test can lean on."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler

from audits.models import Role
from support.factories import (
    AssignmentFactory,
    BranchFactory,
    BrandFactory,
    ChecklistVersionFactory,
    FranchiseeFactory,
    MembershipFactory,
    RegionFactory,
    UserFactory,
)
from support.helpers import client_for

# The live server (pytest-django's `live_server`, Django's threaded WSGI server) answers a
# kept-alive connection 40 to 150 ms late: it writes headers and body in separate sends and
# Nagle's algorithm holds the second until the client's delayed ACK. Measured with a
# requests.Session over 30 GETs: 131 ms a request, 21 ms with TCP_NODELAY. Clients that keep
# connections alive (schemathesis, the phone simulations) would spend most of their time there.
WSGIRequestHandler.disable_nagle_algorithm = True

# Every /api/v1/ response the tests get (test clients, live server) must match the OpenAPI document.
pytest_plugins = ["support.openapi"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip, saying why, only outside CI when PostgreSQL is absent."""
    reason = getattr(settings, "POSTGRES_UNAVAILABLE", None)
    if not reason or getattr(settings, "IN_CI", False):
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL: {reason}; SQLite cannot check this")
    for item in items:
        if "postgres" in item.keywords or "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters and sign-in failures counted
    in one test (keyed by user or address) never refuse a request of the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    """A brand with two regions, two franchisees, three branches and one of each role."""

    brand: object
    north: object
    south: object
    franchisee_a: object
    franchisee_b: object
    branch_a1: object
    branch_a2: object
    branch_b1: object
    hq: object
    reviewer: object
    owner_a: object
    owner_b: object
    shopper: object
    shopper2: object
    admin: object
    other_brand: object
    other_hq: object
    other_branch: object
    checklist: object
    assignment: object


def _member(role: str, brand=None, franchisee=None, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, role=role, brand=brand, franchisee=franchisee)
    return user


@pytest.fixture
def world(db) -> World:
    brand = BrandFactory(name="Kettle & Crumb")
    north = RegionFactory(brand=brand, name="North")
    south = RegionFactory(brand=brand, name="South")
    franchisee_a = FranchiseeFactory(brand=brand, name="Alder Foods Ltd")
    franchisee_b = FranchiseeFactory(brand=brand, name="Birch Hospitality")
    branch_a1 = BranchFactory(franchisee=franchisee_a, region=north, name="Leeds Station")
    branch_a2 = BranchFactory(franchisee=franchisee_a, region=south, name="Brighton Pier")
    branch_b1 = BranchFactory(franchisee=franchisee_b, region=south, name="Bath Abbey")
    other_brand = BrandFactory(name="Other Brand")
    other_branch = BranchFactory(franchisee=FranchiseeFactory(brand=other_brand))
    shopper = _member(Role.SHOPPER, brand, username="sam")
    checklist = ChecklistVersionFactory(template__brand=brand)
    return World(
        brand=brand,
        north=north,
        south=south,
        franchisee_a=franchisee_a,
        franchisee_b=franchisee_b,
        branch_a1=branch_a1,
        branch_a2=branch_a2,
        branch_b1=branch_b1,
        hq=_member(Role.HEAD_OFFICE, brand, username="hq"),
        reviewer=_member(Role.REVIEWER, brand, username="rita"),
        owner_a=_member(Role.OWNER, brand, franchisee_a, username="alice"),
        owner_b=_member(Role.OWNER, brand, franchisee_b, username="bob"),
        shopper=shopper,
        shopper2=_member(Role.SHOPPER, brand, username="sue"),
        admin=UserFactory(username="root", is_superuser=True, is_staff=True),
        other_brand=other_brand,
        other_hq=_member(Role.HEAD_OFFICE, other_brand, username="otherhq"),
        other_branch=other_branch,
        checklist=checklist,
        assignment=AssignmentFactory(branch=branch_a1, shopper=shopper, checklist=checklist),
    )


@pytest.fixture
def api():
    return client_for
