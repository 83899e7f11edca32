"""A Content-Security-Policy on the HTML pages and CORS for browser clients on configured
origins only (issue 12: neither existed)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from support.helpers import client_for

pytestmark = pytest.mark.django_db

HTML_PAGES = ["/", "/api/docs/", "/api/redoc/", "/admin/login/"]


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_carry_a_policy_that_allows_only_this_servers_scripts(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = _directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/", "/api/docs/", "/api/redoc/"])
def test_the_pages_have_no_inline_script_and_load_nothing_from_elsewhere(path):
    html = Client().get(path).content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attributes for attributes in scripts), scripts
    assert not re.search(r"(src|href)=\"https?://", html)


def test_swagger_uis_start_up_script_is_served_from_its_own_url():
    response = Client().get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")


@pytest.mark.unvalidated_response(
    "a CORS preflight is answered by django-cors-headers before any view: an empty 200, as "
    "browsers expect, not an API operation of the schema"
)
def test_cors_answers_a_configured_origin_and_no_other(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
    }
    allowed = Client().options(
        "/api/v1/submissions/", HTTP_ORIGIN="https://app.example.com", **preflight
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    other = Client().options(
        "/api/v1/submissions/", HTTP_ORIGIN="https://evil.example", **preflight
    )
    assert "Access-Control-Allow-Origin" not in other


def test_no_origin_is_allowed_by_default():
    response = Client().get("/api/v1/me/", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("path", ["/api/v1/regions/", "/api/v1/auth/token/", "/api/v1/me/"])
def test_options_is_a_405_in_the_error_shape_not_an_undocumented_description(world, path):
    """DRF answered OPTIONS with a field list the schema does not have (schemathesis's
    unexpected-method cases found it); the OpenAPI document is the one description."""
    response = client_for(world.hq).options(path)
    assert response.status_code == 405, response.content
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
