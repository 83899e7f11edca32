"""factory_boy factories: one place that knows how to make valid rows for tests."""

from __future__ import annotations

import copy
import io
import uuid
from datetime import timedelta

import factory
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image

from audits.images import process_photo
from audits.models import (
    SCORED_STATUSES,
    Assignment,
    AssignmentStatus,
    Branch,
    Brand,
    ChecklistTemplate,
    ChecklistVersion,
    Franchisee,
    Membership,
    Photo,
    Region,
    Role,
    Score,
    Submission,
    SubmissionStatus,
    User,
)
from scoring.answers import parse_answers, validate_answers
from scoring.checklist import checklist_to_dict, parse_checklist
from scoring.engine import ENGINE_VERSION, score

PASSWORD = "correct-horse-battery"

# A small checklist that still exercises every rule the API validates: types, N/A,
# critical, bonus, bands, a photo item and a recovery item shown only when something failed.
SMALL_CHECKLIST = {
    "title": "Test visit",
    "pass_mark": 80,
    "critical_policy": "flag",
    "sections": [
        {
            "key": "first_impression",
            "title": "First impression",
            "dimension": "first_impression",
            "items": [
                {"key": "greeted", "text": "Greeted on arrival?", "type": "yes_no"},
                {
                    "key": "wait_seconds",
                    "text": "Seconds until served",
                    "type": "number",
                    "bands": [{"max": 60, "points": 1}, {"max": 180, "points": 0.5}],
                },
                {"key": "storefront", "text": "Storefront photo", "type": "photo"},
            ],
        },
        {
            "key": "care",
            "title": "Care and concern",
            "dimension": "care_and_concern",
            "items": [
                {"key": "listened", "text": "Listened?", "type": "scale", "scale_max": 5},
                {
                    "key": "courteous",
                    "text": "Staff were courteous",
                    "type": "yes_no",
                    "critical": True,
                },
                {
                    "key": "name_used",
                    "text": "Used your name",
                    "type": "yes_no",
                    "na_allowed": True,
                },
                {
                    "key": "resolution",
                    "text": "How was your question handled?",
                    "type": "choice",
                    "options": [
                        {"key": "solved", "label": "Solved at once", "points": 1},
                        {"key": "referred", "label": "Referred elsewhere", "points": 0.5},
                        {"key": "ignored", "label": "Not handled", "points": 0},
                    ],
                },
                {"key": "extra_mile", "text": "Went beyond", "type": "yes_no", "bonus": True},
            ],
        },
        {
            "key": "recovery",
            "title": "Recovery",
            "dimension": "recovery",
            "items": [
                {
                    "key": "went_wrong",
                    "text": "Did anything go wrong?",
                    "type": "yes_no",
                    "weight": 0,
                },
                {
                    "key": "apology",
                    "text": "Was an apology offered?",
                    "type": "yes_no",
                    "show_if": {"item": "went_wrong", "equals": True},
                },
                {"key": "notes", "text": "Comments", "type": "text"},
            ],
        },
    ],
}


def good_answers(**overrides) -> list[dict]:
    """A complete, valid answer list for SMALL_CHECKLIST; overrides replace values by item."""
    values = {
        "greeted": True,
        "wait_seconds": 45,
        "listened": 4,
        "courteous": True,
        "name_used": True,
        "resolution": "solved",
        "extra_mile": False,
        "went_wrong": False,
        "notes": "Pleasant visit.",
    }
    values.update(overrides)
    answers = []
    for key, value in values.items():
        if value == "N/A":
            answers.append({"item": key, "na": True})
        elif value is not ...:
            answers.append({"item": key, "value": value})
    return answers


