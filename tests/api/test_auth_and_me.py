"""Signing in with a username and password, and learning who you are."""

import pytest

from support.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_pair_then_me_lists_roles(world, api):
    client = api()
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "alice"
    assert me["roles"] == ["owner"]
    assert me["franchisees"] == [world.franchisee_a.pk]


def test_refresh_gives_a_new_access_token(world, api):
    client = api()
    tokens = client.post(
        "/api/v1/auth/token/", {"username": "sam", "password": PASSWORD}, format="json"
    ).json()
    response = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert "access" in response.json()


def test_wrong_password_is_401_in_the_shared_error_shape(world, api):
    response = api().post(
        "/api/v1/auth/token/", {"username": "sam", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"]


def test_bad_token_is_401(world, api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_no_token_is_401(world, api):
    assert api().get("/api/v1/assignments/").status_code == 401
