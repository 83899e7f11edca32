"""Base views whose querysets always come from a named selector, for reads and for writes.

NetBox's habit: an endpoint inherits its scoping and cannot forget it. A viewset names the
selector of its reads (`read_selector`) and, per write action, the selector of the objects
that action may touch (`write_selectors`); `get_queryset` only ever returns one of them, so
an object outside the caller's scope is a 404 whatever the action. A view without a selector
for an action fails loudly instead of falling back to every row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from audits import selectors
from audits.errors import InvalidInput
from audits.models import Brand, User

Selector = Callable[[User], QuerySet]


def requested_brand(request: Request) -> int | None:
    """`brand` from the query string or the JSON body (a 400 naming it when not an id)."""
    value: Any = request.query_params.get("brand")
    if value is None and isinstance(request.data, Mapping):
        value = request.data.get("brand")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 18:
        raise InvalidInput({"brand": ["Expected a brand id."]})
    return int(value)


class ScopedView(APIView):
    """An API view reading through selectors; `acting_brand` for head-office writes."""

    def acting_brand(self) -> Brand:
        return selectors.head_office_brand_for(self.request.user, requested_brand(self.request))


class ScopedViewSet(ScopedView, viewsets.GenericViewSet):
    """A viewset whose every queryset is a selector's: `read_selector` or `write_selectors`."""

    read_selector: ClassVar[Selector | None] = None
    write_selectors: ClassVar[Mapping[str, Selector]] = {}

    def selector(self) -> Selector:
        """The selector scoping this action: its write selector, else the read selector for
        reads (and creates, whose answer is read back in the caller's scope)."""
        action = getattr(self, "action", None)
        if action in self.write_selectors:
            return self.write_selectors[action]
        if action in ("list", "retrieve", "create", "metadata", None) and self.read_selector:
            return type(self).read_selector
        raise ImproperlyConfigured(
            f"{type(self).__name__}.{action}: no selector scopes this action; name one in "
            "read_selector or write_selectors."
        )

    def get_queryset(self) -> QuerySet:
        return self.selector()(self.request.user)


class AudienceViewSet(ScopedViewSet):
    """A viewset of visits: each one is shaped for its reader by `serializer_class.for_reader`
    (the audience serializers in `audits.api.serializers`), lists row by row."""

    def get_serializer(self, instance=None, *args, **kwargs):
        if instance is not None and not kwargs.get("many"):
            context = self.get_serializer_context()
            cls = self.get_serializer_class().for_reader(context, instance)
            return cls(instance, *args, context=context, **kwargs)
        return super().get_serializer(instance, *args, **kwargs)
