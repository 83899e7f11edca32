"""Visits: assignments offered to shoppers, the submissions they send, answers and photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .checklists import ChecklistVersion
from .images import StrippedImage, image_storage
from .organisation import Branch


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    SUBMITTED = "submitted", "Submitted"
    SCORED = "scored", "Scored"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    DECLINED = "declined", "Declined"


class Assignment(models.Model):
    """A visit a shopper is asked to make: where, with which checklist version, and when."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="assignments")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    checklist = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, related_name="assignments"
    )
    scenario = models.TextField(blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.OFFERED
    )
    # When the visit was offered; a report of a visit before it is refused. Set by default,
    # not auto_now_add, so that imports and tests can place an offer in the past.
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["window_start", "id"]
        indexes = [models.Index(fields=["shopper", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="assignment_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch} for {self.shopper} ({self.status})"


class TransitionRecord(models.Model):
    """One change of a status: who made it (None: the system), when and why.

    Written by the service that makes the change, in the same transaction, so the history is
    never missing a step the status took.
    """

    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class AssignmentTransition(TransitionRecord):
    """One change of an assignment's status."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=AssignmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=AssignmentStatus.choices)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["assignment", "at"])]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.from_status} -> {self.to_status}"


class SubmissionStatus(models.TextChoices):
    """A report's way from the phone to the owner: values only ever grow (phones read them)."""

    AWAITING_MEDIA = "awaiting_media", "Awaiting photos"
    QUEUED = "queued", "Queued for scoring"
    SCORED = "scored", "Scored, waiting for review"
    IN_REVIEW = "in_review", "In review"
    RETURNED = "returned", "Returned to the shopper"
    RELEASED = "released", "Released"
    RELEASED_EXCLUDED = "released_excluded", "Released, excluded from scores"
    REJECTED = "rejected", "Rejected"


# Reports with a current score: what head office and reviewers read as audits.
SCORED_STATUSES = (
    SubmissionStatus.SCORED,
    SubmissionStatus.IN_REVIEW,
    SubmissionStatus.RETURNED,
    SubmissionStatus.RELEASED,
    SubmissionStatus.RELEASED_EXCLUDED,
    SubmissionStatus.REJECTED,
)
# Released reports: what owners read; only RELEASED counts in scorecards and league tables.
RELEASED_STATUSES = (SubmissionStatus.RELEASED, SubmissionStatus.RELEASED_EXCLUDED)
COUNTED_STATUSES = (SubmissionStatus.RELEASED,)


class Risk(models.TextChoices):
    """The highest severity among a report's integrity signals (scoring.integrity)."""

    NONE = "none", "No signal"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


RISK_ORDER = ("none", "low", "medium", "high")
# Waiting for review: scored, or claimed by a reviewer (whose claim may have lapsed).
REVIEW_QUEUE_STATUSES = (SubmissionStatus.SCORED, SubmissionStatus.IN_REVIEW)


def risk_rank() -> models.Case:
    """A report's risk as a number to order by (none 0 ... high 3; not yet checked: 4)."""
    return models.Case(
        *(models.When(risk=risk, then=models.Value(rank)) for rank, risk in enumerate(RISK_ORDER)),
        default=models.Value(len(RISK_ORDER)),
        output_field=models.IntegerField(),
    )


class Submission(models.Model):
    """What a shopper's phone sent for one assignment.

    `client_id` is made on the phone before the first try, so a retry after a lost response
    finds the same row; `payload_hash` tells such a replay from a conflicting second body.
    """

    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="submission"
    )
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    client_id = models.UUIDField()
    payload_hash = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    mocked_location = models.BooleanField(default=False)
    photo_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.AWAITING_MEDIA
    )
    received_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the scoring message could not be published (the broker was down): the sweep sends
    # such a submission at its next run, not SCORING_STUCK_AFTER later. Internal, never served.
    send_failed_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # Integrity (audits.services.integrity): computed once the report is complete.
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    signals = models.JSONField(default=list, blank=True)
    signals_at = models.DateTimeField(null=True, blank=True)
    # Review (audits.services.review): who holds it, and what a return asked.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    questions = models.JSONField(default=list, blank=True)
    return_deadline = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=1000, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shopper", "client_id"], name="submission_unique_client_id"
            )
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"]),
            models.Index(fields=["status", "scored_at"]),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} ({self.status})"

    @property
    def risk_level(self) -> str | None:
        """`risk`, or None while the report has not been checked."""
        return self.risk or None

    @property
    def signal_codes(self) -> list[str]:
        return [signal["code"] for signal in self.signals]


