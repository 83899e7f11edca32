"""Integrity signals: what about a visit suggests it was not made as reported (pure, no Django).

Each check reads the facts of one complete visit (`VisitFacts`) against the brand's thresholds
(`Thresholds`) and returns `Signal`s with a stable code, a severity, a message for reviewers and
the evidence that tripped it. The codes are a contract (docs/review.md); the severities rank the
review queue, and a visit's `risk` is the highest severity of its signals.

Nothing here decides anything: a signal asks a reviewer to look, it never rejects a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scoring.compiled import compile_checklist
from scoring.types import Answer, Checklist

SEVERITIES = ("low", "medium", "high")
RISKS = ("none", *SEVERITIES)
EARTH_RADIUS_M = 6_371_008.8
LOW_ACCURACY_M = 200.0
PHOTO_TIME_SLACK = timedelta(minutes=30)
PHOTO_GPS_SLACK_M = 100.0
REUSED_MAX_HAMMING = 6  # of 64 bits: the same picture re-encoded, resized or lightly cropped
STRAIGHT_LINE_MIN_ITEMS = 10


@dataclass(frozen=True)
class Thresholds:
    """The brand's settings the checks read (audits.models.BrandSettings), with its defaults."""

    max_distance_m: float = 250
    min_visit_minutes: float = 5
    max_visit_minutes: float = 180
    late_report_hours: float = 24
    lockout_days: int = 90


@dataclass(frozen=True)
class PhotoFacts:
    item: str
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    perceptual_hash: str = ""  # 16 hex digits (64 bits), as audits.images computes it


@dataclass(frozen=True)
class OtherPhoto:
    """A photo of another submission of the same brand, whoever sent it."""

    submission_id: int
    perceptual_hash: str


@dataclass(frozen=True)
class VisitFacts:
    started_at: datetime
    finished_at: datetime
    received_at: datetime
    window_start: datetime
    window_end: datetime
    branch_latitude: float
    branch_longitude: float
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    mocked: bool = False
    photos: Sequence[PhotoFacts] = ()
    photo_items_required: Sequence[str] = ()  # shown items that require a photo
    previous_visit_at: datetime | None = None  # this shopper's last visit to this branch
    other_photos: Sequence[OtherPhoto] = ()
    answers: Sequence[Answer] = ()
    checklist: Checklist | None = None


@dataclass(frozen=True)
class Signal:
    code: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
        }


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on the mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def hamming(a: str, b: str) -> int | None:
    """Bits that differ between two hex perceptual hashes of one length; None if not comparable."""
    if not a or not b or len(a) != len(b):
        return None
    try:
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    except ValueError:
        return None


def risk_of(signals: Sequence[Signal]) -> str:
    """`none`, or the highest severity among the signals."""
    return max((s.severity for s in signals), key=SEVERITIES.index, default="none")


def visit_signals(facts: VisitFacts, thresholds: Thresholds = Thresholds()) -> list[Signal]:
    """Every signal the visit trips, in a stable order (location, time, photos, answers)."""
    return [
        *_location(facts, thresholds),
        *_timing(facts, thresholds),
        *_photos(facts, thresholds),
        *_answers(facts),
    ]


def _location(facts: VisitFacts, t: Thresholds) -> list[Signal]:
    if facts.latitude is None or facts.longitude is None:
        return [Signal("gps_missing", "medium", "The phone sent no location.")]
    out = []
    accuracy = facts.accuracy_m or 0.0
    away = distance_m(
        facts.latitude, facts.longitude, facts.branch_latitude, facts.branch_longitude
    )
    if away > t.max_distance_m + accuracy:
        out.append(
            Signal(
                "gps_far_from_branch",
                "high",
                f"The visit was reported {away:.0f} m from the branch.",
                {"distance_m": round(away, 1), "accuracy_m": facts.accuracy_m},
            )
        )
    if accuracy > LOW_ACCURACY_M:
        out.append(
            Signal(
                "gps_low_accuracy",
                "low",
                f"The location was only accurate to {accuracy:.0f} m.",
                {"accuracy_m": accuracy},
            )
        )
    if facts.mocked:
        out.append(Signal("mock_location", "high", "The phone reported a mock location."))
    return out


