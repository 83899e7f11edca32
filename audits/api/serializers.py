"""Input and output shapes of the API. No business rules: those live in services."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import ClassVar

from django.db import models
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from audits.api.fields import DatabaseIdField, StrictCharField, SupportedDateTimeField
from audits.models import (
    ActorRole,
    Assignment,
    Branch,
    EventKind,
    EvidencePhoto,
    Franchisee,
    Photo,
    Region,
    Score,
    Submission,
    SubmissionStatus,
    User,
)
from audits.selectors import access_for
from scoring.types import MAX_ITEMS, TEXT_MAX_LENGTH_LIMIT


class StrictModelSerializer(serializers.ModelSerializer):
    """A model serializer whose text columns take JSON strings only (see StrictCharField)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


# --- People and network ---------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = StrictCharField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=StrictCharField())
    brands = serializers.ListField(child=serializers.IntegerField())
    franchisees = serializers.ListField(child=serializers.IntegerField())


class BrandChoiceMixin(serializers.Serializer):
    """An optional `brand` for head-office users of several brands (else a 400 lists them)."""

    brand = DatabaseIdField(
        required=False,
        write_only=True,
        help_text="Only for callers who are head office of several brands.",
    )


class RegionSerializer(BrandChoiceMixin, StrictModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "brand"]
        validators: list = []  # the brand is the caller's; the service checks the name


class FranchiseeSerializer(BrandChoiceMixin, StrictModelSerializer):
    class Meta:
        model = Franchisee
        fields = ["id", "name", "brand"]
        validators: list = []  # the brand is the caller's; the service checks the name


class BranchSerializer(BrandChoiceMixin, StrictModelSerializer):
    """A branch; `franchisee` and `region` are ids the service resolves in the caller's brand."""

    franchisee = DatabaseIdField(source="franchisee_id")
    region = DatabaseIdField(source="region_id", required=False, allow_null=True)
    address = StrictCharField(required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Branch
        fields = [
            "id",
            "name",
            "franchisee",
            "region",
            "address",
            "latitude",
            "longitude",
            "timezone",
            "brand",
        ]


class ShopperSerializer(BrandChoiceMixin, StrictModelSerializer):
    password = StrictCharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True)  # the service defaults ""

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "brand"]


class RegionRefSerializer(StrictModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name"]


class FranchiseeRefSerializer(StrictModelSerializer):
    class Meta:
        model = Franchisee
        fields = ["id", "name"]


class BranchRefSerializer(StrictModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "name", "address", "latitude", "longitude", "timezone"]


# --- Checklists -----------------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    key = StrictCharField()
    label = StrictCharField()
    points = serializers.FloatField(min_value=0, max_value=1)


class BandSerializer(serializers.Serializer):
    max = serializers.FloatField(allow_null=True)
    points = serializers.FloatField(min_value=0, max_value=1)


class ShowIfSerializer(serializers.Serializer):
    item = StrictCharField()
    equals = serializers.JSONField()


class ItemSerializer(serializers.Serializer):
    key = StrictCharField()
    text = StrictCharField()
    type = serializers.ChoiceField(choices=["yes_no", "scale", "choice", "number", "text", "photo"])
    weight = serializers.FloatField(default=1, min_value=0)
    critical = serializers.BooleanField(default=False)
    na_allowed = serializers.BooleanField(default=False)
    bonus = serializers.BooleanField(default=False)
    requires_photo = serializers.BooleanField(default=False)
    staff_only = serializers.BooleanField(
        default=False, help_text="Its photos are shown to head office and reviewers only."
    )
    scale_max = serializers.IntegerField(allow_null=True, required=False, min_value=2)
    min_value = serializers.FloatField(
        allow_null=True, required=False, help_text="Number items: the lowest answer (default 0)."
    )
    max_value = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="Number items: the highest answer (default 86,400, a day in seconds).",
    )
    max_length = serializers.IntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        max_value=TEXT_MAX_LENGTH_LIMIT,
        help_text="Text items: the longest answer in characters (default 2,000).",
    )
    options = OptionSerializer(many=True, required=False)
    bands = BandSerializer(many=True, required=False)
    show_if = ShowIfSerializer(allow_null=True, required=False)


