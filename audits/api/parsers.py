"""Request body parsers that refuse, as 4xx naming the place, what the database or a worker
cannot hold: bodies over the size limit, JSON nested without end, NUL and lone surrogates in
any string, numbers beyond a float.

Every body reaches the services through one of these, so each rule is kept here once rather
than in every field: PostgreSQL refuses NUL in text and jsonb and lone surrogates in jsonb
(a DataError, a 500, after the request's work was done), Python's JSON decoder recurses once
per level (a RecursionError at about a thousand), and `1e400` decodes to infinity.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from rest_framework import parsers, renderers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from audits.errors import PayloadTooLarge

REQUEST_TOO_LARGE = "request_too_large"
MAX_DEPTH = "max_depth"
NULL_CHARACTERS = "null_characters_not_allowed"  # DRF's CharField code for the same refusal
SURROGATE_CHARACTERS = "surrogate_characters_not_allowed"  # likewise
NOT_FINITE = "not_finite"
TOO_MANY_FIELDS = "too_many_fields"
BODY_CODES = (
    REQUEST_TOO_LARGE,
    MAX_DEPTH,
    NULL_CHARACTERS,
    SURROGATE_CHARACTERS,
    NOT_FINITE,
    TOO_MANY_FIELDS,
)

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> tuple[str, str] | None:
    """(code, message) when `value` holds a character no database text can, else None."""
    if "\x00" in value:
        return NULL_CHARACTERS, "Null characters are not allowed."
    if not value.isascii() and _SURROGATE.search(value):
        return SURROGATE_CHARACTERS, "Surrogate characters are not allowed."
    return None


def refuse_oversized(request_meta: dict, limit: int) -> None:
    """413 before the body is read when its declared length is over `limit` bytes."""
    try:
        length = int(request_meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ParseError("Content-Length is not a number.") from None
    if length > limit:
        raise PayloadTooLarge(
            f"The request body is {length} bytes; the limit is {limit}.", code=REQUEST_TOO_LARGE
        )


def _too_deep(max_depth: int) -> str:
    return f"JSON may nest at most {max_depth} levels."


def _child_path(path: str, key: Any) -> str:
    """DRF's way of naming a nested place: `answers.3.value`."""
    return f"{path}.{key}" if path else str(key)


def _walk(data: Any, max_depth: int) -> Iterator[tuple[str, str, str]]:
    """Every (path, code, message) problem in decoded JSON, depth first, without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                yield path, *problem
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield path, NOT_FINITE, "Numbers must be finite."
        elif isinstance(value, dict | list):
            if depth > max_depth:
                yield path, MAX_DEPTH, _too_deep(max_depth)
                continue
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in pairs:
                child_path = _child_path(path, key)
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem:
                        yield child_path, *problem
                        continue
                stack.append((child, child_path, depth + 1))


def check_decoded(data: Any, max_depth: int) -> None:
    """A 400 naming each place of `data` the database could not store (the first 20)."""
    detail: dict[str, list[ErrorDetail]] = {}
    for path, code, message in _walk(data, max_depth):
        detail.setdefault(path or "non_field_errors", []).append(ErrorDetail(message, code=code))
        if len(detail) >= 20:
            break
    if detail:
        raise ValidationError(detail)


class BoundedJSONParser(parsers.BaseParser):
    """JSON with a size limit (DATA_UPLOAD_MAX_MEMORY_SIZE, the same setting Django applies to
    forms), a depth limit (API_MAX_JSON_DEPTH) and clean strings.

    Not a subclass of DRF's JSONParser on purpose: DRF hands a JSONParser the whole body read
    into memory first (`request.body`, which raises RequestDataTooBig: a 500), but any other
    parser the stream, so the declared length is checked here before anything is read.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None:
            refuse_oversized(request.META, limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:  # a length that lied, or none given
            raise PayloadTooLarge(
                f"The request body is over the limit of {limit} bytes.", code=REQUEST_TOO_LARGE
            )
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            too_deep = ErrorDetail(_too_deep(settings.API_MAX_JSON_DEPTH), code=MAX_DEPTH)
            raise ValidationError({"non_field_errors": [too_deep]}) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from None
        check_decoded(data, settings.API_MAX_JSON_DEPTH)
        return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class BoundedMultiPartParser(parsers.MultiPartParser):
    """Photo uploads: `images` images of at most PHOTO_MAX_BYTES each plus a few form fields,
    refused by its declared length before a byte is spooled to disk."""

    images = 1

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None:
            refuse_oversized(request.META, self.images * settings.PHOTO_MAX_BYTES + 1024 * 1024)
        parsed = super().parse(stream, media_type, parser_context)
        check_decoded(dict(parsed.data.items()), settings.API_MAX_JSON_DEPTH)
        return parsed
