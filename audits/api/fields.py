"""Input fields that hold what the database and the reports can: dates in supported years."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import serializers

from audits.dates import OUT_OF_RANGE, OUT_OF_RANGE_MESSAGE, in_supported_range

# An id in a query string or body: ASCII digits only (str.isdigit accepts "\u00b2", which
# int() refuses), and few enough to fit the database's bigint.
DATABASE_ID = re.compile(r"[0-9]{1,18}")


class _SupportedYears:
    """A date or date-time field holding years 2000 to 2100 only (audits.dates)."""

    default_error_messages = {OUT_OF_RANGE: OUT_OF_RANGE_MESSAGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not in_supported_range(parsed):
            self.fail(OUT_OF_RANGE)
        return parsed


class SupportedDateTimeField(_SupportedYears, serializers.DateTimeField):
    """A date-time in years 2000 to 2100, else a 400 with code out_of_range."""


class SupportedDateField(_SupportedYears, serializers.DateField):
    """A date in years 2000 to 2100, else a 400 with code out_of_range."""


def _supported(value) -> None:
    if value is not None and not in_supported_range(value):
        raise DjangoValidationError(OUT_OF_RANGE_MESSAGE, code=OUT_OF_RANGE)


class SupportedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    """A query-string date-time filter refusing years outside 2000 to 2100 (a 400, not a 500)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [_supported])
        super().__init__(*args, **kwargs)
