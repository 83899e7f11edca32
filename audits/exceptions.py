"""Domain errors that map onto HTTP statuses; rendered in the one shared error shape."""

from rest_framework import status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """The request clashes with what is already stored (a replay with another body, ...)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with what is already stored."
    default_code = "conflict"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "too_large"


class UnsupportedMedia(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This kind of file is not accepted."
    default_code = "unsupported_media_type"