class SectionSerializer(serializers.Serializer):
    key = StrictCharField()
    title = StrictCharField()
    dimension = StrictCharField()
    weight = serializers.FloatField(allow_null=True, required=False)
    items = ItemSerializer(many=True)


class ChecklistInputSerializer(BrandChoiceMixin, serializers.Serializer):
    """Documents the body of POST /checklists/; scoring.checklist does the validating."""

    template = StrictCharField(help_text="Template name; its next version is published.")
    title = StrictCharField()
    pass_mark = serializers.FloatField(default=80, min_value=0, max_value=100)
    critical_policy = serializers.ChoiceField(choices=["flag", "zero"], default="flag")
    sections = SectionSerializer(many=True)


class ChecklistSerializer(serializers.Serializer):
    """A published version as read back: the validated definition, numbered."""

    id = serializers.IntegerField()
    template = StrictCharField()
    version = serializers.IntegerField()
    title = StrictCharField()
    pass_mark = serializers.FloatField()
    critical_policy = serializers.ChoiceField(choices=["flag", "zero"])
    sections = SectionSerializer(many=True)


# --- Assignments ----------------------------------------------------------------------------


class AssignmentSerializer(StrictModelSerializer):
    branch = BranchRefSerializer(read_only=True)
    checklist = serializers.IntegerField(source="checklist_id", read_only=True)
    shopper = serializers.IntegerField(source="shopper_id", read_only=True)
    submission = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "branch",
            "shopper",
            "checklist",
            "scenario",
            "window_start",
            "window_end",
            "status",
            "accepted_at",
            "submission",
        ]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_submission(self, assignment: Assignment) -> int | None:
        submission = getattr(assignment, "submission", None)
        return submission.pk if submission is not None else None


class ReasonSerializer(serializers.Serializer):
    """Why a person changes an assignment's status; recorded with who and when."""

    reason = StrictCharField(max_length=1000, help_text="Shown in the assignment's history.")


class SignInUnlockSerializer(serializers.Serializer):
    """An unlock as recorded: whose, when and why (the head-office user is kept, not shown)."""

    shopper = serializers.IntegerField(source="user_id")
    unlocked_at = serializers.DateTimeField()
    reason = StrictCharField()


class AssignmentCreateSerializer(BrandChoiceMixin, serializers.Serializer):
    branch = DatabaseIdField()
    shopper = DatabaseIdField()
    checklist = DatabaseIdField(help_text="Checklist version id")
    scenario = StrictCharField(allow_blank=True, default="", max_length=5000)
    window_start = SupportedDateTimeField()
    window_end = SupportedDateTimeField()


# --- Submissions ----------------------------------------------------------------------------


class LocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(
        min_value=0, max_value=100_000, required=False, allow_null=True
    )
    # No default: a body without it keeps the fingerprint it had before the field existed.
    mocked = serializers.BooleanField(
        required=False, help_text="The phone's OS reported a mock (simulated) location."
    )


ANSWER_ITEM_MAX, ANSWER_COMMENT_MAX = 100, 5000
ANSWER_KEYS = frozenset({"item", "value", "na", "comment"})


def _plain_text(value: object, *, max_length: int, allow_blank: bool) -> bool:
    """Text every rule of StrictCharField lets through unchanged (ASCII, so no surrogates;
    no NUL; nothing to trim; within bounds)."""
    return (
        isinstance(value, str)
        and value.isascii()
        and "\x00" not in value
        and value.strip() == value
        and (allow_blank or value != "")
        and len(value) <= max_length
    )


