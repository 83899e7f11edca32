"""Reading what a league table ranks: branches as `UnitInfo`, counted audits as `AuditRecord`.

The one place rows become the pure package's records (`scoring.benchmark`). Visit dates are
the branch's local date, so an audit late on the last evening of a month counts in that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from audits.models import Branch, Brand, ChecklistVersion, Score, SubmissionStatus
from scoring.benchmark import AuditRecord, UnitInfo
from scoring.compiled import compile_checklist


@dataclass(frozen=True)
class CountedAudit:
    """An audit as a league table counts it, with when its current score was written."""

    record: AuditRecord
    scored_at: datetime


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def visit_date(started_at: datetime, zone: str) -> date:
    """The date of a visit in its branch's time zone."""
    return started_at.astimezone(_zone(zone)).date()


def branch_units(brand: Brand) -> tuple[dict[str, UnitInfo], dict[int, str]]:
    """UnitInfo of every branch of the brand, and each branch's time zone."""
    units, zones = {}, {}
    rows = Branch.objects.filter(brand=brand).values_list(
        "pk", "name", "timezone", "franchisee_id", "franchisee__name", "region_id", "region__name"
    )
    for pk, name, zone, franchisee_id, franchisee_name, region_id, region_name in rows:
        units[str(pk)] = UnitInfo(
            branch_id=str(pk),
            name=name,
            franchisee_id=None if franchisee_id is None else str(franchisee_id),
            region_id=None if region_id is None else str(region_id),
            franchisee_name=franchisee_name,
            region_name=region_name,
        )
        zones[pk] = zone
    return units, zones


def counted_scores(brand: Brand) -> QuerySet[Score]:
    """Current scores of the brand's scored submissions (exclusions by review: none yet)."""
    return Score.objects.filter(
        is_current=True,
        submission__status=SubmissionStatus.SCORED,
        submission__assignment__branch__brand=brand,
    )


def calculated_overall(sections: dict, items: list, checklist) -> float | None:
    """The overall score before a `zero` critical policy replaced it with 0.

    The model is fitted on the calculated score (a kill item is its own yes/no outcome), so
    this redoes the engine's last step from the stored explanation: the weighted mean of the
    section scores when the checklist weights sections, else earned over possible points of
    all items (bonus points earn without adding to the possible), capped at 100.
    """
    compiled = compile_checklist(checklist)
    if compiled.has_section_weights:
        total = weight_sum = Fraction(0)
        for key, weight in zip(compiled.section_keys, compiled.section_weights, strict=True):
            value = sections.get(key)
            if value is None:
                continue
            weight = Fraction(1) if weight is None else weight
            total += weight * Fraction(str(value))
            weight_sum += weight
        return None if weight_sum == 0 else float(total / weight_sum)
    earned = sum(Fraction(str(item["earned"])) for item in items)
    possible = sum(Fraction(str(item["possible"])) for item in items)
    if possible == 0:
        return None
    return float(min(Fraction(100), 100 * earned / possible))


def read_audits(brand: Brand, first: date, last: date, zones: dict[int, str]) -> list[CountedAudit]:
    """Counted audits visited (branch-local date) from `first` to `last`, in visit order.

    One query with values() for the window (padded a day each side for time zones), then a
    second only for audits a `zero` critical policy zeroed, to read their explanation.
    """
    low = datetime.combine(first - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    high = datetime.combine(last + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
    rows = list(
        counted_scores(brand)
        .filter(submission__started_at__gte=low, submission__started_at__lt=high)
        .values_list(
            "pk",
            "submission_id",
            "submission__assignment__branch_id",
            "submission__shopper_id",
            "submission__started_at",
            "overall",
            "critical_failures",
            "dimensions",
            "checklist_id",
            "scored_at",
        )
    )
    policies = dict(
        ChecklistVersion.objects.filter(pk__in={row[8] for row in rows}).values_list(
            "pk", "critical_policy"
        )
    )
    zeroed = [row[0] for row in rows if row[6] and policies.get(row[8]) == "zero"]
    recomputed = _recompute(zeroed)
    audits = []
    for pk, sub_id, branch_id, shopper_id, started, overall, failures, dims, _, scored in rows:
        visited = visit_date(started, zones.get(branch_id, "UTC"))
        if not first <= visited <= last:
            continue
        value = recomputed.get(pk, overall)
        if value is None:
            continue  # nothing was scorable on this visit
        audits.append(
            CountedAudit(
                record=AuditRecord(
                    audit_id=str(sub_id),
                    branch_id=str(branch_id),
                    shopper_id=str(shopper_id),
                    score=float(value),
                    critical_failure=bool(failures),
                    visited_on=visited,
                    dimension_scores={
                        key: None if v is None else float(v) for key, v in (dims or {}).items()
                    },
                ),
                scored_at=scored,
            )
        )
    audits.sort(key=lambda a: (a.record.visited_on, a.record.audit_id))
    return audits


def _recompute(score_ids: list[int]) -> dict[int, float | None]:
    if not score_ids:
        return {}
    rows = Score.objects.filter(pk__in=score_ids).values_list(
        "pk", "sections", "items", "checklist_id"
    )
    rows = list(rows)
    versions = {v.pk: v for v in ChecklistVersion.objects.filter(pk__in={r[3] for r in rows})}
    return {
        pk: calculated_overall(sections, items, versions[checklist_id].checklist)
        for pk, sections, items, checklist_id in rows
    }
