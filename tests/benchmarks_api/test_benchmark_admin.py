"""Snapshots are visible in the Django admin, never added or edited there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.models import BenchmarkSnapshot

pytestmark = pytest.mark.django_db


def _snapshot(world, **fields):
    values = {
        "brand": world.brand,
        "period": "2026-Q3",
        "period_kind": "quarter",
        "dimension": "overall",
        "built_at": timezone.now(),
        "n_audits": 0,
        "data": {},
    }
    values.update(fields)
    return BenchmarkSnapshot.objects.create(**values)


def test_the_admin_lists_snapshots_read_only(world, client):
    snapshot = _snapshot(world)
    client.force_login(world.admin)
    assert client.get("/admin/audits/benchmarksnapshot/").status_code == 200
    assert client.get("/admin/audits/benchmarksnapshot/add/").status_code == 403
    page = client.get(f"/admin/audits/benchmarksnapshot/{snapshot.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_one_snapshot_per_brand_period_kind_and_dimension(world):
    _snapshot(world)
    _snapshot(world, period_kind="rolling4q")
    _snapshot(world, dimension="care_and_concern")
    with pytest.raises(IntegrityError), transaction.atomic():
        _snapshot(world)