def jpeg_bytes(color=(200, 30, 30), size=(64, 48)) -> bytes:
    """A plain JPEG such as a phone uploads (no EXIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class FranchiseeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Franchisee

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Franchisee {n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    franchisee = factory.SubFactory(FranchiseeFactory)
    brand = factory.SelfAttribute("franchisee.brand")
    region = factory.SubFactory(RegionFactory, brand=factory.SelfAttribute("..brand"))
    name = factory.Sequence(lambda n: f"Branch {n}")
    address = "1 High Street"
    latitude = 51.5
    longitude = -0.12
    timezone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.SHOPPER
    brand = factory.SubFactory(BrandFactory)


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Template {n}")


class ChecklistVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistVersion

    template = factory.SubFactory(ChecklistTemplateFactory)
    version = factory.Sequence(lambda n: n + 1)
    title = "Test visit"
    definition = factory.LazyFunction(
        lambda: checklist_to_dict(parse_checklist(copy.deepcopy(SMALL_CHECKLIST)))
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    branch = factory.SubFactory(BranchFactory)
    shopper = factory.SubFactory(UserFactory)
    checklist = factory.SubFactory(
        ChecklistVersionFactory, template__brand=factory.SelfAttribute("...branch.brand")
    )
    scenario = "Ask for a refund on a faulty item"
    window_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    window_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=6))
    # Accepted, so that a visit can be reported; offered long ago, so that tests may place
    # visits in past periods (a visit before its offer is refused).
    status = AssignmentStatus.ACCEPTED
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3 * 365))
    accepted_at = factory.LazyAttribute(
        lambda a: timezone.now() if a.status == AssignmentStatus.ACCEPTED else None
    )


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submission with its answer rows, stored as `submission_create` stores one.

    The answers (default `good_answers()`, or `answers=[...]`) are checked against the
    assignment's checklist and written in order; `payload_hash` is the service's
    `submission_fingerprint` of the same body, so a replay through the API is recognised.
    With no photos announced it is queued (no scoring task is sent); with `photo_count` it
    awaits its photos.
    """

    class Meta:
        model = Submission
        skip_postgeneration_save = True

    assignment = factory.SubFactory(AssignmentFactory)
    shopper = factory.SelfAttribute("assignment.shopper")
    client_id = factory.LazyFunction(uuid.uuid4)
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    finished_at = factory.LazyAttribute(lambda s: s.started_at + timedelta(minutes=25))
    latitude = factory.SelfAttribute("assignment.branch.latitude")
    longitude = factory.SelfAttribute("assignment.branch.longitude")
    accuracy_m = 12.0
    photo_count = 0
    status = factory.LazyAttribute(
        lambda s: SubmissionStatus.AWAITING_MEDIA if s.photo_count else SubmissionStatus.QUEUED
    )
    queued_at = factory.LazyAttribute(
        lambda s: None if s.status == SubmissionStatus.AWAITING_MEDIA else timezone.now()
    )
    scored_at = factory.LazyAttribute(
        lambda s: timezone.now() if s.status in SCORED_STATUSES else None
    )
    payload_hash = ""  # set with the answers below

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        from audits.services.submissions import submission_fingerprint

        body = good_answers() if extracted is None else list(extracted)
        parsed = parse_answers(body)
        errors = validate_answers(self.assignment.checklist.checklist, parsed)
        if errors:
            raise ValueError(f"SubmissionFactory: invalid answers {errors}")
        location = None
        if self.latitude is not None:
            location = {
                "latitude": self.latitude,
                "longitude": self.longitude,
                "accuracy_m": self.accuracy_m,
            }
        self.payload_hash = submission_fingerprint(
            assignment_id=self.assignment.pk,
            client_id=self.client_id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            location=location,
            photo_count=self.photo_count,
            answers=body,
        )
        if not create:
            return
        self.save(update_fields=["payload_hash"])
        from audits.services.submissions import answers_store

        answers_store(submission=self, answers=parsed)
        status = (
            AssignmentStatus.SCORED
            if self.status in SCORED_STATUSES
            else AssignmentStatus.SUBMITTED
        )
        Assignment.objects.filter(pk=self.assignment.pk).update(status=status)
        self.assignment.status = status


