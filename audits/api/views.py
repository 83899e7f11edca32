"""Thin API views: parse input, call a selector or a service, shape the output.

Every viewset inherits `ScopedViewSet`, so its objects come from a named selector; head-office
writes go into `acting_brand()`, never an implied one.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api import appeals as appeals_api
from audits.api import serializers as s
from audits.api.base import AudienceViewSet, ScopedView, ScopedViewSet
from audits.api.fields import DatabaseIdFilter, SupportedIsoDateTimeFilter
from audits.api.filtering import StrictFilterSet, VisitListFilter
from audits.api.parsers import BoundedMultiPartParser
from audits.api.permissions import (
    IsFranchiseOwner,
    IsHeadOffice,
    IsShopper,
    ReadOnlyOrHeadOffice,
    ReviewsReports,
    StaffReadsHeadOfficeWrites,
)
from audits.api.schema import error_response
from audits.models import Assignment, AssignmentStatus, Risk, Submission, SubmissionStatus
from audits.services import appeals as appeal_services
from audits.services import assignments as assignment_services
from audits.services import checklists as checklist_services
from audits.services import corrections as correction_services
from audits.services import organisation as organisation_services
from audits.services import photos as photo_services
from audits.services import review as review_services
from audits.services import sign_in as sign_in_services
from audits.services import submissions as submission_services
from audits.services.corrections import ItemCorrection

NOT_YOURS = error_response("Not found, or not the caller's to see")
NOT_WAITING_FOR_REVIEW = error_response(
    "Held by another reviewer (code held_by_another), or not waiting for review "
    "(code invalid_transition)"
)


class MeView(ScopedView):
    @extend_schema(responses=s.MeSerializer, summary="The signed-in user and their roles")
    def get(self, request: Request) -> Response:
        access = selectors.access_for(request.user)
        user = request.user
        return Response(
            s.MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "email": user.email,
                    "roles": access.roles,
                    "brands": sorted({m.brand_id for m in access.memberships if m.brand_id}),
                    "franchisees": sorted(access.owned_franchisee_ids),
                }
            ).data
        )


class HeadOfficeNetworkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ScopedViewSet,
):
    """Read within the caller's scope; head office creates in its own brand."""

    permission_classes = [IsAuthenticated, ReadOnlyOrHeadOffice]
    create_service = None

    def perform_create(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        brand = self.acting_brand(fields)
        serializer.instance = type(self).create_service(brand=brand, **fields)


@extend_schema_view(
    list=extend_schema(summary="Regions of the caller's brand"),
    create=extend_schema(summary="Create a region (head office)"),
)
class RegionViewSet(HeadOfficeNetworkViewSet):
    serializer_class = s.RegionSerializer
    read_selector = selectors.regions_visible_to
    create_service = organisation_services.region_create


@extend_schema_view(
    list=extend_schema(summary="Franchisees the caller may see"),
    create=extend_schema(summary="Create a franchisee (head office)"),
)
class FranchiseeViewSet(HeadOfficeNetworkViewSet):
    serializer_class = s.FranchiseeSerializer
    read_selector = selectors.franchisees_visible_to
    create_service = organisation_services.franchisee_create


@extend_schema_view(
    list=extend_schema(summary="Branches: an owner's own, or the whole brand for head office"),
    create=extend_schema(summary="Create a branch (head office)"),
)
class BranchViewSet(HeadOfficeNetworkViewSet):
    serializer_class = s.BranchSerializer
    read_selector = selectors.branches_visible_to
    create_service = organisation_services.branch_create


@extend_schema_view(
    list=extend_schema(summary="Shopper accounts of the brand (head office)"),
    create=extend_schema(summary="Create a shopper account (head office)"),
)
class ShopperViewSet(HeadOfficeNetworkViewSet):
    serializer_class = s.ShopperSerializer
    read_selector = selectors.shoppers_visible_to
    create_service = organisation_services.shopper_create
    permission_classes = [IsAuthenticated, StaffReadsHeadOfficeWrites]
    write_selectors = {"unlock": selectors.shoppers_managed_by}

    @extend_schema(
        request=s.ReasonSerializer,
        responses={200: s.SignInUnlockSerializer, 404: NOT_YOURS},
        summary="Let a shopper locked out by failed sign-ins sign in again (head office)",
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: int | None = None) -> Response:
        shopper = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = sign_in_services.account_unlock(
            user=shopper, by=request.user, reason=body.validated_data["reason"]
        )
        return Response(s.SignInUnlockSerializer(record).data)


class ChecklistViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    permission_classes = [IsAuthenticated, ReadOnlyOrHeadOffice]
    serializer_class = s.ChecklistSerializer
    read_selector = selectors.checklists_visible_to
    extra_error_attrs = {
        "create": ["template", "title", "sections", "sections[<i>].items[<j>].<field>"]
    }

    @extend_schema(summary="A checklist version, sections and items in order")
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        version = checklist_services.checklist_as_api(self.get_object())
        return Response(s.ChecklistSerializer(version).data)

    @extend_schema(
        request=s.ChecklistInputSerializer,
        responses={201: s.ChecklistSerializer},
        summary="Publish the next version of a template (head office)",
    )
    def create(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
        definition = dict(request.data)
        brand = self.acting_brand(definition)
        template_name = definition.pop("template", None)
        version = checklist_services.checklist_publish(
            brand=brand,
            template_name=str(template_name or ""),
            definition=definition,
            user=request.user,
        )
        return Response(
            s.ChecklistSerializer(checklist_services.checklist_as_api(version)).data, status=201
        )


class AssignmentFilter(StrictFilterSet):
    status = filters.MultipleChoiceFilter(choices=AssignmentStatus.choices)

    class Meta:
        model = Assignment
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="A shopper's own assignments (head office: the brand's)"),
    retrieve=extend_schema(summary="One assignment"),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = s.AssignmentSerializer
    filterset_class = AssignmentFilter
    permission_classes = [IsAuthenticated, ReadOnlyOrHeadOffice]
    read_selector = selectors.assignments_visible_to
    write_selectors = {
        "accept": selectors.assignments_writable_by,
        "decline": selectors.assignments_writable_by,
        "cancel": selectors.assignments_managed_by,
    }

    def get_queryset(self):
        return super().get_queryset().select_related("submission")

    def get_permissions(self):
        if self.action in ("accept", "decline"):
            return [IsAuthenticated(), IsShopper()]
        if self.action == "cancel":
            return [IsAuthenticated(), IsHeadOffice()]
        return super().get_permissions()

    @extend_schema(
        request=s.AssignmentCreateSerializer,
        responses={201: s.AssignmentSerializer},
        summary="Offer a visit to a shopper (head office)",
    )
    def create(self, request: Request) -> Response:
        data = s.AssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        brand = self.acting_brand(fields)
        assignment = assignment_services.assignment_create(brand=brand, **fields)
        return Response(self.get_serializer(assignment).data, status=201)

    @extend_schema(
        request=None,
        responses={
            200: s.AssignmentSerializer,
            409: error_response("No longer open, or its window passed"),
        },
        summary="Accept an offer (accepting again is harmless)",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        assignment = assignment_services.assignment_accept(
            assignment=self.get_object(), by=request.user
        )
        return Response(self.get_serializer(assignment).data)

    @extend_schema(
        request=s.ReasonSerializer,
        responses={
            200: s.AssignmentSerializer,
            409: error_response("Not offered any more (code invalid_transition, current state)"),
        },
        summary="Turn an offer down, saying why (the shopper; an accepted visit cannot be)",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return self._with_reason(assignment_services.assignment_decline)

    @extend_schema(
        request=s.ReasonSerializer,
        responses={
            200: s.AssignmentSerializer,
            409: error_response("Already submitted or closed (code invalid_transition)"),
        },
        summary="Call an offered or accepted visit off, saying why (head office)",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._with_reason(assignment_services.assignment_cancel)

    def _with_reason(self, change) -> Response:
        data = s.ReasonSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        assignment = change(
            assignment=self.get_object(), by=self.request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(assignment).data)


class SubmissionFilter(VisitListFilter):
    status = filters.MultipleChoiceFilter(choices=SubmissionStatus.choices)

    class Meta:
        model = Submission
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="Submissions the caller may read (shopper: own; owner: own branches)"
    ),
    retrieve=extend_schema(summary="One submission: status, score (null until scored), photos"),
)
class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AudienceViewSet):
    serializer_class = s.SubmissionSerializer
    throttle_scopes = {"create": "submissions", "resubmit": "submissions", "photos": "photos"}
    filterset_class = SubmissionFilter
    read_selector = selectors.submissions_visible_to
    write_selectors = {
        "photos": selectors.submissions_writable_by,
        "resubmit": selectors.submissions_writable_by,
        "claim": selectors.submissions_reviewed_by,
        "review": selectors.submissions_reviewed_by,
        "corrections": selectors.submissions_reviewed_by,
    }
    extra_error_attrs = {
        "create": ["answers", "answers.<item key>"],
        "resubmit": ["answers", "answers.<item key>"],
        "corrections": [
            "items.<i>.item",
            "items.<i>.value",
            "items.<i>.reason",
            "answers.<item key>",
        ],
    }

    def get_permissions(self):
        # Head office and owners may read a submission but only its shopper's phone writes;
        # review is the brand's staff's (others find no such report: 404, by the selector).
        if self.action in {"create", "photos", "resubmit"}:
            return [IsAuthenticated(), IsShopper()]
        return super().get_permissions()

    @extend_schema(
        request=s.SubmissionCreateSerializer,
        responses={
            201: s.SubmissionSerializer,
            200: OpenApiResponse(s.SubmissionSerializer, description="A replay of a stored one"),
            409: error_response(
                "client_id reused with another body, or a second submission for the assignment"
            ),
        },
        summary="Send a visit's answers (idempotent on client_id)",
    )
    def create(self, request: Request) -> Response:
        data = s.SubmissionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        assignment = (
            selectors.assignments_writable_by(request.user)
            .filter(pk=fields.pop("assignment"))
            .first()
        )
        if assignment is None:
            raise ValidationError({"assignment": ["Unknown assignment."]})
        submission, created = submission_services.submission_create(
            shopper=request.user, assignment=assignment, **fields
        )
        if not created:  # a replay: read back in the caller's scope, as stored
            submission = self.get_queryset().get(pk=submission.pk)
        return Response(
            self.get_serializer(submission).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=s.PhotoUploadSerializer,
        responses={
            201: s.PhotoSerializer,
            200: OpenApiResponse(s.PhotoSerializer, description="A replay of a stored photo"),
            409: error_response(
                "client_id reused with other bytes, or every announced photo is in"
            ),
            413: error_response("Over the size limit (bytes or pixels); attr `image`"),
            415: error_response("Not a JPEG, PNG, WebP or HEIC image; attr `image`"),
        },
        summary="Upload one photo of a submission (idempotent on client_id)",
    )
    @action(detail=True, methods=["post"], parser_classes=[BoundedMultiPartParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        data = s.PhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo, created = photo_services.photo_attach(
            submission=submission,
            client_id=data.validated_data["client_id"],
            item=data.validated_data["item"],
            upload=data.validated_data["image"],
        )
        return Response(
            s.PhotoSerializer(photo, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _read_back(self, submission: Submission, *, created: bool = False) -> Response:
        """The submission as the caller reads it (their scope and shape), after a change."""
        submission = selectors.submissions_visible_to(self.request.user).get(pk=submission.pk)
        return Response(
            self.get_serializer(submission).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=s.SubmissionResubmitSerializer,
        responses={
            201: s.SubmissionSerializer,
            200: OpenApiResponse(s.SubmissionSerializer, description="A replay of this body"),
            409: error_response(
                "Not returned (code invalid_transition), or client_id reused with another body"
            ),
        },
        summary="Answer a return with a new body under its own client_id (the shopper)",
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str | None = None) -> Response:
        data = s.SubmissionResubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission, created = submission_services.submission_resubmit(
            submission=self.get_object(), shopper=request.user, **data.validated_data
        )
        return self._read_back(submission, created=created)

    @extend_schema(
        request=None,
        responses={
            200: s.SubmissionSerializer,
            409: NOT_WAITING_FOR_REVIEW,
        },
        summary="Claim a report for review: in_review, held for the brand's claim_minutes",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        submission = review_services.submission_claim(submission=self.get_object(), by=request.user)
        return self._read_back(submission)

    @extend_schema(
        request=s.ReviewActionSerializer,
        responses={
            200: s.SubmissionSerializer,
            409: NOT_WAITING_FOR_REVIEW,
        },
        summary="Release, release excluded, return with questions, or reject a report",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        data = s.ReviewActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = review_services.submission_review(
            submission=self.get_object(), by=request.user, **data.validated_data
        )
        return self._read_back(submission)

    @extend_schema(
        request=s.CorrectionSerializer,
        responses={
            200: s.SubmissionSerializer,
            409: error_response("Not scored, in review or released (code not_correctable)"),
        },
        summary="Correct answers of an audit, each with a reason; it is re-scored (staff)",
    )
    @action(detail=True, methods=["post"])
    def corrections(self, request: Request, pk: str | None = None) -> Response:
        data = s.CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = correction_services.submission_correct(
            submission=self.get_object(),
            by=request.user,
            items=[ItemCorrection(**item) for item in data.validated_data["items"]],
        )
        return self._read_back(submission)


class AuditFilter(VisitListFilter):
    """`?assignment__branch=`, `?started_at__gte=` and `?started_at__lt=` (years 2000-2100)."""

    assignment__branch = DatabaseIdFilter(field_name="assignment__branch")
    started_at__gte = SupportedIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_at__lt = SupportedIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Submission
        fields = ["assignment__branch"]


@extend_schema_view(
    list=extend_schema(summary="Scored audits of the branches the caller may see"),
    retrieve=extend_schema(summary="One scored audit, with answers, photos and its score"),
)
class AuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AudienceViewSet):
    serializer_class = s.AuditSerializer
    filterset_class = AuditFilter
    read_selector = selectors.audits_visible_to
    write_selectors = {
        "trail": selectors.audits_visible_to,
        "appeals": selectors.audits_appealable_by,
    }
    extra_error_attrs = {"appeals": ["items", "items.<i>.item", "items.<i>.reason"]}

    def get_permissions(self):
        if self.action == "appeals":
            return [IsAuthenticated(), IsFranchiseOwner()]
        return super().get_permissions()

    @extend_schema(
        request=appeals_api.AppealOpenSerializer,
        responses={
            201: appeals_api.OwnerAppealSerializer,
            200: OpenApiResponse(
                appeals_api.OwnerAppealSerializer, description="A replay of this client_id"
            ),
            409: error_response(
                "Not released (not_released), past the brand's appeal_days "
                "(appeal_window_closed), an appeal already open (appeal_open), or client_id "
                "reused with another body (conflict)"
            ),
        },
        summary="Appeal items of a released audit of your branch (franchise owners)",
    )
    @action(detail=True, methods=["post"])
    def appeals(self, request: Request, pk: str | None = None) -> Response:
        data = appeals_api.AppealOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal, created = appeal_services.appeal_open(
            audit=self.get_object(),
            by=request.user,
            client_id=data.validated_data["client_id"],
            items=[appeal_services.AppealedItem(**i) for i in data.validated_data["items"]],
        )
        appeal = selectors.appeals_visible_to(request.user).get(pk=appeal.pk)
        return Response(
            appeals_api.appeal_data(request, appeal),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        responses={200: s.TrailEventSerializer(many=True)},
        filters=False,
        summary="The audit's trail, oldest first (owners: its release, appeals and actions, "
        "staff by role)",
        description="Head office and reviewers read every event with who acted (`by`); a "
        "franchise owner reads the events about the audit's release, appeals and actions, "
        "without `by`: staff are shown by `role`, never by name.",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def trail(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        events = selectors.trail_visible_to(request.user, audit)
        staff = selectors.access_for(request.user).sees_whole_brand(
            audit.assignment.branch.brand_id
        )
        shape = s.TrailEventSerializer if staff else s.OwnerTrailEventSerializer
        page = self.paginate_queryset(events)
        return self.get_paginated_response(shape(page, many=True).data)


class ReviewQueueFilter(StrictFilterSet):
    """`?risk=` (repeatable), `?branch=`, `?shopper=`."""

    risk = filters.MultipleChoiceFilter(choices=Risk.choices)
    branch = DatabaseIdFilter(field_name="assignment__branch")
    shopper = DatabaseIdFilter(field_name="shopper")

    class Meta:
        model = Submission
        fields = ["risk", "branch", "shopper"]


@extend_schema_view(
    list=extend_schema(
        summary="Reports waiting for review: highest risk first, then oldest (staff)"
    ),
)
class ReviewQueueViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.ReviewQueueRowSerializer
    filterset_class = ReviewQueueFilter
    permission_classes = [IsAuthenticated, ReviewsReports]
    read_selector = selectors.review_queue_for


class SubmissionSignalsView(ScopedView, generics.ListAPIView):
    """GET /submissions/{id}/signals/: head office and reviewers of the brand; others 404."""

    serializer_class = s.SignalSerializer
    read_selector = selectors.submissions_reviewed_by
    filter_backends: list = []

    def get_queryset(self) -> list[dict]:
        return self.scoped_object(self.kwargs["pk"]).signals

    @extend_schema(
        responses={200: s.SignalSerializer(many=True), 404: NOT_YOURS},
        summary="The report's integrity signals (head office and reviewers)",
        description="Empty until the worker has checked the complete report; its `risk` is "
        "the highest severity here (docs/review.md).",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
