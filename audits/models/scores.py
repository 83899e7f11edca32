"""Scores: one row per scoring of a submission, kept for the audit trail."""

from __future__ import annotations

from django.db import models

from .checklists import ChecklistVersion
from .visits import Submission


class Score(models.Model):
    """The engine's result for one submission, with its item-by-item explanation.

    Re-scoring (a new engine version, or a reviewer's correction that bumps `revision`)
    writes a new row and clears `is_current` on the old one, so history is never rewritten
    and reads pick the single current row.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scores")
    checklist = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    engine_version = models.CharField(max_length=20)
    revision = models.PositiveIntegerField(default=0)
    overall = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    calculated_overall = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The overall before the critical policy: equal to `overall` unless a `zero` "
        "policy replaced it with 0. League tables rank this one.",
    )
    passed = models.BooleanField()
    critical_failures = models.JSONField(default=list)
    sections = models.JSONField(default=dict)
    dimensions = models.JSONField(default=dict)
    items = models.JSONField(default=list)
    is_current = models.BooleanField(default=True)
    scored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scored_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "engine_version", "revision"],
                name="score_unique_per_engine_and_revision",
            ),
            models.UniqueConstraint(
                fields=["submission"],
                condition=models.Q(is_current=True),
                name="score_one_current_per_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"Score {self.overall} for submission {self.submission_id}"
