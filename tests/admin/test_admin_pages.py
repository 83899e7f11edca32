"""The Django admin: every page an administrator opens renders, and checklists are published
there as immutable versions with the API's validation."""

from __future__ import annotations

import copy
import json

import pytest
from django.contrib import admin
from django.urls import reverse

from audits.models import ChecklistVersion
from support.factories import SMALL_CHECKLIST
from support.helpers import scored_submission

pytestmark = pytest.mark.django_db


def _registered_models():
    return sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


@pytest.mark.parametrize(("app", "model"), _registered_models())
def test_every_changelist_and_change_page_renders(world, client, app, model):
    scored_submission(world)  # a submission, answers and a score to show
    client.force_login(world.admin)

    changelist = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert changelist.status_code == 200

    objects = admin.site._registry[
        next(m for m in admin.site._registry if m._meta.model_name == model)
    ].get_queryset(changelist.wsgi_request)
    first = objects.first()
    if first is not None:
        change = client.get(reverse(f"admin:{app}_{model}_change", args=[first.pk]))
        assert change.status_code == 200


def _publish(client, brand, definition):
    return client.post(
        reverse("admin:audits_checklistversion_add"),
        {
            "brand": brand.pk,
            "template_name": "Admin visit",
            "definition": json.dumps(definition),
        },
    )


def test_admin_publishes_numbered_versions(world, client):
    client.force_login(world.admin)

    first = _publish(client, world.brand, SMALL_CHECKLIST)
    second = _publish(client, world.brand, SMALL_CHECKLIST)

    assert first.status_code == 302 and second.status_code == 302
    versions = ChecklistVersion.objects.filter(template__name="Admin visit").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert all(v.published_by == world.admin for v in versions)


def test_a_malformed_checklist_is_refused_in_the_admin_naming_the_place(world, client):
    client.force_login(world.admin)
    broken = copy.deepcopy(SMALL_CHECKLIST)
    broken["sections"][1]["items"][0]["scale_max"] = None  # a scale without its maximum

    response = _publish(client, world.brand, broken)

    assert response.status_code == 200  # the form again, with the error
    assert b"sections[1].items[0].scale_max" in response.content
    assert b"required for a scale item" in response.content
    assert not ChecklistVersion.objects.filter(template__name="Admin visit").exists()


def test_published_versions_cannot_be_changed_or_deleted_in_the_admin(world, client):
    client.force_login(world.admin)
    version = world.checklist

    page = client.get(reverse("admin:audits_checklistversion_change", args=[version.pk]))
    delete = client.get(reverse("admin:audits_checklistversion_delete", args=[version.pk]))

    assert page.status_code == 200
    assert b'name="definition"' not in page.content  # shown read-only, not as a field
    assert delete.status_code == 403


def _settings_form(brand, **changes) -> dict:
    from audits.models import BrandSettings
    from audits.services.brand_settings import FIELDS

    current, _ = BrandSettings.objects.get_or_create(brand=brand)
    return {"brand": brand.pk, **{name: getattr(current, name) for name in FIELDS}, **changes}


def test_brand_settings_changed_in_the_admin_are_checked_and_recorded(world, client):
    from audits.models import BrandSettings, BrandSettingsChange

    client.force_login(world.admin)
    url = reverse("admin:audits_brandsettings_change", args=[world.brand.pk])
    refused = client.post(url, _settings_form(world.brand, max_distance_m=5))
    assert refused.status_code == 200 and b"Expected a whole number" in refused.content
    assert BrandSettings.objects.get(pk=world.brand.pk).max_distance_m == 250

    saved = client.post(url, _settings_form(world.brand, max_distance_m=400))
    assert saved.status_code == 302, saved.content[:500]
    change = BrandSettingsChange.objects.get(brand=world.brand)
    assert change.by == world.admin and change.changes == {"max_distance_m": [250, 400]}
