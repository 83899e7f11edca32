"""The notification outbox: who must hear of a change, written in the change's transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .actions import Action
from .appeals import Appeal
from .visits import Submission


class NotificationKind(models.TextChoices):
    SUBMISSION_RETURNED = "submission_returned", "A report was returned with questions"
    AUDIT_RELEASED = "audit_released", "An audit was released"
    APPEAL_OPENED = "appeal_opened", "An appeal was opened"
    APPEAL_DECIDED = "appeal_decided", "An appeal was decided"
    ACTION_DUE = "action_due", "An action is due soon"
    ACTION_OVERDUE = "action_overdue", "An action is overdue"
    ACTION_COMPLETED = "action_completed", "An action was completed"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up after retries"
    NO_ADDRESS = "no_address", "The user has no e-mail address"


class Notification(models.Model):
    """One message for one user: read in the API, and sent once by e-mail (a Celery task)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.CharField(max_length=2000)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["email_status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
