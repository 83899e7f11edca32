"""The one place where errors become HTTP: Touchpoint's own errors, DRF's and simplejwt's.

Every error body has one shape, `{type, errors: [{code, detail, attr}]}`, rendered by
drf-standardized-errors. Services raise `audits.errors.TouchpointError`s; this handler turns
each into the DRF exception of the same status first, keeping its code and the field it names.
"""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    ErrorDetail,
    ValidationError,
)
from rest_framework.settings import api_settings

from audits.api.parsers import REQUEST_TOO_LARGE, TOO_MANY_FIELDS
from audits.errors import InvalidInput, PayloadTooLarge, TouchpointError


class DomainError(APIException):
    """A TouchpointError other than invalid input, at its own status, naming its field."""

    def __init__(self, error: TouchpointError) -> None:
        super().__init__(detail=error.message, code=error.code)
        self.status_code = error.status
        self.attr = error.attr


def as_api_exception(error: TouchpointError) -> APIException:
    """The DRF exception that renders `error` in the shared shape."""
    if isinstance(error, InvalidInput):
        detail: dict[str, list[ErrorDetail]] = {}
        for problem in error.problems:
            attr = problem.attr or api_settings.NON_FIELD_ERRORS_KEY
            detail.setdefault(attr, []).append(ErrorDetail(problem.message, code=problem.code))
        return ValidationError(detail)
    return DomainError(error)


class ExceptionHandler(BaseExceptionHandler):
    """drf-standardized-errors' handler, knowing Touchpoint's errors and simplejwt's.

    simplejwt raises InvalidToken with a dict detail ({detail, code, messages: [...]}),
    which would otherwise come out as one "error" per key with attrs such as
    `messages.0.token_class`; a bad token is one error with no attr, like any other 401.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):  # a form over DATA_UPLOAD_MAX_MEMORY_SIZE
            exc = PayloadTooLarge(str(exc), code=REQUEST_TOO_LARGE)
        elif isinstance(exc, TooManyFieldsSent):
            exc = InvalidInput.field("non_field_errors", str(exc), code=TOO_MANY_FIELDS)
        if isinstance(exc, TouchpointError):
            return as_api_exception(exc)
        exc = super().convert_known_exceptions(exc)
        if isinstance(exc, AuthenticationFailed) and isinstance(exc.detail, dict):
            detail = exc.detail.get("detail", AuthenticationFailed.default_detail)
            code = exc.detail.get("code", AuthenticationFailed.default_code)
            plain = AuthenticationFailed(detail=str(detail), code=str(code))
            plain.auth_header = getattr(exc, "auth_header", None)
            return plain
        return exc


class ErrorFormatter(ExceptionFormatter):
    """The package's formatter, naming the field of a non-validation error in `attr`.

    drf-standardized-errors leaves `attr` null outside validation errors; a 413 on `image`
    names the field as a 400 would, so a client can point at it.
    """

    def get_errors(self):
        errors = super().get_errors()
        attr = getattr(self.exc, "attr", None)
        if attr and not isinstance(self.exc, ValidationError):
            errors = [error if error.attr else replace(error, attr=attr) for error in errors]
        return errors
