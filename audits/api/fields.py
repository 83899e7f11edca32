"""Input fields that hold what the database and the reports can: ids that fit a bigint, dates
in supported years with offsets the Earth (and PostgreSQL) has."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import serializers

from audits.dates import OUT_OF_RANGE, OUT_OF_RANGE_MESSAGE, in_supported_range

# An id in a query string or body: ASCII digits only (str.isdigit accepts "\u00b2", which
# int() refuses), and few enough to fit the database's bigint.
DATABASE_ID = re.compile(r"[0-9]{1,18}")
# The largest id a bigint primary key holds.
MAX_DATABASE_ID = 2**63 - 1
# Time-zone offsets in use on Earth run from -12:00 to +14:00; PostgreSQL refuses beyond
# +-15:59 (a 500 from the database), and anything past the Earth's range is a typo.
EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)
OFFSET_MESSAGE = "Time-zone offsets from -12:00 to +14:00 only."


def offset_in_range(value: datetime) -> bool:
    """Whether an aware date-time's offset is one a clock on Earth shows (naive: True)."""
    offset = value.utcoffset()
    return offset is None or EARLIEST_OFFSET <= offset <= LATEST_OFFSET


class StrictCharField(serializers.CharField):
    """Text that arrives as a JSON string, else a 400 `invalid` naming the field.

    DRF's CharField turns `0` or `1.5` into "0" and "1.5", so a name sent as a number was
    stored (schemathesis found it); the schema says string, and a client that sends a number
    for a name has a bug it should hear about. Form and query values are always strings.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class DatabaseIdField(serializers.IntegerField):
    """An id in a body: a positive integer a bigint holds, else a 400 (never a database error)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DATABASE_ID)
        super().__init__(**kwargs)


class _SupportedYears:
    """A date or date-time field holding years 2000 to 2100 only (audits.dates)."""

    default_error_messages = {OUT_OF_RANGE: OUT_OF_RANGE_MESSAGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not in_supported_range(parsed):
            self.fail(OUT_OF_RANGE)
        return parsed


class _SupportedOffsets:
    """A date-time whose offset is one in use on Earth (checked before the conversion to UTC)."""

    default_error_messages = {OUT_OF_RANGE: OUT_OF_RANGE_MESSAGE}

    def enforce_timezone(self, value):
        if isinstance(value, datetime) and not offset_in_range(value):
            raise serializers.ValidationError(OFFSET_MESSAGE, code=OUT_OF_RANGE)
        return super().enforce_timezone(value)


class SupportedDateTimeField(_SupportedYears, _SupportedOffsets, serializers.DateTimeField):
    """A date-time in years 2000 to 2100 with an offset from -12:00 to +14:00, else a 400 with
    code out_of_range."""


class SupportedDateField(_SupportedYears, serializers.DateField):
    """A date in years 2000 to 2100, else a 400 with code out_of_range."""


def _supported(value) -> None:
    if value is None:
        return
    if not in_supported_range(value):
        raise DjangoValidationError(OUT_OF_RANGE_MESSAGE, code=OUT_OF_RANGE)
    if isinstance(value, datetime) and not offset_in_range(value):
        raise DjangoValidationError(OFFSET_MESSAGE, code=OUT_OF_RANGE)


class SupportedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    """A query-string date-time filter refusing years outside 2000 to 2100 and offsets no
    clock shows (a 400, not a 500)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [_supported])
        super().__init__(*args, **kwargs)


class DatabaseIdFilter(filters.Filter):
    """A query-string id: an integer a bigint holds, else a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DATABASE_ID)
        super().__init__(*args, **kwargs)