class AnswerListSerializer(serializers.ListSerializer):
    """A visit's answers: plain ones read at once, anything else by DRF, field by field.

    DRF validates each answer through a serializer of four fields, about 15 us an answer, a
    tenth of a submission request. An answer that every rule would pass unchanged (the keys
    known, an item name and comment in plain text, `na` a real boolean) gives the same value
    read directly; the first that is not sends the whole list through DRF, so every error
    reads exactly as it always has.
    """

    def to_internal_value(self, data):
        if (
            isinstance(data, list)
            and (self.allow_empty or data)
            and (self.max_length is None or len(data) <= self.max_length)
            and (self.min_length is None or len(data) >= self.min_length)
        ):
            plain = [_plain_answer(answer) for answer in data]
            if all(answer is not None for answer in plain):
                return plain
        return super().to_internal_value(data)


def _plain_answer(answer: object) -> dict | None:
    if not isinstance(answer, dict) or not answer.keys() <= ANSWER_KEYS:
        return None
    item, na, comment = answer.get("item"), answer.get("na", False), answer.get("comment", "")
    if not _plain_text(item, max_length=ANSWER_ITEM_MAX, allow_blank=False):
        return None
    if not isinstance(na, bool) or not _plain_text(
        comment, max_length=ANSWER_COMMENT_MAX, allow_blank=True
    ):
        return None
    return {"item": item, "value": answer.get("value"), "na": na, "comment": comment}


class AnswerInputSerializer(serializers.Serializer):
    item = StrictCharField(max_length=ANSWER_ITEM_MAX)
    value = serializers.JSONField(required=False, allow_null=True, default=None)
    na = serializers.BooleanField(default=False)
    comment = StrictCharField(
        required=False, allow_blank=True, default="", max_length=ANSWER_COMMENT_MAX
    )

    class Meta:
        list_serializer_class = AnswerListSerializer


class SubmissionResubmitSerializer(serializers.Serializer):
    """A returned report's new body: like the first, under a new client_id of its own."""

    client_id = serializers.UUIDField(help_text="Made on the phone; the same id is a retry.")
    started_at = SupportedDateTimeField()
    finished_at = SupportedDateTimeField()
    location = LocationSerializer(required=False, allow_null=True, default=None)
    photo_count = serializers.IntegerField(
        min_value=0, max_value=50, default=0, help_text="Every photo of the visit, sent or to come."
    )
    # At most one answer per item of the largest checklist: checked before any answer is
    # read; the service then holds them to the assignment's own checklist.
    answers = AnswerInputSerializer(many=True, allow_empty=True, max_length=MAX_ITEMS)

    def to_internal_value(self, data):
        """Count the answers before reading any: a flood is one 400 on `answers`, at once."""
        answers = data.get("answers") if isinstance(data, Mapping) else None
        if isinstance(answers, list) and len(answers) > MAX_ITEMS:
            message = f"Ensure this field has no more than {MAX_ITEMS} elements."
            raise serializers.ValidationError(
                {"answers": [ErrorDetail(message, code="max_length")]}
            )
        return super().to_internal_value(data)


class SubmissionCreateSerializer(SubmissionResubmitSerializer):
    assignment = DatabaseIdField()
    photo_count = serializers.IntegerField(min_value=0, max_value=50, default=0)


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC")
    client_id = serializers.UUIDField(help_text="Made on the phone; the same id is a retry.")
    item = StrictCharField(required=False, allow_blank=True, default="", max_length=100)


class OwnerPhotoSerializer(StrictModelSerializer):
    """A photo as a franchise owner reads it: no id the phone made, no EXIF evidence."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "item", "url", "thumbnail_url", "width", "height", "uploaded_at"]

    url_names = ("api-v1:photo-download", "api-v1:photo-thumbnail")

    def _absolute(self, name: str, photo: Photo) -> str:
        path = reverse(name, kwargs={"pk": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, photo: Photo) -> str:
        """The permission-checked download of the stripped copy."""
        return self._absolute(self.url_names[0], photo)

    def get_thumbnail_url(self, photo: Photo) -> str:
        return self._absolute(self.url_names[1], photo)


class PhotoSerializer(OwnerPhotoSerializer):
    """A photo as its shopper's phone reads it back: with the `client_id` it made."""

    class Meta(OwnerPhotoSerializer.Meta):
        fields = ["id", "client_id", *OwnerPhotoSerializer.Meta.fields[1:]]


