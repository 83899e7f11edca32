"""The response check every API test runs (tests/support/openapi.py) does fail on a response
the document does not describe: an undeclared field, a wrong type, a missing field."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse

from support.helpers import client_for
from support.openapi import problem_with

pytestmark = pytest.mark.django_db


def _altered(response, change) -> HttpResponse:
    body = response.json()
    change(body)
    return HttpResponse(
        json.dumps(body), status=response.status_code, content_type="application/json"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda body: body.update(unexpected="field"),
        lambda body: body.update(id="not a number"),
        lambda body: body.pop("username"),
    ],
    ids=["undeclared field", "wrong type", "missing field"],
)
def test_a_response_unlike_the_document_is_reported(world, change):
    response = client_for(world.hq).get("/api/v1/me/")
    assert problem_with(response.wsgi_request, response) is None
    assert problem_with(response.wsgi_request, _altered(response, change))


def test_a_wrong_value_deep_in_a_page_is_reported(world):
    from support.helpers import scored_submission

    scored_submission(world)
    response = client_for(world.hq).get("/api/v1/audits/", {"include": "score_items"})
    assert problem_with(response.wsgi_request, response) is None

    def break_an_item(body):
        body["results"][0]["score"]["items"][0]["reason"] = "because"

    assert problem_with(response.wsgi_request, _altered(response, break_an_item))
