"""GET /branches/{id}/scorecard/: a thin view over `audits.services.scorecards`.

The serializers here document the response in the OpenAPI schema and shape the service's
dict; they compute nothing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedView
from audits.api.benchmarks import FairSummarySerializer
from audits.api.fields import StrictCharField, SupportedDateField
from audits.services import scorecards as scorecard_services


class ScorecardQuerySerializer(serializers.Serializer):
    """Query parameters; `from` is a Python keyword, hence the namespace assignment."""

    locals()["from"] = SupportedDateField(
        required=False,
        help_text="First day (YYYY-MM-DD, branch time); default: 12 months before `to`.",
    )
    to = SupportedDateField(
        required=False, help_text="Last day (YYYY-MM-DD, branch time), included; default today."
    )


class ScorecardBranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()


class ScorecardItemCountSerializer(serializers.Serializer):
    item = StrictCharField()
    count = serializers.IntegerField()


class ScorecardCriticalSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Audits with at least one critical failure.")
    rate = serializers.FloatField(allow_null=True, help_text="count / n_audits, 0 to 1.")
    items = ScorecardItemCountSerializer(many=True, help_text="Failures per critical item.")


class ScorecardMonthSerializer(serializers.Serializer):
    month = StrictCharField(help_text="YYYY-MM, branch time.")
    n = serializers.IntegerField()
    mean_overall = serializers.FloatField(allow_null=True)
    pass_rate = serializers.FloatField(allow_null=True)


class ScorecardMissedSerializer(serializers.Serializer):
    item = StrictCharField()
    text = StrictCharField(allow_blank=True)
    share_earned = serializers.FloatField(help_text="Points earned / points possible, 0 to 1.")
    n = serializers.IntegerField(help_text="Audits in which the item was scored.")


class ScorecardRecentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The audit (submission) id.")
    started_at = serializers.DateTimeField()
    overall = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField()


class ScorecardActionsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open and past the due date.")
    awaiting_verification = serializers.IntegerField(help_text="Completed, not yet verified.")


class BranchScorecardSerializer(serializers.Serializer):
    branch = ScorecardBranchSerializer()
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    n_audits = serializers.IntegerField()
    mean_overall = serializers.FloatField(allow_null=True)
    dimensions = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Mean score per dimension."
    )
    sections = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Mean score per section."
    )
    pass_rate = serializers.FloatField(allow_null=True, help_text="Share passed, 0 to 1.")
    critical_failures = ScorecardCriticalSerializer()
    trend = ScorecardMonthSerializer(many=True, help_text="Every month of the period.")
    most_missed = ScorecardMissedSerializer(
        many=True, help_text="Up to 5 items with the lowest share of points earned (< 1)."
    )
    recent = ScorecardRecentSerializer(many=True, help_text="The 5 latest audits.")
    fair = FairSummarySerializer(
        allow_null=True, help_text="Fair benchmark of the latest quarter up to `to`."
    )
    actions = ScorecardActionsSerializer(help_text="What the branch owes now (GET /actions/).")


class BranchScorecardView(ScopedView):
    """Head office and reviewers of the brand, and owners of the branch; 404 for others."""

    throttle_scopes = {"*": "expensive_reads"}

    read_selector = selectors.branches_visible_to

    @extend_schema(
        parameters=[ScorecardQuerySerializer],
        responses=BranchScorecardSerializer,
        summary="A branch's scorecard over a period (no shopper identity)",
    )
    def get(self, request: Request, pk: int) -> Response:
        branch = self.scoped_object(pk)
        query = ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        card = scorecard_services.branch_scorecard(
            branch=branch,
            date_from=query.validated_data.get("from"),
            date_to=query.validated_data.get("to"),
        )
        return Response(BranchScorecardSerializer(card).data)