# Staff-only: the phone's id of the photo and what its EXIF proved before stripping.
EVIDENCE_FIELDS = (
    "client_id",
    "sha256",
    "original_format",
    "taken_at",
    "gps_latitude",
    "gps_longitude",
)


class PhotoEvidenceSerializer(OwnerPhotoSerializer):
    """Staff and the photo's own shopper also see its `client_id` and what its EXIF proved.

    One component documents both readers' photos, so the evidence fields are marked optional
    (`required=False`; `read_only=False` only because drf-spectacular marks every read-only
    field required): an owner's copy of the same row (`OwnerPhotoSerializer`) leaves them out,
    since they could place or identify the shopper.
    """

    class Meta(OwnerPhotoSerializer.Meta):
        fields = [*OwnerPhotoSerializer.Meta.fields, *EVIDENCE_FIELDS]
        extra_kwargs = {name: {"required": False, "read_only": False} for name in EVIDENCE_FIELDS}


class EvidencePhotoSerializer(OwnerPhotoSerializer):
    """An owner's evidence photo of an appeal or action, as everyone who reads those sees it
    (the owner took it: nothing in it is staff-only)."""

    url_names = ("api-v1:evidence-download", "api-v1:evidence-thumbnail")

    class Meta:
        model = EvidencePhoto
        fields = ["id", "url", "thumbnail_url", "width", "height", "uploaded_at"]


class ItemScoreSerializer(serializers.Serializer):
    item = StrictCharField()
    section = StrictCharField()
    earned = serializers.FloatField()
    possible = serializers.FloatField()
    # Documented as an enum so clients know every reason a point can be given or withheld.
    reason = serializers.ChoiceField(
        choices=["answered", "na", "hidden", "bonus", "critical_failure", "unscored"]
    )


class LeftOutOnRequest:
    """A serializer mixin: fields the request may leave out of a response, per request.

    `left_out_when` maps a field to the context flag that leaves it out (light list rows).
    Decided when writing out, not by removing fields, so one serializer built once
    (`reusable`) serves light and full responses alike.
    """

    left_out_when: ClassVar[dict[str, str]] = {}

    @property
    def _readable_fields(self):
        context = self.context
        left_out = {name for name, flag in self.left_out_when.items() if context.get(flag)}
        for field in super()._readable_fields:
            if field.field_name not in left_out:
                yield field


class ScoreSerializer(LeftOutOnRequest, StrictModelSerializer):
    overall = serializers.FloatField(allow_null=True)
    critical_failures = serializers.ListField(child=StrictCharField())
    sections = serializers.DictField(child=serializers.FloatField(allow_null=True))
    dimensions = serializers.DictField(child=serializers.FloatField(allow_null=True))
    # Declared writable (never written) so that the schema can call it optional: list rows
    # leave it out unless `?include=score_items`.
    items = ItemScoreSerializer(
        many=True,
        required=False,
        help_text="Item by item; in list rows only with ?include=score_items.",
    )

    left_out_when = {"items": "omit_score_items"}

    class Meta:
        model = Score
        fields = [
            "overall",
            "passed",
            "critical_failures",
            "sections",
            "dimensions",
            "items",
            "engine_version",
            "scored_at",
        ]


class AnswerSerializer(serializers.Serializer):
    item = StrictCharField()
    value = serializers.JSONField(allow_null=True)
    na = serializers.BooleanField()
    comment = StrictCharField(allow_blank=True)


