"""Visit serializers are built once per thread and shape every response after (`reusable`):
nothing of one request may reach the next. Shapes follow each reader, links each request."""

from __future__ import annotations

import pytest

from support.factories import PhotoFactory
from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(world):
    audit = scored_submission(world)
    PhotoFactory(submission=audit)
    return audit


def test_readers_in_turn_each_get_their_own_shape(world, audit):
    path = f"/api/v1/audits/{audit.pk}/"
    for reader, sees_shopper in [
        ("hq", True),
        ("owner_a", False),
        ("hq", True),
        ("owner_a", False),
    ]:
        body = client_for(getattr(world, reader)).get(path).json()
        assert (body["shopper"] is not None) is sees_shopper, reader
        assert ("risk" in body) is sees_shopper, reader


@pytest.mark.parametrize("path", ["/api/v1/audits/{pk}/", "/api/v1/audits/"])
def test_photo_links_follow_each_request(world, audit, path):
    client = client_for(world.owner_a)
    for host in ("localhost", "127.0.0.1", "localhost"):
        body = client.get(path.format(pk=audit.pk), HTTP_HOST=host).json()
        row = body["results"][0] if "results" in body else body
        (photo,) = row["photos"]
        assert photo["url"].startswith(f"http://{host}/api/v1/photos/"), photo["url"]


def test_a_light_list_then_a_full_one_then_light_again(world, audit):
    client = client_for(world.hq)
    shapes = [
        "answers" in client.get("/api/v1/audits/", params).json()["results"][0]
        for params in ({}, {"include": "answers"}, {})
    ]
    assert shapes == [False, True, False]