class PhotoFactory(factory.django.DjangoModelFactory):
    """A photo of a submission, stored the way `photo_attach` stores one.

    The upload (a plain JPEG of `color` and `size`, or `upload=<bytes>`) goes through the real
    `process_photo`, then through the service's `photo_store`: the cleaned image and thumbnail
    land in the "photos" storage under photos/<submission>/<client_id>/, and the evidence
    fields come from the processing. Other model fields passed in are written over those. When
    the submission's last announced photo is stored, the submission is queued as the service
    queues it (no scoring task is sent). Create only: there is no unsaved photo with files.
    """

    class Meta:
        model = Photo

    class Params:
        color = (200, 30, 30)
        size = (64, 48)

    submission = factory.SubFactory(SubmissionFactory, photo_count=1)
    client_id = factory.LazyFunction(uuid.uuid4)
    item = ""
    upload = factory.LazyAttribute(lambda p: jpeg_bytes(p.color, p.size))

    @classmethod
    def _create(cls, model_class, *args, submission, client_id, item, upload, **overrides):
        from audits.services.photos import photo_store

        processed = process_photo(
            upload, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS
        )
        photo = photo_store(
            submission=submission,
            client_id=client_id,
            item=item,
            processed=processed,
            original_bytes=len(upload),
        )
        if overrides:
            Photo.objects.filter(pk=photo.pk).update(**overrides)
            for name, value in overrides.items():
                setattr(photo, name, value)
        if (
            submission.status == SubmissionStatus.AWAITING_MEDIA
            and submission.photos.count() >= submission.photo_count
        ):
            submission.status, submission.queued_at = SubmissionStatus.QUEUED, timezone.now()
            submission.save(update_fields=["status", "queued_at"])
        return photo

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("PhotoFactory stores files: use PhotoFactory() or .create()")


class ScoreFactory(factory.django.DjangoModelFactory):
    """The current score of a submission, as the engine scores its stored answers.

    Like the scoring service: earlier rows lose `is_current`, the revision is one more than the
    highest one stored for the engine version (0 for the first), and the submission and its
    assignment are marked scored. Score fields passed in (e.g. `overall=...`) win over the
    engine's; `is_current=False` adds a history row and leaves the current one alone.
    """

    class Meta:
        model = Score

    submission = factory.SubFactory(SubmissionFactory)
    checklist = factory.SelfAttribute("submission.assignment.checklist")
    engine_version = ENGINE_VERSION
    is_current = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from audits.services.scoring import score_fields
        from audits.services.submissions import answers_as_data

        submission = kwargs["submission"]
        result = score(
            kwargs["checklist"].checklist, answers_as_data(list(submission.answers.all()))
        )
        for name, value in score_fields(result).items():
            kwargs.setdefault(name, value)
        with transaction.atomic():
            if "revision" not in kwargs:
                latest = Score.objects.filter(
                    submission=submission, engine_version=kwargs["engine_version"]
                ).aggregate(latest=Max("revision"))["latest"]
                kwargs["revision"] = 0 if latest is None else latest + 1
            if kwargs["is_current"]:
                Score.objects.filter(submission=submission, is_current=True).update(
                    is_current=False
                )
                now = timezone.now()
                Submission.objects.filter(pk=submission.pk).update(
                    # A report already past scoring (released, in review) keeps its state.
                    status=submission.status
                    if submission.status in SCORED_STATUSES
                    else SubmissionStatus.SCORED,
                    queued_at=submission.queued_at or now,
                    scored_at=now,
                )
                Assignment.objects.filter(pk=submission.assignment_id).update(
                    status=AssignmentStatus.SCORED
                )
                submission.refresh_from_db(fields=["status", "queued_at", "scored_at"])
            return super()._create(model_class, *args, **kwargs)
