"""Action plans over HTTP: `/actions/` for owners (their branches) and head office (the brand).

Owners complete an action with a note; head office verifies or reopens it with a reason.
Owners read who of their own side completed it, never which staff member verified it.
"""

from __future__ import annotations

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action as route
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedViewSet
from audits.api.evidence import evidence_upload, evidence_upload_schema
from audits.api.fields import DatabaseIdFilter, StrictCharField
from audits.api.filtering import StrictBooleanFilter, StrictFilterSet
from audits.api.parsers import BoundedJSONParser, BoundedMultiPartParser
from audits.api.permissions import IsFranchiseOwner, IsHeadOffice
from audits.api.schema import error_response
from audits.api.serializers import BranchRefSerializer, EvidencePhotoSerializer
from audits.models import Action, ActionStatus
from audits.services import actions as action_services
from audits.services.evidence import COMPLETION_MAX_PHOTOS


class ActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    branch = BranchRefSerializer()
    audit = serializers.IntegerField(source="submission_id", help_text="The audit that found it.")
    item = StrictCharField()
    title = StrictCharField(help_text="The checklist item's text.")
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    due = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")
    opened_at = serializers.DateTimeField()
    notes = StrictCharField(allow_blank=True, help_text="The owner's note on completion.")
    completed_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    closed_by_audit = serializers.IntegerField(
        source="closed_by_audit_id", allow_null=True, help_text="A later audit that passed it."
    )
    reason = StrictCharField(allow_blank=True, help_text="Head office's, on verify or reopen.")
    evidence = EvidencePhotoSerializer(many=True, help_text="The owner's photos, oldest first.")

    def get_overdue(self, action: Action) -> bool:
        return action.status == ActionStatus.OPEN and action.due < timezone.now()


class ActionNoteSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000, help_text="What was done.")


class ActionCompleteSerializer(ActionNoteSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=COMPLETION_MAX_PHOTOS,
        help_text=f"Up to {COMPLETION_MAX_PHOTOS} photos of the fix (multipart only; more, one "
        "at a time, through /actions/{id}/photos/).",
    )


class CompletionMultiPartParser(BoundedMultiPartParser):
    images = COMPLETION_MAX_PHOTOS


class ActionReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=1000)


class ActionFilter(StrictFilterSet):
    """`?status=`, `?branch=`, `?overdue=true`."""

    status = filters.ChoiceFilter(choices=ActionStatus.choices)
    branch = DatabaseIdFilter(field_name="branch")
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = Action
        fields = ["status", "branch", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = action_services.overdue(queryset)
        return late if value else queryset.exclude(pk__in=late.values("pk"))


NOT_NOW = error_response("Not in a status this step leaves (code invalid_transition)")


@extend_schema_view(
    list=extend_schema(summary="Actions (owners: their branches; head office: the brand's)"),
    retrieve=extend_schema(summary="One action"),
)
class ActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ActionSerializer
    filterset_class = ActionFilter
    permission_classes = [IsAuthenticated]
    read_selector = selectors.actions_visible_to
    throttle_scopes = {"photos": "photos"}
    write_selectors = {
        "complete": selectors.actions_completed_by,
        "photos": selectors.actions_completed_by,
        "verify": selectors.actions_managed_by,
        "reopen": selectors.actions_managed_by,
    }

    def get_permissions(self):
        if self.action in {"complete", "photos"}:
            return [IsAuthenticated(), IsFranchiseOwner()]
        if self.action in {"verify", "reopen"}:
            return [IsAuthenticated(), IsHeadOffice()]
        return super().get_permissions()

    def _step(self, body: type[serializers.Serializer], service) -> Response:
        """Read the step's fields, run the service, answer the action as it is now."""
        data = body(data=self.request.data)
        data.is_valid(raise_exception=True)
        done = service(action=self.get_object(), by=self.request.user, **data.validated_data)
        visible = selectors.actions_visible_to(self.request.user).get(pk=done.pk)
        return Response(ActionSerializer(visible, context=self.get_serializer_context()).data)

    @extend_schema(
        request={
            "application/json": ActionNoteSerializer,
            "multipart/form-data": ActionCompleteSerializer,
        },
        responses={
            200: ActionSerializer,
            409: error_response(
                "Not open (invalid_transition), or over the evidence limit (evidence_closed)"
            ),
            413: error_response("A photo over the size limit; attr `photos.<i>`"),
            415: error_response("A photo not JPEG, PNG, WebP or HEIC; attr `photos.<i>`"),
        },
        summary="Report an open action done, with a note and optional photos (the branch's owner)",
    )
    @route(
        detail=True,
        methods=["post"],
        parser_classes=[BoundedJSONParser, CompletionMultiPartParser],
    )
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._step(ActionCompleteSerializer, action_services.action_complete)

    @extend_schema(**evidence_upload_schema("action"))
    @route(detail=True, methods=["post"], parser_classes=[BoundedMultiPartParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        return evidence_upload(request, self.get_object(), self.get_serializer_context())

    @extend_schema(
        request=ActionReasonSerializer,
        responses={200: ActionSerializer, 409: NOT_NOW},
        summary="Sign a completed action off, with a reason (head office)",
    )
    @route(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._step(ActionReasonSerializer, action_services.action_verify)

    @extend_schema(
        request=ActionReasonSerializer,
        responses={200: ActionSerializer, 409: NOT_NOW},
        summary="Send a completed or verified action back, with a reason (head office)",
    )
    @route(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._step(ActionReasonSerializer, action_services.action_reopen)
