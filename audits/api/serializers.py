"""Input and output shapes of the API. No business rules: those live in services."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.models import Assignment, Branch, Franchisee, Photo, Region, Score, Submission, User
from audits.selectors import access_for

# --- Errors (documentation only: drf-standardized-errors renders them) ---------------------


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ClientErrorResponseSerializer(serializers.Serializer):
    """The shared shape of 409 and 413, which drf-standardized-errors does not document."""

    type = serializers.ChoiceField(choices=[("client_error", "Client Error")])
    errors = ClientErrorSerializer(many=True)


# --- People and network ---------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    brands = serializers.ListField(child=serializers.IntegerField())
    franchisees = serializers.ListField(child=serializers.IntegerField())


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name"]


class FranchiseeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Franchisee
        fields = ["id", "name"]


class BranchSerializer(serializers.ModelSerializer):
    franchisee = serializers.PrimaryKeyRelatedField(queryset=Franchisee.objects.all())
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True
    )

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
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            brands = access_for(request.user).head_office_brand_ids
            self.fields["franchisee"].queryset = Franchisee.objects.filter(brand_id__in=brands)
            self.fields["region"].queryset = Region.objects.filter(brand_id__in=brands)


class ShopperSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]


class BranchRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "name", "address", "latitude", "longitude", "timezone"]


# --- Checklists -----------------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    points = serializers.FloatField(min_value=0, max_value=1)


class BandSerializer(serializers.Serializer):
    max = serializers.FloatField(allow_null=True)
    points = serializers.FloatField(min_value=0, max_value=1)


class ShowIfSerializer(serializers.Serializer):
    item = serializers.CharField()
    equals = serializers.JSONField()


class ItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    type = serializers.ChoiceField(choices=["yes_no", "scale", "choice", "number", "text", "photo"])
    weight = serializers.FloatField(default=1, min_value=0)
    critical = serializers.BooleanField(default=False)
    na_allowed = serializers.BooleanField(default=False)
    bonus = serializers.BooleanField(default=False)
    requires_photo = serializers.BooleanField(default=False)
    scale_max = serializers.IntegerField(allow_null=True, required=False, min_value=2)
    options = OptionSerializer(many=True, required=False)
    bands = BandSerializer(many=True, required=False)
    show_if = ShowIfSerializer(allow_null=True, required=False)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    dimension = serializers.CharField()
    weight = serializers.FloatField(allow_null=True, required=False)
    items = ItemSerializer(many=True)


class ChecklistInputSerializer(serializers.Serializer):
    """Documents the body of POST /checklists/; scoring.checklist does the validating."""

    template = serializers.CharField(help_text="Template name; its next version is published.")
    title = serializers.CharField()
    pass_mark = serializers.FloatField(default=80, min_value=0, max_value=100)
    critical_policy = serializers.ChoiceField(choices=["flag", "zero"], default="flag")
    sections = SectionSerializer(many=True)


class ChecklistSerializer(ChecklistInputSerializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()


# --- Assignments ----------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
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

    @extend_schema_field(OpenApiTypes.INT)
    def get_submission(self, assignment: Assignment) -> int | None:
        submission = getattr(assignment, "submission", None)
        return submission.pk if submission is not None else None


class AssignmentCreateSerializer(serializers.Serializer):
    branch = serializers.IntegerField()
    shopper = serializers.IntegerField()
    checklist = serializers.IntegerField(help_text="Checklist version id")
    scenario = serializers.CharField(allow_blank=True, default="")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


# --- Submissions ----------------------------------------------------------------------------


class LocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(min_value=0, required=False, allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=100)
    value = serializers.JSONField(required=False, allow_null=True, default=None)
    na = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class SubmissionCreateSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="Made on the phone; the same id is a retry.")
    assignment = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    location = LocationSerializer(required=False, allow_null=True, default=None)
    photo_count = serializers.IntegerField(min_value=0, max_value=50, default=0)
    answers = AnswerInputSerializer(many=True, allow_empty=True)


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC")
    client_id = serializers.UUIDField(help_text="Made on the phone; the same id is a retry.")
    item = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id",
            "client_id",
            "item",
            "url",
            "thumbnail_url",
            "width",
            "height",
            "uploaded_at",
        ]

    def _absolute(self, name: str, photo: Photo) -> str:
        path = reverse(name, kwargs={"pk": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, photo: Photo) -> str:
        return self._absolute("api-v1:photo-download", photo)

    def get_thumbnail_url(self, photo: Photo) -> str:
        return self._absolute("api-v1:photo-thumbnail", photo)


class PhotoEvidenceSerializer(PhotoSerializer):
    """Staff also see what the photo's EXIF proved before it was stripped."""

    class Meta(PhotoSerializer.Meta):
        fields = [
            *PhotoSerializer.Meta.fields,
            "sha256",
            "original_format",
            "taken_at",
            "gps_latitude",
            "gps_longitude",
        ]


