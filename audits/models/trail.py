"""The audit trail: one append-only row for every change a person or the system makes.

Who (the user, and the role they acted in), when, what (a kind, and the values before and
after), why. Rows are never changed or deleted: the model and its queryset refuse it, and on
PostgreSQL a trigger refuses it too (migration 0010), so not even a raw UPDATE rewrites
history. Owners read the rows about their audit's release, appeals and actions, with staff
named by role only (audits.services.trail).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .actions import Action
from .appeals import Appeal
from .organisation import Brand
from .visits import Submission

REASON_MAX_LENGTH = 2000


class TrailIsAppendOnly(Exception):
    """An attempt to change or delete a trail event (a programming error, never a 4xx)."""


class EventKind(models.TextChoices):
    STATUS = "status", "Status change"
    CLAIM = "claim", "Claimed for review"
    CORRECTION = "correction", "Answers corrected"
    RESCORE = "rescore", "Re-scored"
    SETTINGS = "settings", "Brand settings changed"
    APPEAL_OPENED = "appeal_opened", "Appeal opened"
    APPEAL_DECIDED = "appeal_decided", "Appeal decided"
    ACTION_OPENED = "action_opened", "Action opened"
    ACTION_COMPLETED = "action_completed", "Action completed"
    ACTION_VERIFIED = "action_verified", "Action verified"
    ACTION_REOPENED = "action_reopened", "Action reopened"
    EVIDENCE_ADDED = "evidence_added", "Evidence photo added"
    ACTION_WITHDRAWN = "action_withdrawn", "Action withdrawn"


class ActorRole(models.TextChoices):
    """The capacity a change was made in: a person's role in the brand, or the system."""

    SYSTEM = "system", "System"
    SHOPPER = "shopper", "Shopper"
    OWNER = "owner", "Franchise owner"
    HEAD_OFFICE = "head_office", "Head office"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Administrator"


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TrailIsAppendOnly("Audit trail events are never changed.")

    def delete(self):
        raise TrailIsAppendOnly("Audit trail events are never deleted.")


class Event(models.Model):
    """One change: who, in which role, when, what (before and after), why."""

    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=ActorRole.choices)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["submission", "at"]),
            models.Index(fields=["brand", "kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.role} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TrailIsAppendOnly("Audit trail events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TrailIsAppendOnly("Audit trail events are never deleted.")
