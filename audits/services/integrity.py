"""Running the integrity checks (scoring.integrity) on stored reports and keeping their signals.

The worker calls `signals_record` in the transaction that scores a complete report (all its
announced photos in, or the brand's media deadline passed), so a report never reaches the
review queue without its signals and `risk`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from audits.models import BrandSettings, Photo, Submission, SubmissionStatus
from audits.services.brand_settings import brand_settings_for
from audits.services.submissions import answers_as_data
from scoring.answers import visible_item_keys
from scoring.integrity import (
    OtherPhoto,
    PhotoFacts,
    Thresholds,
    VisitFacts,
    risk_of,
    visit_signals,
)


def thresholds_of(settings: BrandSettings) -> Thresholds:
    return Thresholds(
        max_distance_m=settings.max_distance_m,
        min_visit_minutes=settings.min_visit_minutes,
        max_visit_minutes=settings.max_visit_minutes,
        late_report_hours=settings.late_report_hours,
        lockout_days=settings.lockout_days,
    )


class _Context:
    """What the checks of a batch read beyond each report, in a fixed number of queries:
    earlier visits of the same shoppers at the same branches, and the brands' photo hashes."""

    def __init__(self, submissions: list[Submission]) -> None:
        shoppers = {s.shopper_id for s in submissions}
        branches = {s.assignment.branch_id for s in submissions}
        self.visits: dict[tuple[int, int], list[tuple[datetime, int]]] = defaultdict(list)
        for shopper, branch, started, pk in (
            Submission.objects.filter(shopper_id__in=shoppers, assignment__branch_id__in=branches)
            .exclude(status=SubmissionStatus.REJECTED)
            .values_list("shopper_id", "assignment__branch_id", "started_at", "pk")
        ):
            self.visits[shopper, branch].append((started, pk))
        brands = {s.assignment.branch.brand_id for s in submissions}
        self.photos: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for brand, submission_id, phash in (
            Photo.objects.filter(submission__assignment__branch__brand_id__in=brands)
            .exclude(perceptual_hash="")
            .values_list(
                "submission__assignment__branch__brand_id", "submission_id", "perceptual_hash"
            )
        ):
            self.photos[brand].append((submission_id, phash))

    def previous_visit_at(self, submission: Submission) -> datetime | None:
        """When this shopper last visited this branch before this visit (another report)."""
        earlier = [
            started
            for started, pk in self.visits[submission.shopper_id, submission.assignment.branch_id]
            if pk != submission.pk and started < submission.started_at
        ]
        return max(earlier, default=None)

    def other_photos(self, submission: Submission) -> list[OtherPhoto]:
        """Perceptual hashes of the brand's photos of other reports, whoever sent them.

        Compared in Python: at 100,000 photos a loop of XORs, far cheaper than the image
        work of the upload itself.
        """
        return [
            OtherPhoto(submission_id=sid, perceptual_hash=phash)
            for sid, phash in self.photos[submission.assignment.branch.brand_id]
            if sid != submission.pk
        ]


def visit_facts(submission: Submission, context: _Context | None = None) -> VisitFacts:
    """The facts of one stored report that the checks read."""
    context = context or _Context([submission])
    assignment = submission.assignment
    branch = assignment.branch
    checklist = assignment.checklist.checklist
    answers = answers_as_data(list(submission.answers.all()))
    shown = visible_item_keys(checklist, answers)
    not_applicable = {answer.item for answer in answers if answer.na}
    return VisitFacts(
        started_at=submission.started_at,
        finished_at=submission.finished_at,
        received_at=submission.received_at,
        window_start=assignment.window_start,
        window_end=assignment.window_end,
        branch_latitude=branch.latitude,
        branch_longitude=branch.longitude,
        latitude=submission.latitude,
        longitude=submission.longitude,
        accuracy_m=submission.accuracy_m,
        mocked=submission.mocked_location,
        photos=[
            PhotoFacts(
                item=photo.item,
                taken_at=photo.taken_at,
                latitude=photo.gps_latitude,
                longitude=photo.gps_longitude,
                perceptual_hash=photo.perceptual_hash,
            )
            for photo in submission.photos.all()
        ],
        photo_items_required=[
            item.key
            for item in checklist.items()
            if item.requires_photo and item.key in shown and item.key not in not_applicable
        ],
        previous_visit_at=context.previous_visit_at(submission),
        other_photos=context.other_photos(submission),
        answers=answers,
        checklist=checklist,
    )


@dataclass(frozen=True)
class Checked:
    """A report just checked: its risk, and the brand settings it was checked against (which
    automatic release reads next, without another query)."""

    submission_id: int
    risk: str
    settings: BrandSettings
    version: int = 1  # above 1: resubmitted after a return


def signals_record(submission_ids: Iterable[int]) -> list[Checked]:
    """Compute and store the signals and risk of these reports.

    A fixed number of queries whatever the batch: the reports with their photos and answers,
    the context the checks compare against, each brand's settings, one bulk update. Run inside
    the scoring transaction.
    """
    submissions = list(
        Submission.objects.filter(pk__in=list(submission_ids))
        .select_related("assignment__branch__brand", "assignment__checklist")
        .prefetch_related("photos", "answers")
    )
    if not submissions:
        return []
    context = _Context(submissions)
    settings: dict[int, BrandSettings] = {}
    now = timezone.now()
    checked = []
    for submission in submissions:
        brand = submission.assignment.branch.brand
        if brand.pk not in settings:
            settings[brand.pk] = brand_settings_for(brand)
        thresholds = thresholds_of(settings[brand.pk])
        signals = visit_signals(visit_facts(submission, context), thresholds)
        submission.signals = [signal.to_dict() for signal in signals]
        submission.risk = risk_of(signals)
        submission.signals_at = now
        checked.append(
            Checked(submission.pk, submission.risk, settings[brand.pk], submission.version)
        )
    Submission.objects.bulk_update(submissions, ["signals", "risk", "signals_at"])
    return checked
