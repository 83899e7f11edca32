"""Domain errors that map onto HTTP statuses; rendered in the one shared error shape."""

from dataclasses import replace

from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed, ValidationError


class Conflict(APIException):
    """The request clashes with what is already stored (a replay with another body, ...)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with what is already stored."
    default_code = "conflict"


class FieldError(APIException):
    """A non-validation error about one request field (e.g. a 413 on `image`).

    drf-standardized-errors leaves `attr` null outside validation errors; ErrorFormatter
    below fills it from here so a client can point at the field as for a 400.
    """

    def __init__(self, detail=None, code=None, *, attr: str | None = None) -> None:
        super().__init__(detail, code)
        self.attr = attr


class PayloadTooLarge(FieldError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "too_large"


class UnsupportedMedia(FieldError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This kind of file is not accepted."
    default_code = "unsupported_media_type"


class ExceptionHandler(BaseExceptionHandler):
    """drf-standardized-errors' handler, with simplejwt's token errors in the shared shape.

    simplejwt raises InvalidToken with a dict detail ({detail, code, messages: [...]}),
    which would otherwise come out as one "error" per key with attrs such as
    `messages.0.token_class`; a bad token is one error with no attr, like any other 401.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        exc = super().convert_known_exceptions(exc)
        if isinstance(exc, AuthenticationFailed) and isinstance(exc.detail, dict):
            detail = exc.detail.get("detail", AuthenticationFailed.default_detail)
            code = exc.detail.get("code", AuthenticationFailed.default_code)
            plain = AuthenticationFailed(detail=str(detail), code=str(code))
            plain.auth_header = getattr(exc, "auth_header", None)
            return plain
        return exc


class ErrorFormatter(ExceptionFormatter):
    """The package's formatter, naming the field of a FieldError in `attr`."""

    def get_errors(self):
        errors = super().get_errors()
        attr = getattr(self.exc, "attr", None)
        if attr and not isinstance(self.exc, ValidationError):
            errors = [error if error.attr else replace(error, attr=attr) for error in errors]
        return errors
