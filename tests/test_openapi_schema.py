"""The OpenAPI schema is valid, warning-free and documents every contract path; errors share
one JSON shape whatever their status."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import Resolver404, resolve

from support.helpers import client_for, submission_body

pytestmark = pytest.mark.django_db

# Issue 2's contract: path -> methods it must document.
CONTRACT = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/token/refresh/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/assignments/": {"get", "post"},
    "/api/v1/assignments/{id}/": {"get"},
    "/api/v1/assignments/{id}/accept/": {"post"},
    "/api/v1/checklists/": {"post"},
    "/api/v1/checklists/{id}/": {"get"},
    "/api/v1/submissions/": {"get", "post"},
    "/api/v1/submissions/{id}/": {"get"},
    "/api/v1/submissions/{id}/photos/": {"post"},
    "/api/v1/branches/": {"get", "post"},
    "/api/v1/branches/{id}/": {"get"},
    "/api/v1/audits/": {"get"},
    "/api/v1/audits/{id}/": {"get"},
    "/api/v1/regions/": {"get", "post"},
    "/api/v1/regions/{id}/": {"get"},
    "/api/v1/franchisees/": {"get", "post"},
    "/api/v1/franchisees/{id}/": {"get"},
    "/api/v1/shoppers/": {"get", "post"},
    "/api/v1/shoppers/{id}/": {"get"},
    "/api/v1/photos/{id}/": {"get"},
}

# Paths of later issues: documented whenever they are routed.
LATER = {
    "/api/v1/branches/{id}/scorecard/": "/api/v1/branches/1/scorecard/",
    "/api/v1/benchmarks/": "/api/v1/benchmarks/",
    "/api/v1/benchmarks/compare/": "/api/v1/benchmarks/compare/",
    "/api/v1/shoppers/{id}/calibration/": "/api/v1/shoppers/1/calibration/",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """`manage.py spectacular --validate --fail-on-warn`: raises on any warning or error."""
    path: Path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(path),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    return yaml.safe_load(path.read_text())


def test_schema_is_openapi_3_1(schema):
    assert schema["openapi"] == "3.1.0"
    assert schema["info"]["title"] == "Touchpoint API"


@pytest.mark.parametrize("path", sorted(CONTRACT))
def test_every_contract_path_is_documented_with_its_methods(schema, path):
    assert path in schema["paths"], sorted(schema["paths"])
    assert CONTRACT[path] <= set(schema["paths"][path])


def _routed(url: str) -> bool:
    try:
        resolve(url)
    except Resolver404:
        return False
    return True


@pytest.mark.parametrize("path", sorted(LATER))
def test_later_paths_are_documented_when_routed(schema, path):
    assert _routed(LATER[path]) == (path in schema["paths"])


def test_photo_upload_is_documented_as_multipart(schema):
    body = schema["paths"]["/api/v1/submissions/{id}/photos/"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]


def test_checklist_read_documents_the_issue_shape(schema):
    response = schema["paths"]["/api/v1/checklists/{id}/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][ref]["properties"]
    expected = {"id", "template", "version", "title", "pass_mark", "critical_policy", "sections"}
    assert set(properties) == expected


def _shapes(schema: dict, node: dict) -> list[dict]:
    """The object schemas a response schema may be, following $ref and oneOf."""
    if "$ref" in node:
        return _shapes(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    if "oneOf" in node:
        return [shape for option in node["oneOf"] for shape in _shapes(schema, option)]
    return [node]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/submissions/", "post", ["400", "401", "403", "409"]),
        ("/api/v1/submissions/{id}/photos/", "post", ["400", "401", "404", "409", "413", "415"]),
        ("/api/v1/assignments/{id}/accept/", "post", ["401", "403", "404", "409"]),
        ("/api/v1/checklists/", "post", ["400", "401", "403"]),
        ("/api/v1/audits/{id}/", "get", ["401", "404"]),
    ],
)
def test_errors_are_documented_in_the_shared_shape(schema, path, method, statuses):
    responses = schema["paths"][path][method]["responses"]
    for status in statuses:
        assert status in responses, (path, status)
        content = responses[status]["content"]["application/json"]["schema"]
        for shape in _shapes(schema, content):
            assert set(shape["properties"]) == {"type", "errors"}, (path, status)
            error = _shapes(schema, shape["properties"]["errors"]["items"])[0]
            assert set(error["properties"]) == {"code", "detail", "attr"}, (path, status)


def test_schema_and_docs_are_served(world):
    assert client_for().get("/api/schema/").status_code == 200
    assert client_for().get("/api/docs/").status_code == 200


# --- one error shape -------------------------------------------------------------------------


def _error_responses(world):
    submitted = client_for(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment), format="json"
    )
    assert submitted.status_code == 201
    bad_token = client_for()
    bad_token.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    return {
        400: client_for(world.hq).post("/api/v1/regions/", {"name": ""}, format="json"),
        401: bad_token.get("/api/v1/branches/"),
        403: client_for(world.owner_a).post("/api/v1/regions/", {"name": "X"}, format="json"),
        404: client_for(world.owner_b).get(f"/api/v1/branches/{world.branch_a1.pk}/"),
        409: client_for(world.shopper).post(
            "/api/v1/submissions/", submission_body(world.assignment), format="json"
        ),
    }


def test_errors_share_one_json_shape(world):
    types = {}
    for status, response in _error_responses(world).items():
        assert response.status_code == status, response.content
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"type", "errors"}, (status, body)
        assert body["errors"], status
        for error in body["errors"]:
            assert set(error) == {"code", "detail", "attr"}, (status, error)
            assert isinstance(error["code"], str) and error["code"]
            assert isinstance(error["detail"], str) and error["detail"]
        types[status] = body["type"]
    assert types == {
        400: "validation_error",
        401: "client_error",
        403: "client_error",
        404: "client_error",
        409: "client_error",
    }


def test_validation_errors_name_the_field_and_others_do_not(world):
    responses = _error_responses(world)
    assert [e["attr"] for e in responses[400].json()["errors"]] == ["name"]
    for status in (401, 403, 404, 409):
        assert [e["attr"] for e in responses[status].json()["errors"]] == [None]


# --- one media type per body, every response documented by its serializer -------------------


def test_request_bodies_are_json_except_photo_uploads(schema):
    """Photo uploads are multipart only; an action's completion is JSON, or multipart when it
    carries photos; every other body is JSON."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if not content:
                continue
            if path.endswith("/photos/"):
                expected = ["multipart/form-data"]
            elif path == "/api/v1/actions/{id}/complete/":
                expected = ["application/json", "multipart/form-data"]
            else:
                expected = ["application/json"]
            assert sorted(content) == expected, (method, path, sorted(content))


