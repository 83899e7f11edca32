"""Checklist templates and their immutable, numbered versions."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
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
        """The parsed definition the scoring engine and answer validation work on.

        One parsed object per version and process (`parsed_checklists`): versions never
        change, and the engine's compiled form is cached on that object, so a request or a
        task that meets a version again neither reads its JSON nor parses nor compiles it.
        Load the row with `defer("definition")`: the JSON is read only on a miss.
        """
        if self.pk is None or self.published_at is None:
            return parse_checklist(self.definition)
        key = (self.pk, self.published_at)
        cached = _PARSED.get(key)
        if cached is None:
            cached = _PARSED.put(key, parse_checklist(self.definition))
        return cached


class _ParsedChecklists:
    """A bounded, thread-safe map of (version pk, published_at) to its parsed checklist.

    `published_at` is in the key so that a primary key used again (SQLite hands out rolled-back
    ids again; a test database is flushed) can never serve another version's checklist.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._rows: OrderedDict[tuple[int, datetime], Checklist] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, datetime]) -> Checklist | None:
        with self._lock:
            found = self._rows.get(key)
            if found is not None:
                self._rows.move_to_end(key)
            return found

    def put(self, key: tuple[int, datetime], checklist: Checklist) -> Checklist:
        """Keep `checklist` (or the one another thread kept first); returns the kept one."""
        with self._lock:
            kept = self._rows.setdefault(key, checklist)
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
            return kept


# Versions in use at once are few (a brand has a template or two); old ones fall out.
_PARSED = _ParsedChecklists(size=256)


def parsed_checklists(version_ids: Iterable[int]) -> dict[int, Checklist]:
    """The parsed checklists of these versions: one small query, and one more only for the
    definitions this process has not parsed yet (versions are immutable)."""
    keys = ChecklistVersion.objects.filter(pk__in=set(version_ids)).values_list(
        "pk", "published_at"
    )
    found: dict[int, Checklist] = {}
    missing: list[int] = []
    for pk, published_at in keys:
        cached = _PARSED.get((pk, published_at))
        if cached is None:
            missing.append(pk)
        else:
            found[pk] = cached
    for version in ChecklistVersion.objects.filter(pk__in=missing).only(
        "id", "published_at", "definition"
    ):
        found[version.pk] = version.checklist
    return found
