"""Appeals over HTTP: owners open them on their audits, head office decides them.

`POST /audits/{id}/appeals/` is an action of the audits viewset (views.AuditViewSet); this
module holds the shapes and `/appeals/`. Owners read appeals without who opened or decided
them (`OwnerAppealSerializer`); the brand's staff read both.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedViewSet
from audits.api.evidence import evidence_upload, evidence_upload_schema
from audits.api.fields import StrictCharField
from audits.api.filtering import StrictFilterSet
from audits.api.parsers import BoundedMultiPartParser
from audits.api.permissions import IsFranchiseOwner, IsHeadOffice, ReviewsReports
from audits.api.schema import error_response
from audits.api.serializers import (
    BranchRefSerializer,
    EvidencePhotoSerializer,
    TrailUserSerializer,
)
from audits.models import Appeal, AppealStatus
from audits.services import appeals as appeal_services

# --- Bodies -----------------------------------------------------------------------------------


class AppealedItemSerializer(serializers.Serializer):
    item = StrictCharField(max_length=100, help_text="The checklist item's key.")
    reason = StrictCharField(max_length=2000, help_text="Why the finding is wrong.")


class AppealOpenSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="Made by the client; the same id is a retry.")
    items = AppealedItemSerializer(
        many=True, allow_empty=False, max_length=appeal_services.MAX_APPEALED_ITEMS
    )


class CorrectionValueSerializer(serializers.Serializer):
    value = serializers.JSONField(required=False, allow_null=True, help_text="The new answer.")
    na = serializers.BooleanField(required=False, help_text="Take the item out of the score.")


class ItemDecisionSerializer(serializers.Serializer):
    item = StrictCharField(max_length=100)
    upheld = serializers.BooleanField()
    reason = StrictCharField(max_length=2000, help_text="Shown to the owner.")
    correction = CorrectionValueSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="For an upheld item: {value} or {na: true}; absent: N/A.",
    )


class AppealDecideSerializer(serializers.Serializer):
    decisions = ItemDecisionSerializer(
        many=True, allow_empty=False, max_length=appeal_services.MAX_APPEALED_ITEMS
    )


# --- Answers ----------------------------------------------------------------------------------


class AppealItemSerializer(serializers.Serializer):
    item = StrictCharField()
    reason = StrictCharField(help_text="The owner's.")
    upheld = serializers.BooleanField(allow_null=True, help_text="Null until decided.")
    decision_reason = StrictCharField(allow_blank=True)
    correction = serializers.JSONField(allow_null=True, help_text="What an upheld item became.")


class OwnerAppealSerializer(serializers.Serializer):
    """An appeal as its owner reads it: decisions and reasons, never who decided."""

    id = serializers.IntegerField()
    audit = serializers.IntegerField(source="submission_id")
    branch = BranchRefSerializer(source="submission.assignment.branch")
    status = serializers.ChoiceField(choices=AppealStatus.choices)
    opened_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    items = AppealItemSerializer(many=True)
    evidence = EvidencePhotoSerializer(many=True, help_text="The owner's photos, oldest first.")


class AppealSerializer(OwnerAppealSerializer):
    """An appeal as the brand's staff read it: who opened and who decided it, too."""

    opened_by = TrailUserSerializer(required=False)
    decided_by = TrailUserSerializer(allow_null=True, required=False)


def appeal_shape(user, appeal: Appeal) -> type[serializers.Serializer]:
    """The staff shape for the brand's staff, the owner's for everyone else who reads it."""
    brand_id = appeal.submission.assignment.branch.brand_id
    if selectors.access_for(user).sees_whole_brand(brand_id):
        return AppealSerializer
    return OwnerAppealSerializer


def appeal_data(request: Request, appeal: Appeal) -> dict:
    return appeal_shape(request.user, appeal)(appeal, context={"request": request}).data


class AppealFiguresSerializer(serializers.Serializer):
    appealed = serializers.IntegerField(help_text="Appealed items.")
    decided = serializers.IntegerField(help_text="Of them, decided.")
    upheld = serializers.IntegerField(help_text="Of them, upheld.")
    upheld_rate = serializers.FloatField(allow_null=True, help_text="upheld / decided, 0 to 1.")
    median_hours_to_decision = serializers.FloatField(
        allow_null=True, help_text="From opening to decision, over the decided appeals."
    )


class AppealItemFiguresSerializer(AppealFiguresSerializer):
    item = StrictCharField()


class AppealUnitFiguresSerializer(AppealFiguresSerializer):
    id = serializers.IntegerField()
    name = StrictCharField()


class AppealStatsSerializer(AppealFiguresSerializer):
    period = StrictCharField()
    by_item = AppealItemFiguresSerializer(many=True)
    by_branch = AppealUnitFiguresSerializer(many=True)
    by_franchisee = AppealUnitFiguresSerializer(many=True)


class AppealStatsQuerySerializer(serializers.Serializer):
    period = StrictCharField(
        max_length=10, help_text="A quarter (2026-Q3), month (2026-07) or year (2026), UTC."
    )


# --- /appeals/ --------------------------------------------------------------------------------


class AppealFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=AppealStatus.choices)

    class Meta:
        model = Appeal
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="Appeals (head office and reviewers: the brand's; owners: their own), newest first",
        responses={200: AppealSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One appeal", responses={200: AppealSerializer}),
)
class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    permission_classes = [IsAuthenticated]
    read_selector = selectors.appeals_visible_to
    write_selectors = {
        "decide": selectors.appeals_decided_by,
        "stats": selectors.appeals_visible_to,
        "photos": selectors.appeals_evidenced_by,
    }
    throttle_scopes = {"stats": "expensive_reads", "photos": "photos"}
    extra_error_attrs = {
        "decide": ["decisions", "decisions.<i>.item", "decisions.<i>.reason",
                   "decisions.<i>.correction"],
    }  # fmt: skip

    def get_permissions(self):
        if self.action == "decide":
            return [IsAuthenticated(), IsHeadOffice()]
        if self.action == "stats":
            return [IsAuthenticated(), ReviewsReports()]
        if self.action == "photos":
            return [IsAuthenticated(), IsFranchiseOwner()]
        return super().get_permissions()

    @extend_schema(
        parameters=[AppealStatsQuerySerializer],
        responses={200: AppealStatsSerializer},
        filters=False,
        summary="Appeals opened in a period, by item, branch and franchisee: appealed, "
        "upheld, upheld rate, median hours to decision (head office and reviewers)",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def stats(self, request: Request) -> Response:
        query = AppealStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = appeal_services.appeal_stats(self.get_queryset(), query.validated_data["period"])
        return Response(AppealStatsSerializer(figures).data)

    @extend_schema(**evidence_upload_schema("appeal"))
    @action(detail=True, methods=["post"], parser_classes=[BoundedMultiPartParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        return evidence_upload(request, self.get_object(), self.get_serializer_context())

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([appeal_data(request, appeal) for appeal in page])

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(appeal_data(request, self.get_object()))

    @extend_schema(
        request=AppealDecideSerializer,
        responses={200: AppealSerializer, 409: error_response("Decided already (appeal_not_open)")},
        summary="Decide every appealed item with a reason; upheld ones are corrected and the "
        "audit re-scored (head office)",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        data = AppealDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = appeal_services.appeal_decide(
            appeal=self.get_object(),
            by=request.user,
            decisions=[
                appeal_services.ItemDecision(**decision)
                for decision in data.validated_data["decisions"]
            ],
        )
        return Response(
            appeal_data(request, selectors.appeals_visible_to(request.user).get(pk=appeal.pk))
        )
