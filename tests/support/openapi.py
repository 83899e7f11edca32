"""Every response the tests get from /api/v1/ is validated against the OpenAPI document.

The document is built once per session from the code (drf-spectacular, rendered to JSON as
`/api/schema/?format=json` serves it) and loaded with openapi-core. An autouse fixture wraps,
for each test:

- `django.test.Client.request`, through which DRF's `APIClient` and pytest-django's `client`
  send every request: a response that drifts from the document fails the test at once, at
  the request that produced it;
- `WSGIHandler.get_response`, which serves the live server (e2e tests, the generated client
  over real HTTP): a drift there is recorded in the server thread and fails the test when it
  ends.

A response must have a status documented for its path and method, and a body matching that
status's schema for its media type, with no undeclared field. Two answers are not operations
of the document and are checked against its shared `ErrorResponse` instead: the JSON 404 of
an /api/ path no route matches (`ApiNotFoundView`), and DRF's 405 for a method a documented
path does not have.

A test whose responses are outside the contract on purpose says so, and why:
`@pytest.mark.unvalidated_response("why")`.
"""

from __future__ import annotations

import functools
import json
import threading

import pytest
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import Client
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound
from openapi_core.validation.schemas import oas31_schema_validators_factory

from support.anonymity import identity_problem, scanned

VALIDATED_PREFIX = "/api/v1/"
MARKER = "unvalidated_response"

# A field the document does not declare fails too (drf-spectacular never writes
# `additionalProperties: false`; its free-form objects say `additionalProperties: {}`).
# A JPEG body is bytes; handed to the schema (`type: string, format: binary`) as a string.
STRICT = Config(
    additional_properties_default_policy="forbid",
    extra_media_type_deserializers={"image/jpeg": lambda body: body.decode("latin-1")},
)

counts = {"validated": 0, "exempted": 0}
_counts_lock = threading.Lock()


@functools.cache
def openapi() -> OpenAPI:
    """The OpenAPI document of the code, as served, loaded by openapi-core."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    document = json.loads(OpenApiJsonRenderer().render(schema))
    return OpenAPI.from_dict(document, config=STRICT)


class _Request(DjangoOpenAPIRequest):
    # openapi-core matches the concrete path against the document's templates itself:
    # Django's route (`(?P<pk>[^/.]+)`) does not name parameters as the document does.
    path_pattern = None

    @property
    def body(self) -> bytes:
        # Only responses are validated; a multipart body was read as a stream, and
        # `request.body` would raise RawPostDataException.
        return b""


def _describe(request, response) -> str:
    body = b"<streamed>" if response.streaming else response.content[:500]
    return (
        f"{request.method} {request.get_full_path()} -> {response.status_code} "
        f"{response.get('Content-Type', '')}: {body!r}"
    )


def _explain(error: BaseException | None) -> str:
    """An openapi-core error with the errors it wraps: which field broke which rule."""
    lines = []
    while error is not None:
        schema_errors = getattr(error, "schema_errors", ())
        text = str(error) if not schema_errors else "invalid value"
        lines.append(f"  {error.__class__.__name__}: {text[:300]}")
        for schema_error in schema_errors:
            where = "/".join(str(p) for p in schema_error.absolute_path) or "<body>"
            lines.append(f"    at {where}: {schema_error.message[:300]}")
        error = error.__cause__
    return "\n".join(lines)


def _error_shape_problem(response, status: int) -> str | None:
    """Why `response` is not a JSON `status` in the shared ErrorResponse shape, if it is not."""
    if response.status_code != status or response.get("Content-Type") != "application/json":
        return f"expected a JSON {status} in the shared error shape"
    app = openapi()
    shape = app.spec / "components" / "schemas" / "ErrorResponse"
    validator = oas31_schema_validators_factory.create(
        app.spec, shape, forbid_unspecified_additional_properties=True
    )
    try:
        validator.validate(json.loads(response.content))
    except Exception as exc:  # any reason is reported, in full
        return "not in the shared error shape\n" + _explain(exc)
    return None


def problem_with(request, response) -> str | None:
    """Why `response` to `request` does not match the OpenAPI document, or None if it does."""
    match = request.resolver_match
    if match is not None and match.url_name == "api-not-found":
        if response.status_code == 301 and response["Location"].startswith(request.path + "/"):
            return None  # only the trailing slash was missing: redirected like APPEND_SLASH
        if problem := _error_shape_problem(response, 404):
            return f"an /api/ path no route matches: {problem}"
        return None
    # Validated, not unmarshalled: the values are checked against the document the same way,
    # without building Python objects of every row (which took most of the suite's time).
    errors = list(
        openapi().iter_response_errors(_Request(request), DjangoOpenAPIResponse(response))
    )
    if len(errors) == 1 and isinstance(errors[0], OperationNotFound):
        problem = _error_shape_problem(response, 405)
        return f"{errors[0]}: {problem}" if problem else None
    if errors:
        return "\n" + "\n".join(_explain(error) for error in errors)
    return None


def _report(problem: str, request, response) -> str:
    return (
        f"Response does not match the OpenAPI document: {problem}\n{_describe(request, response)}"
    )


def _count(key: str) -> None:
    with _counts_lock:
        counts[key] += 1


@pytest.fixture(autouse=True)
def _validated_api_responses(request, monkeypatch):
    """Wraps the test clients and the live server for this test: /api/v1/ responses are
    validated."""
    exempt = request.node.get_closest_marker(MARKER)
    if exempt is not None and not (exempt.args and str(exempt.args[0]).strip()):
        pytest.fail(f"@pytest.mark.{MARKER} needs a reason", pytrace=False)

    def checked(http_request, response) -> str | None:
        if not http_request.path.startswith(VALIDATED_PREFIX):
            return None
        if exempt is not None:
            _count("exempted")
            return None
        _count("validated")
        problem = problem_with(http_request, response) or identity_problem(http_request, response)
        return _report(problem, http_request, response) if problem else None

    client_request = Client.request

    def request_and_validate(self, **kwargs):
        response = client_request(self, **kwargs)
        if failure := checked(response.wsgi_request, response):
            pytest.fail(failure)
        return response

    served: list[str] = []

    def serve_and_validate(self, http_request):
        response = BaseHandler.get_response(self, http_request)
        try:
            failure = checked(http_request, response)
        except Exception as exc:  # the server thread must answer; the test fails below
            failure = f"Validating {http_request.method} {http_request.path} raised {exc!r}"
        if failure:
            served.append(failure)
        return response

    monkeypatch.setattr(Client, "request", request_and_validate)
    monkeypatch.setattr(WSGIHandler, "get_response", serve_and_validate)
    yield
    if served:
        pytest.fail("Over real HTTP:\n" + "\n".join(served), pytrace=False)


def pytest_terminal_summary(terminalreporter):
    if counts["validated"] or counts["exempted"]:
        terminalreporter.write_line(
            f"OpenAPI: {counts['validated']} API responses validated, "
            f"{counts['exempted']} exempted by @pytest.mark.{MARKER}; "
            f"{scanned['owner_responses']} owner responses scanned for names"
        )
