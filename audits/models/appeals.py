"""Appeals: a franchise owner contests items of a released audit; head office decides each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .visits import Submission


class AppealStatus(models.TextChoices):
    """An appeal is open until head office decides every item in it (values only grow)."""

    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class Appeal(models.Model):
    """An owner's appeal of a released audit, idempotent on the owner's `client_id`.

    One open appeal per audit at a time; who opened and who decided it are kept for the trail
    and never shown to the other side (owners read decisions by role only).
    """

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="appeals")
    client_id = models.UUIDField()
    payload_hash = models.CharField(max_length=64)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opened_by", "client_id"], name="appeal_unique_client_id"
            ),
            models.UniqueConstraint(
                fields=["submission"],
                condition=models.Q(status="open"),
                name="appeal_one_open_per_audit",
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"])]

    def __str__(self) -> str:
        return f"Appeal {self.pk} of submission {self.submission_id} ({self.status})"


class AppealItem(models.Model):
    """One appealed item: the owner's reason, then head office's decision and its reason."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="items")
    item = models.CharField(max_length=100)
    reason = models.CharField(max_length=2000)
    position = models.PositiveSmallIntegerField(default=0)
    upheld = models.BooleanField(null=True, blank=True)
    decision_reason = models.CharField(max_length=2000, blank=True)
    correction = models.JSONField(
        null=True, blank=True, help_text="For an upheld item: {value} or {na: true} applied."
    )

    class Meta:
        ordering = ["appeal_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "item"], name="appeal_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}.{self.item}"