class SubmissionTransition(TransitionRecord):
    """One change of a report's status, or of who holds it in review."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=SubmissionStatus.choices)
    to_status = models.CharField(max_length=20, choices=SubmissionStatus.choices)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["submission", "at"])]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} -> {self.to_status}"


class SubmissionVersion(models.Model):
    """What a report said before its shopper resubmitted it after a return: kept, never edited.

    The submission row always holds the latest body; each earlier one is frozen here whole
    (its phone's client_id, times, location and answers), so a reviewer can compare them.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    client_id = models.UUIDField()
    payload_hash = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    mocked_location = models.BooleanField(default=False)
    photo_count = models.PositiveSmallIntegerField(default=0)
    answers = models.JSONField(help_text="[{item, value, na, comment}] in the order sent")
    received_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "version"], name="submission_version_unique"
            )
        ]
        indexes = [models.Index(fields=["client_id"])]

    def __str__(self) -> str:
        return f"Submission {self.submission_id} v{self.version}"


class Answer(models.Model):
    """The current answer to one item; a correction keeps the one it replaces (AnswerVersion)
    and counts up `version`."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True)
    na = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # A database default too: bulk loads (the demo's COPY) name only the columns they fill.
    version = models.PositiveSmallIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["submission_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "item"], name="answer_unique_item")
        ]

    def __str__(self) -> str:
        return f"{self.item}={'N/A' if self.na else self.value!r}"


class AnswerVersion(models.Model):
    """An answer as it was before a correction replaced it: kept, never edited.

    Keyed by submission and item (not by the Answer row, which a resubmission replaces), with
    who replaced it, when and why; `version` is the replaced answer's (1 for the shopper's).
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="answer_versions"
    )
    item = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField()
    value = models.JSONField(null=True, blank=True)
    na = models.BooleanField(default=False)
    answered = models.BooleanField(default=True, help_text="False: the item had no answer.")
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=1000)

    class Meta:
        ordering = ["submission_id", "item", "replaced_at", "id"]
        indexes = [models.Index(fields=["submission", "item"])]

    def __str__(self) -> str:
        return f"{self.submission_id}.{self.item} v{self.version}"


def _photo_storage():
    # Named in migration 0001: kept under this name so no migration follows a rename.
    return image_storage()


def _photo_path(photo: Photo, filename: str) -> str:
    return f"photos/{photo.submission_id}/{photo.client_id}/{filename}"


class Photo(StrippedImage):
    """A re-encoded, metadata-free copy of an uploaded photo, with its evidence fields.

    The original bytes are never kept (they carry the shopper's EXIF); what proves the visit
    (capture time, GPS) is copied out first into fields only staff can see.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="photos")
    item = models.CharField(max_length=100, blank=True)
    # Copied from the checklist item when stored (versions never change): head office and
    # reviewers only, never an owner (a receipt could be matched to the shopper's payment).
    staff_only = models.BooleanField(default=False)
    perceptual_hash = models.CharField(max_length=32, blank=True)
    image = models.FileField(upload_to=_photo_path, storage=_photo_storage, max_length=300)
    thumbnail = models.FileField(upload_to=_photo_path, storage=_photo_storage, max_length=300)
    taken_at = models.DateTimeField(null=True, blank=True)
    gps_latitude = models.FloatField(null=True, blank=True)
    gps_longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["submission_id", "uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "client_id"], name="photo_unique_client_id"
            )
        ]

    def __str__(self) -> str:
        return f"Photo {self.client_id} of submission {self.submission_id}"
