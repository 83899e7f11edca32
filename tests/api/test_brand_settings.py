"""Head office reads and changes its brand's review settings; every change is on the record."""

from __future__ import annotations

import pytest

from audits.models import BrandSettings, BrandSettingsChange
from support.helpers import client_for

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "auto_release": "off",
    "review_sla_hours": 72,
    "sla_release_max_risk": "off",
    "max_distance_m": 250,
    "min_visit_minutes": 5,
    "max_visit_minutes": 180,
    "late_report_hours": 24,
    "lockout_days": 90,
    "return_hours": 48,
    "claim_minutes": 30,
    "media_deadline_hours": 24,
}


def _url(brand) -> str:
    return f"/api/v1/brands/{brand.pk}/settings/"


def test_a_brand_reads_the_documented_defaults(world):
    body = client_for(world.hq).get(_url(world.brand)).json()
    assert {name: body[name] for name in DEFAULTS} == DEFAULTS
    assert body["updated_by"] is None


def test_head_office_changes_some_settings_on_the_record(world):
    client = client_for(world.hq)
    response = client.patch(
        _url(world.brand), {"max_distance_m": 400, "auto_release": "low"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["max_distance_m"], body["auto_release"], body["lockout_days"]) == (400, "low", 90)
    assert body["updated_by"] == world.hq.pk
    change = BrandSettingsChange.objects.get(brand=world.brand)
    assert change.by == world.hq
    assert change.changes == {"max_distance_m": [250, 400], "auto_release": ["off", "low"]}
    again = client.patch(_url(world.brand), {"max_distance_m": 400}, format="json")
    assert again.status_code == 200
    assert BrandSettingsChange.objects.count() == 1  # nothing changed, nothing recorded


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"max_distance_m": 5}, "max_distance_m"),
        ({"max_distance_m": 10**12}, "max_distance_m"),
        ({"lockout_days": -1}, "lockout_days"),
        ({"claim_minutes": "soon"}, "claim_minutes"),
        ({"auto_release": "high"}, "auto_release"),
        ({"min_visit_minutes": 200}, "max_visit_minutes"),  # not shorter than the longest
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_setting_is_a_400_naming_it_and_nothing_changes(world, body, attr):
    response = client_for(world.hq).patch(_url(world.brand), body, format="json")
    assert response.status_code == 400
    assert attr in [e["attr"] for e in response.json()["errors"]]
    stored = BrandSettings.objects.filter(brand=world.brand).first()
    assert stored is None or stored.max_distance_m == 250
    assert not BrandSettingsChange.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "owner_a", "shopper"])
def test_only_head_office_reads_or_changes_them(world, role):
    client = client_for(getattr(world, role))
    assert client.get(_url(world.brand)).status_code == 403
    assert client.patch(_url(world.brand), {"lockout_days": 1}, format="json").status_code == 403


def test_another_brand_is_a_404(world):
    client = client_for(world.other_hq)
    assert client.get(_url(world.brand)).status_code == 404
    assert client.patch(_url(world.brand), {"lockout_days": 1}, format="json").status_code == 404
