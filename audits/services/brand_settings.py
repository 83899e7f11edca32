"""A brand's review and integrity settings: read with their defaults, changed on the record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from audits.errors import InvalidInput
from audits.models import Brand, BrandSettings, BrandSettingsChange, EventKind, RiskLevel, User
from audits.services import trail

# What each number may be: (lowest, highest), in the unit its name says.
BOUNDS: dict[str, tuple[int, int]] = {
    "review_sla_hours": (1, 24 * 60),
    "max_distance_m": (10, 100_000),
    "min_visit_minutes": (0, 24 * 60),
    "max_visit_minutes": (1, 24 * 60),
    "late_report_hours": (1, 24 * 60),
    "lockout_days": (0, 3650),
    "return_hours": (1, 24 * 60),
    "claim_minutes": (1, 24 * 60),
    "media_deadline_hours": (1, 24 * 60),
    "appeal_days": (0, 365),
    "action_days": (1, 365),
}
LEVELS = ("auto_release", "sla_release_max_risk")
ITEM_LISTS = ("action_items",)
MAX_ITEM_LIST = 500
FIELDS = (*LEVELS, *BOUNDS, *ITEM_LISTS)


def brand_settings_for(brand: Brand) -> BrandSettings:
    """The brand's settings; a brand that never changed them reads the defaults.

    One read, never a write: the scoring worker asks for every batch, and a brand's row is
    stored only when someone changes a setting.
    """
    return BrandSettings.objects.filter(brand=brand).first() or BrandSettings(brand=brand)


def brand_settings_checked(changes: Mapping[str, Any], current: BrandSettings) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in changes:
        if name not in FIELDS:
            errors[name] = ["Not a setting."]
    for name in LEVELS:
        if name in changes and changes[name] not in RiskLevel.values:
            errors[name] = [f"Expected one of: {', '.join(RiskLevel.values)}."]
    for name, (low, high) in BOUNDS.items():
        value = changes.get(name)
        if name in changes and (
            isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
        ):
            errors[name] = [f"Expected a whole number from {low} to {high}."]
    for name in ITEM_LISTS:
        value = changes.get(name)
        if name in changes and not (
            isinstance(value, list)
            and len(value) <= MAX_ITEM_LIST
            and all(isinstance(key, str) and 0 < len(key) <= 100 for key in value)
        ):
            errors[name] = [f"Expected a list of at most {MAX_ITEM_LIST} item keys."]
    shortest = changes.get("min_visit_minutes", current.min_visit_minutes)
    longest = changes.get("max_visit_minutes", current.max_visit_minutes)
    if not errors and shortest >= longest:
        errors["max_visit_minutes"] = ["Must be longer than min_visit_minutes."]
    if errors:
        raise InvalidInput(errors)
    return dict(changes)


@transaction.atomic
def brand_settings_update(*, brand: Brand, by: User, changes: Mapping[str, Any]) -> BrandSettings:
    """Change some of the brand's settings; every field checked, nothing half-written.

    The change is recorded (who, when, each field's old and new value); a change that alters
    nothing records nothing.
    """
    BrandSettings.objects.get_or_create(brand=brand)
    current = BrandSettings.objects.select_for_update().get(brand=brand)
    wanted = brand_settings_checked(changes, current)
    altered = {
        name: [getattr(current, name), value]
        for name, value in wanted.items()
        if getattr(current, name) != value
    }
    if not altered:
        return current
    for name, (_, new) in altered.items():
        setattr(current, name, new)
    current.updated_at = timezone.now()
    current.updated_by = by
    current.save()
    BrandSettingsChange.objects.create(brand=brand, by=by, at=current.updated_at, changes=altered)
    trail.record(
        EventKind.SETTINGS,
        brand_id=brand.pk,
        by=by,
        before={name: old for name, (old, _) in altered.items()},
        after={name: new for name, (_, new) in altered.items()},
        at=current.updated_at,
    )
    return current
