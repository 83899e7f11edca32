"""Head office builds its network (regions, franchisees, branches, shoppers) in its own brand."""

from __future__ import annotations

import pytest

from audits.models import Branch, Franchisee, Membership, Region, Role, User
from support.factories import RegionFactory
from support.helpers import client_for

pytestmark = pytest.mark.django_db


def post(user, endpoint: str, body: dict):
    return client_for(user).post(f"/api/v1/{endpoint}/", body, format="json")


def attrs(response) -> set[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    return {error["attr"] for error in body["errors"]}


# --- regions and franchisees ---------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "model"), [("regions", Region), ("franchisees", Franchisee)])
def test_head_office_creates_in_its_own_brand(world, endpoint, model):
    response = post(world.hq, endpoint, {"name": "East"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], "name": "East"}
    assert model.objects.get(pk=body["id"]).brand == world.brand

    client = client_for(world.hq)
    assert client.get(f"/api/v1/{endpoint}/{body['id']}/").json() == body
    listed = client.get(f"/api/v1/{endpoint}/").json()["results"]
    assert body in listed
    assert client_for(world.other_hq).get(f"/api/v1/{endpoint}/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "existing"), [("regions", "North"), ("franchisees", "Alder Foods Ltd")]
)
def test_a_name_taken_in_the_brand_is_400_naming_name(world, endpoint, existing):
    assert attrs(post(world.hq, endpoint, {"name": existing})) == {"name"}


@pytest.mark.parametrize("endpoint", ["regions", "franchisees"])
def test_the_same_name_in_another_brand_is_fine(world, endpoint):
    assert post(world.other_hq, endpoint, {"name": "North"}).status_code == 201


@pytest.mark.parametrize("endpoint", ["regions", "franchisees"])
@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 201}])
def test_a_missing_blank_or_long_name_is_400(world, endpoint, body):
    assert attrs(post(world.hq, endpoint, body)) == {"name"}


# --- branches ------------------------------------------------------------------------------


def branch_body(world, **overrides) -> dict:
    body = {
        "name": "York Minster",
        "franchisee": world.franchisee_a.pk,
        "region": world.north.pk,
        "address": "1 Minster Yard, York",
        "latitude": 53.962,
        "longitude": -1.082,
        "timezone": "Europe/London",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def test_head_office_creates_a_branch(world):
    response = post(world.hq, "branches", branch_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], **branch_body(world)}
    branch = Branch.objects.get(pk=body["id"])
    assert branch.brand == world.brand
    assert client_for(world.hq).get(f"/api/v1/branches/{branch.pk}/").json() == body
    # The franchisee's owner now sees it; the other owner does not.
    assert client_for(world.owner_a).get(f"/api/v1/branches/{branch.pk}/").status_code == 200
    assert client_for(world.owner_b).get(f"/api/v1/branches/{branch.pk}/").status_code == 404


def test_region_is_optional(world):
    response = post(world.hq, "branches", branch_body(world, region=..., address=...))
    assert response.status_code == 201, response.content
    assert response.json()["region"] is None
    assert response.json()["address"] == ""


@pytest.mark.parametrize(
    ("overrides", "attr"),
    [
        ({"franchisee": "other"}, "franchisee"),
        ({"region": "other"}, "region"),
        ({"franchisee": 999_999}, "franchisee"),
        ({"franchisee": ...}, "franchisee"),
        ({"name": ""}, "name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "BST+1"}, "timezone"),
        ({"latitude": 90.5}, "latitude"),
        ({"latitude": -91}, "latitude"),
        ({"longitude": 180.1}, "longitude"),
        ({"longitude": -181}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"latitude": ...}, "latitude"),
    ],
)
def test_bad_branch_is_400_naming_the_field(world, overrides, attr):
    other = {
        "franchisee": world.other_branch.franchisee_id,
        "region": RegionFactory(brand=world.other_brand).pk,
    }
    overrides = {k: other[k] if v == "other" else v for k, v in overrides.items()}
    before = Branch.objects.count()
    assert attr in attrs(post(world.hq, "branches", branch_body(world, **overrides)))
    assert Branch.objects.count() == before


