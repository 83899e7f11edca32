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
from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.exceptions import ErrorDetail, MethodNotAllowed, ValidationError
from rest_framework.request import Request
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import APIView

from audits import selectors
from audits.api.fields import DATABASE_ID
from audits.api.filtering import INCLUDE_ANSWERS, INCLUDE_SCORE_ITEMS, included
from audits.api.parsers import text_problem
from audits.api.serializers import reusable
from audits.api.throttling import UserScopeThrottle
from audits.errors import InvalidInput
from audits.models import Brand, User

Selector = Callable[[User], QuerySet]


def _brand_id(value: Any) -> int | None:
    """A brand id from a body or query value; None when absent; a 400 naming `brand` else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not DATABASE_ID.fullmatch(str(value)):
        raise InvalidInput({"brand": ["Expected a brand id."]})
    return int(value)


def requested_brand(request: Request, fields: dict | None = None) -> int | None:
    """`brand` taken out of `fields` (the validated or raw body), else from the query string."""
    if fields is not None and "brand" in fields:
        return _brand_id(fields.pop("brand"))
    return _brand_id(request.query_params.get("brand"))


class ScopedView(APIView):
    """An API view reading through selectors.

    A view with a `{pk}` route names the selector its object comes from (`read_selector`,
    read by `scoped_object`); a view that reads through a service passes it the user, and the
    service asks the selectors. Head-office writes go into `acting_brand`.
    """

    read_selector: ClassVar[Selector | None] = None
    # The per-user rate (a DEFAULT_THROTTLE_RATES scope) of each throttled action (or of every
    # method under "*"): only those operations answer and document 429.
    throttle_scopes: ClassVar[dict[str, str]] = {}

    def get_throttles(self) -> list:
        scope = self.throttle_scopes.get(getattr(self, "action", None) or "") or (
            self.throttle_scopes.get("*")
        )
        return [UserScopeThrottle(scope)] if scope else []

    def initial(self, request: Request, *args, **kwargs) -> None:
        """Refuse a method the route does not have (405) before sign-in and permissions, and
        a query string the database could not compare (NUL, lone surrogates) as a 400 naming
        the parameter, before any filter sends it to PostgreSQL.

        DRF checks permissions first, so `DELETE /assignments/1/` answered a shopper 403
        ("only head office") for an operation that exists for nobody (schemathesis's
        unexpected-method cases found it); a 405 with `Allow` is the true answer.
        """
        if not self._has_method(request.method):
            raise MethodNotAllowed(request.method)
        problems = {}
        for name, values in request.query_params.lists():
            for value in (name, *values):
                problem = text_problem(value)
                if problem:
                    problems[name] = [ErrorDetail(problem[1], code=problem[0])]
        if problems:
            raise ValidationError(problems)
        super().initial(request, *args, **kwargs)

    def _has_method(self, method: str) -> bool:
        name = method.lower()
        if name == "options" and self.metadata_class is None:
            return False  # settings: no OPTIONS metadata, the schema describes the API
        return name in self.http_method_names and hasattr(self, name)

    def acting_brand(self, fields: dict | None = None) -> Brand:
        """The brand a head-office write goes into; takes `brand` out of `fields`."""
        requested = requested_brand(self.request, fields)
        return selectors.head_office_brand_for(self.request.user, requested)

    def scoped_object(self, pk: int):
        """The object `pk` among those `read_selector` lets the caller see, or a 404."""
        return get_object_or_404(type(self).read_selector(self.request.user), pk=pk)


class ScopedViewSet(ScopedView, viewsets.GenericViewSet):
    """A viewset whose every queryset is a selector's: `read_selector` or `write_selectors`."""

    write_selectors: ClassVar[Mapping[str, Selector]] = {}
    # `{pk}` in routes: digits a bigint holds; `abc` or 20 digits match no route (a JSON 404).
    lookup_value_regex = DATABASE_ID.pattern

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
    (the audience serializers in `audits.api.serializers`), lists row by row, without their
    answers and score items unless `?include=` asks for them."""

    def _included(self) -> set[str]:
        """What every row carries beyond the light list row: all of it outside lists (and
        in the schema, a fake view, which describes the fields as optional)."""
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return {INCLUDE_ANSWERS, INCLUDE_SCORE_ITEMS}
        return included(self.request)

    def get_queryset(self) -> QuerySet:
        answers = INCLUDE_ANSWERS in self._included()
        return selectors.visits_listed(super().get_queryset(), answers=answers)

    def get_serializer_context(self) -> dict:
        shown = self._included()
        return {
            **super().get_serializer_context(),
            "omit_answers": INCLUDE_ANSWERS not in shown,
            "omit_score_items": INCLUDE_SCORE_ITEMS not in shown,
        }

    def get_serializer(self, instance=None, *args, **kwargs):
        if instance is not None and not kwargs.get("many") and not args and not kwargs:
            context = self.get_serializer_context()
            cls = self.get_serializer_class().for_reader(context, instance)
            return _Shaped(reusable(cls, context), instance)
        return super().get_serializer(instance, *args, **kwargs)


class _Shaped:
    """One visit as its reader sees it: `.data`, written out by the thread's reusable
    serializer of its shape (no fields built per response)."""

    def __init__(self, serializer, instance) -> None:
        self.serializer, self.instance = serializer, instance

    @property
    def data(self) -> ReturnDict:
        return ReturnDict(self.serializer.to_representation(self.instance), serializer=self)
