"""Issue 12 finding: 130 wrong passwords in a row gave 130 401s and the right one still worked."""

import pytest
from rest_framework.test import APIClient

from support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


@pytest.fixture
def generous_rates(settings):
    """Sign-in rates high enough that only the lockout, not the per-minute rate, answers."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in_username": "1000/min",
            "sign_in_address": "1000/min",
        },
    }


def test_wrong_passwords_are_throttled_with_retry_after():
    user = UserFactory()
    client = APIClient()
    statuses = [
        client.post(URL, {"username": user.username, "password": "wrong"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    response = client.post(URL, {"username": user.username, "password": "wrong"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "throttled"


def test_twenty_failures_lock_the_account_even_for_the_right_password(generous_rates):
    user = UserFactory()
    client = APIClient()
    for _ in range(20):
        assert client.post(URL, {"username": user.username, "password": "x"}).status_code == 401
    response = client.post(URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "account_locked"
    assert int(response["Retry-After"]) > 0


def test_the_address_limit_holds_across_usernames():
    client = APIClient()
    statuses = [
        client.post(URL, {"username": f"guess{n}", "password": "wrong"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_a_successful_sign_in_forgets_the_failures(generous_rates):
    user = UserFactory()
    client = APIClient()
    for _ in range(19):
        client.post(URL, {"username": user.username, "password": "x"})
    assert client.post(URL, {"username": user.username, "password": PASSWORD}).status_code == 200
    for _ in range(19):
        client.post(URL, {"username": user.username, "password": "x"})
    assert client.post(URL, {"username": user.username, "password": PASSWORD}).status_code == 200


def test_head_office_unlocks_a_locked_shopper_on_the_record(world, generous_rates):
    from audits.models import SignInUnlock
    from support.helpers import client_for

    client = APIClient()
    username = world.shopper.username
    for _ in range(20):
        client.post(URL, {"username": username, "password": "x"})
    assert client.post(URL, {"username": username, "password": PASSWORD}).status_code == 429
    other = client_for(world.other_hq).post(
        f"/api/v1/shoppers/{world.shopper.pk}/unlock/", {"reason": "not mine"}, format="json"
    )
    assert other.status_code == 404
    response = client_for(world.hq).post(
        f"/api/v1/shoppers/{world.shopper.pk}/unlock/",
        {"reason": "Identity checked by phone"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["shopper"] == world.shopper.pk
    record = SignInUnlock.objects.get()
    assert (record.user, record.unlocked_by, record.reason) == (
        world.shopper,
        world.hq,
        "Identity checked by phone",
    )
    assert client.post(URL, {"username": username, "password": PASSWORD}).status_code == 200
