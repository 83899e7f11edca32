"""A head-office user of several brands names the brand they act for; none is implied."""

from __future__ import annotations

import pytest

from audits.models import Region, Role
from support.factories import BrandFactory, MembershipFactory, RegionFactory
from support.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_brands(world):
    second = BrandFactory(name="Second Brand")
    MembershipFactory(user=world.hq, role=Role.HEAD_OFFICE, brand=second)
    return world, second


def test_without_a_brand_a_400_lists_the_choices(two_brands):
    world, second = two_brands
    response = client_for(world.hq).post("/api/v1/regions/", {"name": "East"}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "brand"
    assert error["code"] == "required"
    assert f"{world.brand.pk} (Kettle & Crumb)" in error["detail"]
    assert f"{second.pk} (Second Brand)" in error["detail"]
    assert not Region.objects.filter(name="East").exists()


@pytest.mark.parametrize("where", ["body", "query"])
def test_the_named_brand_is_the_one_written_into(two_brands, where):
    world, second = two_brands
    client = client_for(world.hq)
    if where == "body":
        response = client.post(
            "/api/v1/regions/", {"name": "East", "brand": second.pk}, format="json"
        )
    else:
        response = client.post(
            f"/api/v1/regions/?brand={second.pk}", {"name": "East"}, format="json"
        )
    assert response.status_code == 201, response.content
    assert Region.objects.get(name="East").brand == second


def test_a_brand_the_user_is_not_head_office_of_is_refused(world):
    response = client_for(world.hq).post(
        "/api/v1/regions/", {"name": "East", "brand": world.other_brand.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "brand"
    assert not Region.objects.filter(name="East").exists()


def test_a_single_brand_is_still_implied(world):
    response = client_for(world.hq).post("/api/v1/regions/", {"name": "East"}, format="json")
    assert response.status_code == 201
    assert Region.objects.get(name="East").brand == world.brand


def test_branch_ids_of_another_brand_are_unknown(two_brands):
    world, second = two_brands
    region = RegionFactory(brand=second)
    response = client_for(world.hq).post(
        "/api/v1/branches/",
        {
            "brand": second.pk,
            "name": "Mixed",
            "franchisee": world.franchisee_a.pk,  # of the first brand
            "region": region.pk,
            "latitude": 51.5,
            "longitude": -0.1,
        },
        format="json",
    )
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["franchisee"]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "99999999999999999999"])
def test_a_malformed_brand_is_a_400_naming_it(world, value):
    response = client_for(world.hq).post(
        f"/api/v1/regions/?brand={value}", {"name": "East"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "brand"


def test_a_reader_of_several_brands_names_the_league_table_brand(two_brands):
    world, second = two_brands
    client = client_for(world.hq)
    response = client.get("/api/v1/benchmarks/?period=2026-Q3")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "brand"
    named = client.get(f"/api/v1/benchmarks/?period=2026-Q3&brand={second.pk}")
    assert named.status_code == 404  # a brand of theirs, with no snapshot yet
    other = client.get(f"/api/v1/benchmarks/?period=2026-Q3&brand={world.other_brand.pk}")
    assert other.status_code == 400
    assert other.json()["errors"][0]["attr"] == "brand"


@pytest.mark.parametrize("value", ["\u00b2", "\u0661"])  # superscript two, Arabic-Indic one
def test_unicode_digits_are_a_400_not_a_500(world, value):
    client = client_for(world.hq)
    response = client.post(f"/api/v1/regions/?brand={value}", {"name": "East"}, format="json")
    assert response.status_code == 400
    compare = client.get(f"/api/v1/benchmarks/compare/?branches={value}&period=2026-Q3")
    assert compare.status_code == 400
    assert compare.json()["errors"][0]["attr"] == "branches"
