"""Action plans: a finding of a released audit becomes a fix with an owner, a due date and a
sign-off (the corrective actions of audit platforms)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .organisation import Branch
from .visits import Submission


class ActionStatus(models.TextChoices):
    """open -> completed (the owner) -> verified (head office, or a later passing audit);
    head office may reopen a completed or verified one. An open or completed one is withdrawn
    when a correction (an upheld appeal) takes away the finding that opened it. Values only
    grow."""

    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    VERIFIED = "verified", "Verified"
    WITHDRAWN = "withdrawn", "Withdrawn"


# What a branch still owes: open, or done and awaiting head office's sign-off.
OWED_STATUSES = (ActionStatus.OPEN, ActionStatus.COMPLETED)


class Action(models.Model):
    """One fix a branch owes for an item a released audit failed; one owed (open or
    completed) per item."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="actions")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="actions")
    item = models.CharField(max_length=100)
    title = models.CharField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    due = models.DateTimeField()
    notes = models.CharField(max_length=2000, blank=True, help_text="The owner's, on completion.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by_audit = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Head office's, on the last verify or reopen; the correction's on withdrawal.",
    )
    # When the owners were told it is due soon, and that it is overdue (once each).
    due_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "item"],
                condition=models.Q(status__in=OWED_STATUSES),
                name="action_one_owed_per_branch_item",
            )
        ]
        indexes = [models.Index(fields=["branch", "status", "due"])]

    def __str__(self) -> str:
        return f"Action {self.pk}: {self.item} at {self.branch_id} ({self.status})"
