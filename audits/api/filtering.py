"""The base of every query-string filter set: a parameter sent empty is a 400, not ignored."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

BLANK = "blank"
BLANK_MESSAGE = "This parameter may not be empty; leave it out to not filter by it."


class _NoEmptyParameters(forms.Form):
    """Refuses `?started_at__lt=`: django-filter reads an empty value as "no filter", so a
    client whose date never made it into the URL got every row back, filtered by nothing, and
    could not tell (schemathesis found it; the schema says a date-time)."""

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            if "" in values and not self.has_error(name):
                self.add_error(name, forms.ValidationError(BLANK_MESSAGE, code=BLANK))
        return cleaned


class StrictFilterSet(filters.FilterSet):
    """A filter set whose parameters, when present, must hold a value."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (_NoEmptyParameters, form_class), {})


class _TrueOrFalse(forms.Field):
    """`true` or `false` (any case; 1 and 0 too), else a 400: Django's NullBooleanField also
    reads `null` and `unknown` as "no filter" (schemathesis found `?overdue=null` served
    every row)."""

    default_error_messages = {"invalid": "Expected true or false."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean query parameter that is `true` or `false`, nothing else (the value reaches
    the field as sent: django-filter's BooleanWidget would turn `null` into None first)."""

    field_class = _TrueOrFalse

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


INCLUDE_ANSWERS = "answers"
INCLUDE_SCORE_ITEMS = "score_items"


class VisitListFilter(StrictFilterSet):
    """Lists of visits: `?include=answers` puts every row's answers in, `?include=score_items`
    its score's item-by-item explanation (both left out otherwise; repeat to ask for both).

    The filter does not filter: it is here so the parameter is validated (anything else is a
    400 naming it) and documented with the others. The view reads it (`included`).
    """

    include = filters.MultipleChoiceFilter(
        choices=[(INCLUDE_ANSWERS, INCLUDE_ANSWERS), (INCLUDE_SCORE_ITEMS, INCLUDE_SCORE_ITEMS)],
        method="_keep",
        help_text="`answers`: every row carries its answers, as the detail does; "
        "`score_items`: its score's item-by-item explanation.",
    )

    def _keep(self, queryset, name, value):
        return queryset


def included(request) -> set[str]:
    """What a list request asked its rows to carry (`?include=`)."""
    return set(request.query_params.getlist("include"))