@pytest.mark.parametrize(("latitude", "longitude"), [(90, 180), (-90, -180), (0, 0)])
def test_coordinate_limits_are_inclusive(world, latitude, longitude):
    body = branch_body(world, latitude=latitude, longitude=longitude)
    assert post(world.hq, "branches", body).status_code == 201


# --- shoppers ------------------------------------------------------------------------------


def test_head_office_creates_a_shopper_who_can_log_in(world):
    body = {"username": "newshopper", "password": "a-long-pass-phrase-42", "email": "n@example.com"}
    response = post(world.hq, "shoppers", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created == {"id": created["id"], "username": "newshopper", "email": "n@example.com"}
    user = User.objects.get(pk=created["id"])
    assert user.check_password("a-long-pass-phrase-42")
    assert list(Membership.objects.filter(user=user).values_list("role", "brand_id")) == [
        (Role.SHOPPER, world.brand.pk)
    ]

    login = client_for().post(
        "/api/v1/auth/token/",
        {"username": "newshopper", "password": "a-long-pass-phrase-42"},
        format="json",
    )
    assert login.status_code == 200, login.content
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    me = client.get("/api/v1/me/").json()
    assert (me["username"], me["roles"], me["brands"]) == (
        "newshopper",
        ["shopper"],
        [world.brand.pk],
    )
    assert client.get("/api/v1/assignments/").json()["count"] == 0

    listed = client_for(world.hq).get("/api/v1/shoppers/").json()["results"]
    assert created in listed
    assert client_for(world.hq).get(f"/api/v1/shoppers/{user.pk}/").json() == created
    assert client_for(world.other_hq).get(f"/api/v1/shoppers/{user.pk}/").status_code == 404


def test_email_is_optional(world):
    response = post(
        world.hq, "shoppers", {"username": "quiet", "password": "a-long-pass-phrase-42"}
    )
    assert response.status_code == 201
    assert response.json()["email"] == ""


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"username": "sam", "password": "a-long-pass-phrase-42"}, "username"),  # taken
        ({"username": "", "password": "a-long-pass-phrase-42"}, "username"),
        ({"username": "bad name!", "password": "a-long-pass-phrase-42"}, "username"),
        ({"username": "weak", "password": "123"}, "password"),
        ({"username": "weak", "password": "password"}, "password"),
        ({"username": "nopass"}, "password"),
        ({"username": "mail", "password": "a-long-pass-phrase-42", "email": "nope"}, "email"),
    ],
)
def test_bad_shopper_is_400_naming_the_field(world, body, attr):
    before = User.objects.count()
    assert attr in attrs(post(world.hq, "shoppers", body))
    assert User.objects.count() == before


def test_the_password_is_never_returned(world):
    response = post(world.hq, "shoppers", {"username": "x1", "password": "a-long-pass-phrase-42"})
    assert "password" not in response.json()
    assert "a-long-pass-phrase-42" not in response.content.decode()
    listed = client_for(world.hq).get("/api/v1/shoppers/").content.decode()
    assert "password" not in listed


# --- who may build the network -------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner_a", "shopper", "reviewer"])
@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("regions", {"name": "East"}),
        ("franchisees", {"name": "Cedar"}),
        ("branches", {"name": "X", "latitude": 1, "longitude": 1}),
        ("shoppers", {"username": "x2", "password": "a-long-pass-phrase-42"}),
    ],
)
def test_only_head_office_builds_the_network(world, role, endpoint, body):
    if endpoint == "branches":
        body = {**body, "franchisee": world.franchisee_a.pk}
    response = post(getattr(world, role), endpoint, body)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_owner_reads_own_franchisee_and_branches_only(world):
    client = client_for(world.owner_a)
    franchisees = client.get("/api/v1/franchisees/").json()["results"]
    assert franchisees == [{"id": world.franchisee_a.pk, "name": "Alder Foods Ltd"}]
    branches = client.get("/api/v1/branches/").json()["results"]
    assert {b["name"] for b in branches} == {"Leeds Station", "Brighton Pier"}