class ShopperRefSerializer(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


_REUSABLE = threading.local()


def reusable(cls: type[serializers.Serializer], context: dict) -> serializers.Serializer:
    """This thread's one serializer of `cls` for reading rows, bound to `context`.

    Building a serializer builds all its fields, nested ones included: 0.7 ms for a visit,
    more than writing it out, and made per row in a method field, a page of 50 audits built
    hundreds of them (a third of the request). Fields keep no state between rows, so one
    serializer per class and thread serves every response and every row; only the context,
    which depends on the request, is set again here.
    """
    made = _REUSABLE.__dict__.setdefault("serializers", {})
    serializer = made.get(cls)
    if serializer is None:
        serializer = made[cls] = cls(context=context)
    serializer._context = context
    return serializer


class AudienceListSerializer(serializers.ListSerializer):
    """A list whose every row is shaped for its reader: `AudienceSerializer.for_reader`."""

    def to_representation(self, data):
        rows = data.all() if hasattr(data, "all") else data
        shapes: dict[type, serializers.Serializer] = {}  # one serializer per shape, not per row
        out = []
        for row in rows:
            shape = type(self.child).for_reader(self.context, row)
            if shape not in shapes:
                shapes[shape] = reusable(shape, self.context)
            out.append(shapes[shape].to_representation(row))
        return out


class AudienceSerializer(StrictModelSerializer):
    """The staff shape of a visit; `owner_variant` is what an owner reads of the same row.

    `for_reader` is the one place that decides, per visit, what the reader may learn: the
    brand's head office and reviewers get this shape (risk and review included); its shopper
    gets `shopper_variant` (their own visit, the questions of a return, never its risk); a
    franchise owner gets `owner_variant`, with `shopper` null and photos without their EXIF
    evidence.
    """

    owner_variant: type[serializers.ModelSerializer]

    class Meta:
        list_serializer_class = AudienceListSerializer

    # What the visit's own shopper reads when they are not also staff of the brand (no risk,
    # no reviewer's notes); None: the staff shape.
    shopper_variant: type[serializers.ModelSerializer] | None = None

    @classmethod
    def for_reader(cls, context: dict, submission: Submission) -> type[serializers.Serializer]:
        access = access_for(context["request"].user)
        if access.sees_whole_brand(submission.assignment.branch.brand_id):
            return cls
        if access.sees_shopper_of(submission):
            return cls.shopper_variant or cls
        return cls.owner_variant


class _VisitFields(LeftOutOnRequest, StrictModelSerializer):
    """Fields every reader of a visit sees."""

    score = serializers.SerializerMethodField()
    excluded = serializers.SerializerMethodField(
        help_text="Released for the record but left out of scorecards and league tables."
    )
    # Declared writable (never written) so that the schema can call it optional: list rows
    # leave it out unless `?include=answers` (the view's `omit_answers`); details carry it.
    answers = AnswerSerializer(
        many=True,
        required=False,
        help_text="In details, and in list rows only with ?include=answers.",
    )
    branch = BranchRefSerializer(source="assignment.branch", read_only=True)

    left_out_when = {"answers": "omit_answers"}

    @extend_schema_field(ScoreSerializer(allow_null=True))
    def get_score(self, submission: Submission) -> dict | None:
        current = getattr(submission, "current_scores", None)
        if current is None:
            current = list(submission.scores.filter(is_current=True))
        return (
            reusable(ScoreSerializer, self.context).to_representation(current[0])
            if current
            else None
        )

    def get_excluded(self, submission: Submission) -> bool:
        return submission.status == SubmissionStatus.RELEASED_EXCLUDED


class _OwnerFields(serializers.Serializer):
    """What an owner's copy of a visit replaces: no shopper, photos without ids or evidence."""

    shopper = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    @extend_schema_field(ShopperRefSerializer(allow_null=True))
    def get_shopper(self, submission: Submission) -> None:
        return None

    @extend_schema_field(OwnerPhotoSerializer(many=True))
    def get_photos(self, submission: Submission) -> list[dict]:
        """Never a staff-only photo (a receipt could be matched to the shopper's payment)."""
        shown = [photo for photo in submission.photos.all() if not photo.staff_only]
        row = reusable(OwnerPhotoSerializer, self.context)
        return [row.to_representation(photo) for photo in shown]


SUBMISSION_FIELDS = [
    "id",
    "client_id",
    "assignment",
    "branch",
    "shopper",
    "status",
    "started_at",
    "finished_at",
    "location",
    "photo_count",
    "received_at",
    "excluded",
    "score",
    "answers",
    "photos",
]
# What the visit's shopper reads too: the version of the body, and a return's questions.
SHOPPER_FIELDS = ["version", "questions", "return_deadline"]
# Head office and reviewers only: the report's integrity risk and where review stands.
REVIEW_FIELDS = ["risk", "signal_codes", "claimed_by", "claimed_at", "review_reason", "released_at"]


class _ReviewFields(serializers.Serializer):
    """Integrity and review, for the brand's staff.

    Documented optional: others' copies of the same row leave them out. Declared writable
    (never written: the serializer only reads) because drf-spectacular marks every read-only
    field required.
    """

    risk = serializers.ChoiceField(
        source="risk_level",
        choices=["none", "low", "medium", "high"],
        allow_null=True,
        required=False,
        help_text="The highest severity of the report's signals; null until it is checked.",
    )
    signal_codes = serializers.ListField(child=StrictCharField(), required=False)
    claimed_by = ShopperRefSerializer(required=False, allow_null=True)


class OwnerSubmissionSerializer(_OwnerFields, _VisitFields):
    """A submission as a franchise owner reads it: never who the shopper was."""

    location = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        # No client_id: the phone's own id of the visit is the shopper's, not the owner's.
        fields = [name for name in SUBMISSION_FIELDS if name != "client_id"]

    @extend_schema_field(LocationSerializer(allow_null=True))
    def get_location(self, submission: Submission) -> None:
        return None  # the phone's position would tell where the shopper was, and when


class ShopperSubmissionSerializer(_VisitFields):
    """A submission as its own shopper reads it: everything they sent, and what a return asks."""

    location = serializers.SerializerMethodField()
    shopper = ShopperRefSerializer(read_only=True, allow_null=True)
    photos = PhotoEvidenceSerializer(many=True, read_only=True)
    questions = serializers.ListField(
        child=StrictCharField(),
        required=False,
        help_text="What the reviewer asked when returning the report (empty otherwise).",
    )

    class Meta:
        model = Submission
        fields = [*SUBMISSION_FIELDS, *SHOPPER_FIELDS]

    @extend_schema_field(LocationSerializer(allow_null=True))
    def get_location(self, submission: Submission) -> dict | None:
        if submission.latitude is None:
            return None
        return {
            "latitude": submission.latitude,
            "longitude": submission.longitude,
            "accuracy_m": submission.accuracy_m,
            "mocked": submission.mocked_location,
        }


class SubmissionSerializer(AudienceSerializer, _ReviewFields, ShopperSubmissionSerializer):
    """A submission as head office and reviewers read it (its shopper: without review fields,
    an owner: `OwnerSubmissionSerializer`)."""

    owner_variant = OwnerSubmissionSerializer
    shopper_variant = ShopperSubmissionSerializer

    class Meta(AudienceSerializer.Meta):
        model = Submission
        fields = [*SUBMISSION_FIELDS, *SHOPPER_FIELDS, *REVIEW_FIELDS]
        # Documented optional: an owner's or shopper's copy of the row leaves them out.
        extra_kwargs = {
            name: {"required": False, "read_only": False}
            for name in [
                "client_id",
                "version",
                "return_deadline",
                "claimed_at",
                "review_reason",
                "released_at",
            ]
        }


AUDIT_FIELDS = [
    "id",
    "branch",
    "franchisee",
    "region",
    "checklist",
    "shopper",
    "status",
    "excluded",
    "started_at",
    "finished_at",
    "score",
    "answers",
    "photos",
]


class _AuditFields(_VisitFields):
    """Where a scored audit sits in the network."""

    franchisee = FranchiseeRefSerializer(source="assignment.branch.franchisee", read_only=True)
    region = RegionRefSerializer(source="assignment.branch.region", read_only=True, allow_null=True)
    checklist = serializers.IntegerField(source="assignment.checklist_id", read_only=True)


class OwnerAuditSerializer(_OwnerFields, _AuditFields):
    """A scored audit as a franchise owner reads it: never who the shopper was."""

    class Meta:
        model = Submission
        fields = AUDIT_FIELDS


class AuditSerializer(AudienceSerializer, _ReviewFields, _AuditFields):
    """A scored audit as head office and reviewers read it, with its risk and review."""

    owner_variant = OwnerAuditSerializer
    shopper = ShopperRefSerializer(read_only=True, allow_null=True)
    photos = PhotoEvidenceSerializer(many=True, read_only=True)

    class Meta(AudienceSerializer.Meta):
        model = Submission
        fields = [*AUDIT_FIELDS, *REVIEW_FIELDS]
        extra_kwargs = {
            name: {"required": False, "read_only": False}
            for name in ["claimed_at", "review_reason", "released_at"]
        }


# --- Review ---------------------------------------------------------------------------------


class SignalSerializer(serializers.Serializer):
    """One integrity signal of a report (codes: docs/review.md)."""

    code = StrictCharField()
    severity = serializers.ChoiceField(choices=["low", "medium", "high"])
    message = StrictCharField()
    evidence = serializers.DictField(help_text="What tripped it: distances, times, ids.")


class ReviewQueueRowSerializer(_ReviewFields, StrictModelSerializer):
    """A report waiting for review: where, who, how risky, and whether someone holds it."""

    branch = BranchRefSerializer(source="assignment.branch", read_only=True)
    shopper = ShopperRefSerializer(read_only=True)
    overall = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "branch",
            "shopper",
            "status",
            "risk",
            "signal_codes",
            "started_at",
            "received_at",
            "scored_at",
            "claimed_by",
            "claimed_at",
            "overall",
        ]

    @extend_schema_field({"type": ["number", "null"]})
    def get_overall(self, submission: Submission) -> float | None:
        current = getattr(submission, "current_scores", None) or []
        overall = current[0].overall if current else None
        return None if overall is None else float(overall)


class ReviewActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["release", "release_excluded", "return", "reject"])
    reason = StrictCharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for every action but release.",
    )
    questions = serializers.ListField(
        child=StrictCharField(max_length=1000),
        required=False,
        max_length=20,
        default=list,
        help_text="For return: what the shopper should answer (at least one).",
    )
    deadline = SupportedDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For return: when the shopper must have resubmitted (default: the brand's "
        "return_hours from now).",
    )


# --- Corrections --------------------------------------------------------------------------------


class CorrectionItemSerializer(serializers.Serializer):
    item = StrictCharField(max_length=100, help_text="The checklist item's key.")
    value = serializers.JSONField(
        required=False, allow_null=True, default=None, help_text="The right answer."
    )
    na = serializers.BooleanField(
        default=False, help_text="Take the item out of the score (staff may, on any item)."
    )
    reason = StrictCharField(max_length=1000, help_text="Why this answer is corrected.")


class CorrectionSerializer(serializers.Serializer):
    items = CorrectionItemSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)


# --- The audit trail ----------------------------------------------------------------------------


class TrailUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = StrictCharField()


class OwnerTrailEventSerializer(serializers.Serializer):
    """An event as an owner reads it: the role that acted, never the person."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    role = serializers.ChoiceField(choices=ActorRole.choices, help_text="Who acted, by role.")
    reason = StrictCharField(allow_blank=True)
    before = serializers.JSONField(allow_null=True, help_text="The values before (by kind).")
    after = serializers.JSONField(allow_null=True, help_text="The values after (by kind).")


class TrailEventSerializer(OwnerTrailEventSerializer):
    """An event as the brand's staff read it: who acted, too (null: the system)."""

    by = TrailUserSerializer(
        allow_null=True, required=False, help_text="Staff only; absent for owners."
    )
