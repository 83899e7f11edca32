"""How the OpenAPI schema documents errors: one shared shape, every code the server emits.

drf-standardized-errors decides which error statuses an operation can answer (a body can be
invalid, a detail route can 404, ...). Its per-endpoint error components are replaced by one
`ErrorResponse`, because the per-field unions it builds cannot hold the attrs services emit
(`answers.<item key>`, `sections[0].items[2].key`) and break generated clients. Each 400 lists
the attrs it can name in its description, as they are emitted.
"""

from __future__ import annotations

import typing

from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import exceptions, fields, serializers
from rest_framework.serializers import ListSerializer

from audits import errors as domain_errors
from audits.api import fields as _touchpoint_fields  # noqa: F401 - its codes, walked below
from audits.api import throttling as _throttling  # noqa: F401 - AccountLocked, walked below
from audits.api.parsers import BODY_CODES
from audits.dates import OUT_OF_RANGE
from audits.images import RejectionCode

# simplejwt's codes (rest_framework_simplejwt.authentication / exceptions).
JWT_CODES = (
    "token_not_valid",
    "bad_authorization_header",
    "user_not_found",
    "user_inactive",
    "password_changed",
    "no_active_account",
)


def _subclasses(cls: type) -> list[type]:
    found, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def _emitted_codes() -> list[str]:
    """Every `code` an error body can carry: DRF's field, validator and exception codes, Django
    form fields' (django-filter query parameters) and validators', simplejwt's and Touchpoint's
    own."""
    from django import forms
    from django.core import validators as django_validators
    from rest_framework import validators as drf_validators

    codes: set[str] = {"error", "invalid", "parse_error"}
    for field in (fields.Field, *_subclasses(fields.Field), ListSerializer):
        codes |= set(getattr(field, "default_error_messages", {}))
    for field in (forms.Field, *_subclasses(forms.Field)):
        codes |= set(getattr(field, "default_error_messages", {}))
    for exc in (exceptions.APIException, *_subclasses(exceptions.APIException)):
        codes.add(exc.default_code)
    for error in (domain_errors.TouchpointError, *_subclasses(domain_errors.TouchpointError)):
        codes.add(error.default_code)
    # Validators' own codes: a model field's RegexValidator, DRF's UniqueValidator ("unique").
    for module in (django_validators, drf_validators):
        for name, value in vars(module).items():
            code = getattr(value, "code", None) if isinstance(value, type) else None
            if isinstance(code, str) and not name.startswith("Base"):
                codes.add(code)
    codes.add("unique")  # UniqueValidator and UniqueFor*Validator pass it at raise time
    codes |= set(JWT_CODES) | set(typing.get_args(RejectionCode)) | {OUT_OF_RANGE}
    codes |= set(BODY_CODES)
    return sorted(codes)


ERROR_CODES = _emitted_codes()
ERROR_TYPES = ("validation_error", "client_error", "server_error")


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=ERROR_CODES, help_text="Stable and machine-readable; `detail` is for people."
    )
    detail = serializers.CharField()
    attr = serializers.CharField(
        allow_null=True,
        help_text="The field at fault as a dotted path (e.g. `answers.greeted`, "
        "`location.latitude`, `answers.0.item`), or null when no one field is.",
    )


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape of every status: `{type, errors: [{code, detail, attr}]}`."""

    type = serializers.ChoiceField(
        choices=ERROR_TYPES,
        help_text="validation_error for 400s naming fields, client_error for other 4xx.",
    )
    errors = ErrorSerializer(many=True)


def error_response(description: str) -> OpenApiResponse:
    """An error response in the shared shape, for `extend_schema(responses=...)`."""
    return OpenApiResponse(ErrorResponseSerializer, description=description)


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' choice of error statuses, documented in the shared shape.

    A view adds attrs its service emits beyond the request serializer's fields with
    `extra_error_attrs = {"create": ["answers.<item key>"], ...}` (by action or method).
    """

    def _get_error_response_serializer(self, status_code: str):
        return ErrorResponseSerializer

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        """413 on every operation that takes a body: the parsers refuse one over its limit; 400
        on every operation: bodies are parsed and checked, and every query string is checked
        for characters the database cannot compare (ScopedView.initial)."""
        if status_code == "413":
            return status_code not in responses and self.method in ("POST", "PUT", "PATCH")
        if status_code == "400":
            return status_code not in responses
        return super()._should_add_error_response(responses, status_code)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction == "response" and "400" in responses:
            attrs = self._documented_attrs()
            if attrs and not responses["400"].get("description"):
                listed = ", ".join(f"`{a}`" for a in attrs)
                responses["400"]["description"] = f"Invalid input; `attr` is one of: {listed}."
        return responses

    def _documented_attrs(self) -> list[str]:
        request = self.get_request_serializer() if self.method in ("PUT", "PATCH", "POST") else None
        is_serializer = isinstance(request, serializers.BaseSerializer) or (
            isinstance(request, type) and issubclass(request, serializers.BaseSerializer)
        )
        if request is None or is_serializer:
            attrs = [field.name for field in self._determine_fields_with_error_codes()]
        else:  # a serializer per media type: document the view's extra attrs only
            attrs = []
        extra = getattr(self.view, "extra_error_attrs", {})
        action = getattr(self.view, "action", None) or self.method.lower()
        attrs += extra.get(action, [])
        return list(dict.fromkeys(attrs))


def collapse_any_or_null(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: `oneOf: [{}, {type: null}]` (a nullable JSONField) is just `{}`.

    Any value already includes null, and under `oneOf` a null would match both options and
    so neither; strict validators then refuse a valid null.
    """

    def walk(node):
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: walk(value) for key, value in node.items()}
        options = node.get("oneOf")
        if isinstance(options, list) and {} in options:
            node = {key: value for key, value in node.items() if key != "oneOf"}
        return node

    return walk(result)
