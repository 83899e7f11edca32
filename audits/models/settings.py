"""A brand's review and integrity settings, with the record of every change a person made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .organisation import Brand


class RiskLevel(models.TextChoices):
    """How far automatic release may go: `off`, or up to the highest risk it lets through."""

    OFF = "off", "Off"
    NONE = "none", "No signal"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"


class BrandSettings(models.Model):
    """Thresholds the integrity checks and the review queue read; one row per brand.

    The defaults follow the trade (docs/review.md): a 250 m geofence, visits of 5 to 180
    minutes reported within 24 hours, a 90-day lock-out between visits of one shopper to one
    branch, 72 hours for review, 48 for a returned report, 30-minute claims.
    """

    brand = models.OneToOneField(
        Brand, on_delete=models.CASCADE, primary_key=True, related_name="review_settings"
    )
    auto_release = models.CharField(max_length=10, choices=RiskLevel.choices, default="off")
    review_sla_hours = models.PositiveIntegerField(default=72)
    sla_release_max_risk = models.CharField(max_length=10, choices=RiskLevel.choices, default="off")
    max_distance_m = models.PositiveIntegerField(default=250)
    min_visit_minutes = models.PositiveIntegerField(default=5)
    max_visit_minutes = models.PositiveIntegerField(default=180)
    late_report_hours = models.PositiveIntegerField(default=24)
    lockout_days = models.PositiveIntegerField(default=90)
    return_hours = models.PositiveIntegerField(default=48)
    claim_minutes = models.PositiveIntegerField(default=30)
    media_deadline_hours = models.PositiveIntegerField(default=24)
    # Owners may appeal a released audit this many days after its release (docs/appeals.md).
    appeal_days = models.PositiveIntegerField(default=7)
    # An action opened by a released audit is due this many days later.
    action_days = models.PositiveIntegerField(default=14)
    # Items that open an action when a released audit loses points on them (besides every
    # failed critical item).
    action_items = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "brand settings"

    def __str__(self) -> str:
        return f"Settings of {self.brand}"


class BrandSettingsChange(models.Model):
    """One change of a brand's settings: who, when, and each field's old and new value."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="settings_changes")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(help_text="{field: [old, new]}")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.brand_id} at {self.at:%Y-%m-%d %H:%M}"