class ItemScoreSerializer(serializers.Serializer):
    item = serializers.CharField()
    section = serializers.CharField()
    earned = serializers.FloatField()
    possible = serializers.FloatField()
    # Documented as an enum so clients know every reason a point can be given or withheld.
    reason = serializers.ChoiceField(
        choices=["answered", "na", "hidden", "bonus", "critical_failure", "unscored"]
    )


class ScoreSerializer(serializers.ModelSerializer):
    overall = serializers.FloatField(allow_null=True)
    critical_failures = serializers.ListField(child=serializers.CharField())
    sections = serializers.DictField(child=serializers.FloatField(allow_null=True))
    dimensions = serializers.DictField(child=serializers.FloatField(allow_null=True))
    items = ItemScoreSerializer(many=True)

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
    item = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    na = serializers.BooleanField()
    comment = serializers.CharField(allow_blank=True)


class ShopperRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission as its reader may see it: owners never learn who the shopper was."""

    location = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    answers = AnswerSerializer(many=True, read_only=True)
    shopper = serializers.SerializerMethodField()
    branch = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
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
            "score",
            "answers",
            "photos",
        ]

    def _sees_shopper(self, submission: Submission) -> bool:
        request = self.context["request"]
        return access_for(request.user).sees_shopper_of(submission)

    @extend_schema_field(LocationSerializer(allow_null=True))
    def get_location(self, submission: Submission) -> dict | None:
        if submission.latitude is None:
            return None
        return {
            "latitude": submission.latitude,
            "longitude": submission.longitude,
            "accuracy_m": submission.accuracy_m,
        }

    @extend_schema_field(ScoreSerializer(allow_null=True))
    def get_score(self, submission: Submission) -> dict | None:
        current = getattr(submission, "current_scores", None)
        if current is None:
            current = list(submission.scores.filter(is_current=True))
        return ScoreSerializer(current[0]).data if current else None

    @extend_schema_field(PhotoEvidenceSerializer(many=True))
    def get_photos(self, submission: Submission) -> list[dict]:
        serializer = PhotoEvidenceSerializer if self._sees_shopper(submission) else PhotoSerializer
        return serializer(submission.photos.all(), many=True, context=self.context).data

    @extend_schema_field(ShopperRefSerializer(allow_null=True))
    def get_shopper(self, submission: Submission) -> dict | None:
        if not self._sees_shopper(submission):
            return None
        return ShopperRefSerializer(submission.shopper).data

    @extend_schema_field(BranchRefSerializer)
    def get_branch(self, submission: Submission) -> dict:
        return BranchRefSerializer(submission.assignment.branch).data


class AuditSerializer(SubmissionSerializer):
    """A scored audit, with where it sits in the network."""

    franchisee = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    checklist = serializers.IntegerField(source="assignment.checklist_id", read_only=True)

    class Meta(SubmissionSerializer.Meta):
        fields = [
            "id",
            "branch",
            "franchisee",
            "region",
            "checklist",
            "shopper",
            "status",
            "started_at",
            "finished_at",
            "score",
            "answers",
            "photos",
        ]

    @extend_schema_field(FranchiseeSerializer)
    def get_franchisee(self, submission: Submission) -> dict:
        return FranchiseeSerializer(submission.assignment.branch.franchisee).data

    @extend_schema_field(RegionSerializer(allow_null=True))
    def get_region(self, submission: Submission) -> dict | None:
        region = submission.assignment.branch.region
        return RegionSerializer(region).data if region else None