def test_every_operation_documents_a_body_for_every_status(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert response.get("content"), (method, path, status)


def test_photo_downloads_are_documented_as_jpeg_binary(schema):
    for path in ("/api/v1/photos/{id}/", "/api/v1/photos/{id}/thumbnail/"):
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}


def test_token_endpoints_document_their_401(schema):
    for path in ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"200", "401"} <= set(responses), path


def test_error_codes_the_server_emits_are_in_the_documented_enum(schema):
    codes = set(schema["components"]["schemas"]["ErrorCodeEnum"]["enum"])
    emitted = {
        "validation_error_codes": {"invalid", "required", "null", "max_length", "min_value"},
        "tokens": {"token_not_valid", "bad_authorization_header", "no_active_account"},
        "domain": {"conflict", "not_found", "too_large", "unsupported_media_type"},
        "photos": {"too_many_pixels", "corrupt", "unsupported_format"},
        "http": {"method_not_allowed", "not_authenticated", "permission_denied", "parse_error"},
    }
    for kind, wanted in emitted.items():
        assert wanted <= codes, (kind, wanted - codes)
    assert set(schema["components"]["schemas"]["ErrorTypeEnum"]["enum"]) == {
        "validation_error",
        "client_error",
        "server_error",
    }


def test_a_nullable_assignment_submission_is_marked_nullable(schema):
    submission = schema["components"]["schemas"]["Assignment"]["properties"]["submission"]
    assert submission["type"] == ["integer", "null"]  # OpenAPI 3.1


# --- JSON 404 and 405 everywhere under /api/ ------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/photos/abc/",
        "/api/v1/nonexistent/",
        "/api/v1/assignments/1/nonexistent/",
        "/api/v1/nonexistent",
        "/api/elsewhere/",
    ],
)
def test_unmatched_api_paths_answer_json_404(world, settings, debug, path):
    settings.DEBUG = debug
    response = client_for(world.hq).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "not_found"


def test_a_missing_trailing_slash_is_redirected_or_pointed_out(world):
    client = client_for(world.hq)
    redirected = client.get("/api/v1/branches?page=2")
    assert redirected.status_code == 301
    assert redirected["Location"] == "/api/v1/branches/?page=2"
    posted = client.post("/api/v1/regions", {"name": "East"}, format="json")
    assert posted.status_code == 404
    assert "/api/v1/regions/" in posted.json()["errors"][0]["detail"]
    nowhere = client.get("/api/v1/nonexistent")
    assert nowhere.json()["errors"][0]["detail"] == "No such API path."


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/me/", "/api/v1/auth/token/", "/api/schema/", "/api/docs/", "/api/redoc/"]
)
def test_an_unsupported_method_answers_json_405(world, settings, debug, path):
    settings.DEBUG = debug
    response = client_for(world.hq).delete(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_a_form_body_is_refused_with_415(world):
    response = client_for(world.hq).post("/api/v1/regions/", {"name": "East"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


# --- docs offline, and a landing page --------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_load_nothing_from_another_host(world, path):
    import re

    response = client_for().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)
    assert external == [], external
    assert "/static/drf_spectacular_sidecar/" in html


def test_the_landing_page_links_docs_admin_and_api(world):
    response = client_for().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for link in ('href="/api/docs/"', 'href="/api/redoc/"', 'href="/admin/"', 'href="/api/v1/me/"'):
        assert link in html


def test_a_browser_gets_json_too(world):
    response = client_for(world.hq).get("/api/v1/branches/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    html_only = client_for(world.hq).get("/api/v1/branches/999999/", HTTP_ACCEPT="text/html")
    assert html_only.status_code == 406  # only JSON is offered: Not Acceptable, in JSON
    assert html_only["Content-Type"] == "application/json"
