"""Checklist templates and their immutable, numbered versions."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models

from scoring.checklist import parse_checklist
from scoring.types import Checklist

from .organisation import Brand


class ChecklistTemplate(models.Model):
    """A named checklist of a brand; what shoppers fill is always one of its versions."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="checklist_templates")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="template_unique_name_per_brand")
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(models.Model):
    """A published, never-edited version; assignments pin one so old audits stay comparable.

    The sections and items are kept as the validated JSON definition (the API's shape):
    a version is written once and read whole, and the scoring engine works on the parsed
    dataclasses, never on rows.
    """

    CRITICAL_POLICIES = [("flag", "Flag: the score stands, the audit fails"), ("zero", "Zero")]

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, default=80)
    critical_policy = models.CharField(max_length=10, choices=CRITICAL_POLICIES, default="flag")
    definition = models.JSONField(help_text="Sections and items, validated by scoring.checklist.")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"

    @cached_property
    def checklist(self) -> Checklist:
        """The parsed definition the scoring engine and answer validation work on."""
        return parse_checklist(self.definition)
