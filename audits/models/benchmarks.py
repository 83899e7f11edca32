"""Benchmark snapshots: fair league tables built by a Celery task, served without refitting.

A snapshot is the whole `scoring.benchmark.Snapshot.to_dict()` of one brand, period and
dimension (`data`), kept for the audit trail, as the `previous` of the next period's change
tests and for shopper calibration. The API reads league tables from `BenchmarkRow`, one row per
unit already in its served shape and in league order, so a page is one indexed query whatever
the size of the brand (a 5,000-branch snapshot's JSON is megabytes; parsing it per request
would cost more than the whole latency budget).
"""

from __future__ import annotations

from django.db import models

from .organisation import Brand


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"
    # The four quarters ending at the labelled quarter: 3 audits a quarter rank poorly.
    ROLLING_4Q = "rolling4q", "Rolling four quarters"


class BenchmarkSnapshot(models.Model):
    """One league table (all three levels) of a brand for one period and dimension."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="benchmark_snapshots")
    period = models.CharField(
        max_length=10,
        help_text='"2026-11", "2026-Q3" or "2026"; a rolling window is labelled '
        "by its last quarter.",
    )
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    dimension = models.CharField(max_length=100, help_text='"overall" or a dimension key.')
    built_at = models.DateTimeField()
    n_audits = models.PositiveIntegerField(help_text="Audits counted in the period.")
    data = models.JSONField(help_text="scoring.benchmark.Snapshot.to_dict(), stored whole.")
    summary = models.JSONField(
        default=dict,
        help_text="Small per-level facts the API needs without reading `data`: "
        "{level: {count, quartiles}}.",
    )
    shopper_leniency = models.JSONField(
        default=dict,
        help_text="{shopper id: {leniency, interval, n}}, keyed so a lookup needs no scan.",
    )

    class Meta:
        ordering = ["brand", "period_kind", "-period", "dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "period", "period_kind", "dimension"],
                name="benchmark_snapshot_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.period} ({self.period_kind}) {self.dimension}"


class BenchmarkRow(models.Model):
    """One unit's served line of a snapshot, at `position` in league order (0 = best)."""

    snapshot = models.ForeignKey(BenchmarkSnapshot, on_delete=models.CASCADE, related_name="rows")
    level = models.CharField(max_length=12)  # branch, franchisee or region
    position = models.PositiveIntegerField()
    unit_id = models.BigIntegerField(help_text="The branch, franchisee or region id.")
    fair_score = models.FloatField()
    row = models.JSONField(help_text="The API row, exactly as served.")

    class Meta:
        ordering = ["snapshot_id", "level", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "level", "position"], name="benchmark_row_unique_position"
            )
        ]
        indexes = [models.Index(fields=["level", "unit_id"], name="benchmark_row_unit")]

    def __str__(self) -> str:
        return f"{self.level} {self.unit_id} at {self.position} in {self.snapshot_id}"


class BenchmarkRefreshWindow(models.Model):
    """The debounce of a brand's league-table refresh, shared by every web and worker process.

    `due_at` is when the refresh last queued runs: until then a newly released audit queues
    nothing, since that run will read it. One row per brand, claimed by a conditional update,
    so two processes never both queue a run for one window, whatever cache they use.
    """

    brand = models.OneToOneField(
        Brand, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"refresh of brand {self.brand_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class BenchmarkStalePeriod(models.Model):
    """A period of a brand whose league tables an audit has changed since they were built.

    Written on commit by whatever changed a counted audit (a release, a correction, a
    rescoring) and taken by the debounced refresh, which then rebuilds exactly these periods
    and the ones that depend on them (`services.benchmarks.periods.dependent_periods`), not
    every recent one. One row per period, so a thousand releases of one month mark it once.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period = models.CharField(max_length=10)
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "period_kind", "period"], name="benchmark_stale_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.period} ({self.period_kind}) stale"
