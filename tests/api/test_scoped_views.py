"""A viewset's querysets come only from its named selectors; a missing one fails loudly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIRequestFactory

from audits import selectors
from audits.api.base import ScopedViewSet

pytestmark = pytest.mark.django_db


class Branches(ScopedViewSet):
    read_selector = selectors.branches_visible_to
    write_selectors = {"close": selectors.branches_visible_to}


def _view(action: str, user, cls=Branches):
    view = cls(action=action, action_map={"get": action}, format_kwarg=None)
    request = APIRequestFactory().get("/")
    request.user = user
    view.request = request
    return view


def test_reads_come_from_the_read_selector(world):
    names = set(_view("list", world.owner_b).get_queryset().values_list("name", flat=True))
    assert names == {"Bath Abbey"}


def test_a_write_action_uses_its_own_selector(world):
    assert _view("close", world.owner_b).selector() is selectors.branches_visible_to


def test_an_action_without_a_selector_is_refused_not_unscoped(world):
    with pytest.raises(ImproperlyConfigured, match="no selector scopes this action"):
        _view("archive", world.hq).get_queryset()


def test_a_viewset_without_a_read_selector_has_no_queryset_at_all(world):
    class Nothing(ScopedViewSet):
        pass

    with pytest.raises(ImproperlyConfigured):
        _view("list", world.hq, Nothing).get_queryset()