def _timing(facts: VisitFacts, t: Thresholds) -> list[Signal]:
    out = []
    if not facts.window_start <= facts.started_at <= facts.window_end:
        out.append(
            Signal(
                "outside_window",
                "medium",
                "The visit started outside the assignment's window.",
                {
                    "started_at": facts.started_at.isoformat(),
                    "window_start": facts.window_start.isoformat(),
                    "window_end": facts.window_end.isoformat(),
                },
            )
        )
    minutes = (facts.finished_at - facts.started_at).total_seconds() / 60
    if minutes < t.min_visit_minutes:
        out.append(
            Signal(
                "visit_too_short",
                "medium",
                f"The visit lasted {minutes:.0f} minutes.",
                {"minutes": round(minutes, 1)},
            )
        )
    elif minutes > t.max_visit_minutes:
        out.append(
            Signal(
                "visit_too_long",
                "low",
                f"The visit lasted {minutes:.0f} minutes.",
                {"minutes": round(minutes, 1)},
            )
        )
    late = (facts.received_at - facts.finished_at).total_seconds() / 3600
    if late > t.late_report_hours:
        out.append(
            Signal(
                "late_report",
                "low",
                f"The report arrived {late:.0f} hours after the visit.",
                {"hours": round(late, 1)},
            )
        )
    if facts.previous_visit_at is not None:
        gap = facts.started_at - facts.previous_visit_at
        if timedelta(0) <= gap < timedelta(days=t.lockout_days):
            out.append(
                Signal(
                    "revisit_too_soon",
                    "medium",
                    f"The same shopper visited this branch {gap.days} days earlier.",
                    {"days": gap.days, "previous_visit_at": facts.previous_visit_at.isoformat()},
                )
            )
    return out


def _photos(facts: VisitFacts, t: Thresholds) -> list[Signal]:
    out = []
    shown = {photo.item for photo in facts.photos}
    for item in facts.photo_items_required:
        if item not in shown:
            out.append(Signal("photo_missing", "medium", f"No photo for '{item}'.", {"item": item}))
    for index, photo in enumerate(facts.photos):
        out += _photo(photo, facts, t)
        out += _same_picture_twice(photo, facts.photos[:index])
    return out


def _same_picture_twice(photo: PhotoFacts, earlier: Sequence[PhotoFacts]) -> list[Signal]:
    """One image sent for two items of the same visit (a storefront that is also the receipt)."""
    for other in earlier:
        bits = hamming(photo.perceptual_hash, other.perceptual_hash)
        if other.item != photo.item and bits is not None and bits <= REUSED_MAX_HAMMING:
            return [
                Signal(
                    "photo_reused",
                    "high",
                    f"The photo for '{photo.item}' is the one sent for '{other.item}'.",
                    {"item": photo.item, "same_visit_item": other.item, "distance": bits},
                )
            ]
    return []


def _photo(photo: PhotoFacts, facts: VisitFacts, t: Thresholds) -> list[Signal]:
    out = []
    if photo.taken_at is None:
        out.append(
            Signal("photo_no_exif", "low", "A photo carries no capture time.", {"item": photo.item})
        )
    elif not (
        facts.started_at - PHOTO_TIME_SLACK
        <= photo.taken_at
        <= facts.finished_at + PHOTO_TIME_SLACK
    ):
        out.append(
            Signal(
                "photo_time_mismatch",
                "high",
                "A photo was taken well outside the visit.",
                {"item": photo.item, "taken_at": photo.taken_at.isoformat()},
            )
        )
    if photo.latitude is not None and photo.longitude is not None:
        away = distance_m(
            photo.latitude, photo.longitude, facts.branch_latitude, facts.branch_longitude
        )
        if away > t.max_distance_m + PHOTO_GPS_SLACK_M:
            out.append(
                Signal(
                    "photo_gps_far",
                    "high",
                    f"A photo was taken {away:.0f} m from the branch.",
                    {"item": photo.item, "distance_m": round(away, 1)},
                )
            )
    for other in facts.other_photos:
        bits = hamming(photo.perceptual_hash, other.perceptual_hash)
        if bits is not None and bits <= REUSED_MAX_HAMMING:
            out.append(
                Signal(
                    "photo_reused",
                    "high",
                    "A photo matches one of another submission.",
                    {"item": photo.item, "submission": other.submission_id, "distance": bits},
                )
            )
            break
    return out


def _full_marks(item, value: Any) -> bool:
    try:
        units, _ = item.earned(value)
    except ValueError:
        return False
    return units == item.possible_units


def _answers(facts: VisitFacts) -> list[Signal]:
    """Straight-lining: 10+ scored answers all at full marks, or every scale answer equal."""
    if facts.checklist is None:
        return []
    compiled = compile_checklist(facts.checklist)
    answered = {a.item: a.value for a in facts.answers if not a.na}
    scored = [
        item
        for key, item in compiled.by_key.items()
        if key in answered and item.scored and not item.bonus and item.possible_units > 0
    ]
    if len(scored) < STRAIGHT_LINE_MIN_ITEMS:
        return []
    best = all(_full_marks(item, answered[item.key]) for item in scored)
    scales = [answered[item.key] for item in scored if item.item.type == "scale"]
    same_scale = len(scales) >= 2 and len(set(scales)) == 1
    if not (best or same_scale):
        return []
    why = "every answer is at its best value" if best else "every scale answer is the same"
    return [
        Signal(
            "straight_lining",
            "low",
            f"Possibly straight-lined: {why}.",
            {"items": len(scored)},
        )
    ]
