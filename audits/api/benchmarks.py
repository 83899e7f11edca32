"""Fair league tables, side-by-side comparison and shopper calibration (read-only, thin).

Everything shown was computed when the snapshot was built (audits.services.benchmarks); a
request only looks rows up. Who sees what is decided in audits.selectors.
"""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import selectors
from audits.api.base import ScopedView, requested_brand
from audits.api.fields import DATABASE_ID, StrictCharField
from audits.api.pagination import Pagination
from audits.api.permissions import ReadsBenchmarks, ReadsCalibration
from audits.api.schema import error_response
from audits.models import BenchmarkSnapshot, PeriodKind
from audits.services.benchmarks.periods import period_kind_of
from audits.services.benchmarks.reads import branches_compare, shopper_calibration
from audits.services.benchmarks.served import BRANCH_ONLY_FIELDS, served_peers
from scoring.benchmark.records import LEVELS, OVERALL

_DIMENSION_RE = re.compile(r"^[a-z0-9_]{1,100}$")
MAX_COMPARED = 20

# --- Shapes (documented in the OpenAPI schema) -------------------------------------------------


class LeagueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Branch, franchisee or region id.")
    name = StrictCharField()
    n = serializers.IntegerField(help_text="Counted audits in the period.")
    raw_mean = serializers.FloatField(help_text="Plain mean of the counted audits' scores.")
    fair_score = serializers.FloatField(
        help_text="What a typical shopper would report: brand mean + unit effect."
    )
    interval = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="90% interval."
    )
    percentile = serializers.FloatField(help_text="0 = bottom, 100 = top of the brand's units.")
    percentile_interval = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2
    )
    rank = serializers.IntegerField(help_text="1 = best fair score among the brand's units.")
    change = serializers.FloatField(
        allow_null=True, help_text="Fair score minus the previous period's."
    )
    change_significant = serializers.BooleanField(
        help_text="The change survives Benjamini-Hochberg at FDR 10% across the level's units."
    )
    few_audits = serializers.BooleanField(help_text="Fewer counted audits than the brand minimum.")
    critical_failure_rate = serializers.FloatField(
        help_text="Share of audits with a critical failure, shrunk towards the brand (0-1): "
        "the raw share critical_failures / critical_audits, pulled towards the brand's rate "
        "the fewer audits there are."
    )
    # Not required: rows of tables built before issue 14 are served as they were stored.
    critical_failures = serializers.IntegerField(
        min_value=0,
        required=False,
        help_text="Audits with a critical item failed, the raw count the rate is shrunk from "
        "(absent from tables built before it was kept).",
    )
    critical_audits = serializers.IntegerField(
        min_value=0,
        required=False,
        help_text="Audits the critical-failure rate counts (absent from tables built before "
        "it was kept).",
    )
    region_percentile = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Branch rows only: percentile among the branches of its region "
        "(null without a region).",
    )
    region_percentile_interval = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        required=False,
        allow_null=True,
        help_text="Branch rows only: 90% interval of the within-region percentile.",
    )
    region_rank = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Branch rows only: 1 = best fair score in its region.",
    )

    def to_representation(self, row: dict) -> dict:
        """Rows of other levels have no within-region standing: leave the keys out, not null."""
        data = super().to_representation(row)
        for name in BRANCH_ONLY_FIELDS:
            if name not in row:
                data.pop(name, None)
        return data


class PeersSerializer(serializers.Serializer):
    q1 = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    q3 = serializers.FloatField(allow_null=True)
    n_units = serializers.IntegerField()


class LeaguePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Rows the caller may see.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LeagueRowSerializer(many=True)
    peers = PeersSerializer(help_text="Fair-score quartiles of all the level's units, unnamed.")
    period = StrictCharField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    level = serializers.ChoiceField(choices=LEVELS)
    dimension = StrictCharField()
    built_at = serializers.DateTimeField()


class CompareFigureSerializer(serializers.Serializer):
    fair_score = serializers.FloatField()
    interval = serializers.ListField(child=serializers.FloatField())
    percentile = serializers.FloatField()
    percentile_interval = serializers.ListField(child=serializers.FloatField())
    rank = serializers.IntegerField()
    n = serializers.IntegerField()
    few_audits = serializers.BooleanField()


class TrendPointSerializer(serializers.Serializer):
    period = StrictCharField(help_text="A month key.")
    fair_score = serializers.FloatField(allow_null=True, help_text="Null: not audited that month.")
    interval = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    n = serializers.IntegerField()


class CompareBranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    overall = CompareFigureSerializer(allow_null=True)
    dimensions = serializers.DictField(
        child=CompareFigureSerializer(allow_null=True), help_text="By dimension key."
    )
    trend = TrendPointSerializer(many=True, help_text="Overall fair score month by month.")


class CompareSerializer(serializers.Serializer):
    period = StrictCharField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    dimensions = serializers.ListField(child=StrictCharField())
    months = serializers.ListField(child=StrictCharField())
    branches = CompareBranchSerializer(many=True)


class FairSummarySerializer(serializers.Serializer):
    """A branch's fair score on its scorecard (null until a snapshot holds the branch)."""

    period = StrictCharField(help_text="The quarter of the latest snapshot.")
    fair_score = serializers.FloatField()
    interval = serializers.ListField(child=serializers.FloatField(), help_text="90% interval.")
    percentile = serializers.FloatField(help_text="Among the brand's branches, 100 = top.")
    percentile_interval = serializers.ListField(child=serializers.FloatField())
    few_audits = serializers.BooleanField()


class CalibrationSerializer(serializers.Serializer):
    shopper = serializers.IntegerField()
    leniency = serializers.FloatField(
        help_text="Score points; positive grades softer than the typical shopper."
    )
    interval = serializers.ListField(child=serializers.FloatField(), help_text="90% interval.")
    n = serializers.IntegerField(help_text="Audits the estimate rests on.")
    period = StrictCharField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)


# --- Parameters ---------------------------------------------------------------------------------

PERIOD = OpenApiParameter(
    "period", OpenApiTypes.STR, required=True, description="2026-Q3, 2026-11 or 2026."
)
ROLLING = OpenApiParameter(
    "rolling",
    OpenApiTypes.BOOL,
    description="Rank on the four quarters ending at the (quarter) period.",
)
BRAND = OpenApiParameter(
    "brand", OpenApiTypes.INT, description="Only for callers who act for several brands."
)


def _rolling(request: Request) -> bool:
    value = request.query_params.get("rolling", "false").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ValidationError({"rolling": ["Expected true or false."]})


def _period(request: Request, *, required: bool = True) -> tuple[str, str] | None:
    """(period key, stored period kind) from ?period= and ?rolling=, or a 400 naming them."""
    key = request.query_params.get("period")
    rolling = _rolling(request)
    if not key:
        if required:
            raise ValidationError({"period": ["This parameter is required."]})
        return None
    key = key.strip()
    try:
        kind = period_kind_of(key)
    except ValueError:
        raise ValidationError(
            {"period": ["Expected a period key such as 2026-Q3, 2026-11 or 2026."]}
        ) from None
    if rolling:
        try:  # the service's rule: a rolling window is labelled by a quarter
            kind = period_kind_of(key, rolling=True)
        except ValueError:
            raise ValidationError(
                {"rolling": ["A rolling window ends at a quarter, e.g. 2026-Q3."]}
            ) from None
    return key, kind


def _choice(request: Request, name: str, default: str, allowed) -> str:
    value = request.query_params.get(name, default).strip()
    if value not in allowed:
        raise ValidationError({name: [f"Expected one of: {', '.join(allowed)}."]})
    return value


def _dimension(request: Request) -> str:
    value = request.query_params.get("dimension", OVERALL).strip()
    if not _DIMENSION_RE.match(value):
        raise ValidationError({"dimension": ['Expected "overall" or a dimension key.']})
    return value


def _one_snapshot(request: Request, snapshots) -> BenchmarkSnapshot | None:
    """The one snapshot matching, for the caller's brand (`brand` when they have several)."""
    readable = selectors.benchmark_brand_ids(request.user)
    brand = selectors.brand_among(readable, requested_brand(request))
    return None if brand is None else snapshots.filter(brand_id=brand).first()


def _not_found(request: Request, key: str, kind: str, dimension: str) -> Exception:
    """404 for a valid period without a snapshot; 400 when the dimension is unknown."""
    known = selectors.benchmark_snapshots_visible_to(request.user)
    if dimension != OVERALL and not known.filter(dimension=dimension).exists():
        return ValidationError({"dimension": [f"No league table has the dimension {dimension!r}."]})
    return NotFound(
        f"No {kind} league table for {key} ({dimension}) yet: no counted audit in that period, "
        "or the nightly refresh has not built it."
    )


# --- Views ---------------------------------------------------------------------------------------


class LeagueTableView(ScopedView):
    """GET /benchmarks/: one level's fair league table, best first, one page at a time."""

    throttle_scopes = {"*": "expensive_reads"}

    permission_classes = [IsAuthenticated, ReadsBenchmarks]

    @extend_schema(
        summary="Fair league table of branches, franchisees or regions",
        description=(
            "Rows ordered by fair score (best first). Head office and reviewers see every row "
            "of their brand; a franchise owner sees the rows of their own branches and "
            "franchisee only. Everyone gets `peers`, the quartiles of all the level's fair "
            "scores without names. A valid period without a snapshot is a 404."
        ),
        parameters=[
            PERIOD,
            OpenApiParameter("level", OpenApiTypes.STR, enum=list(LEVELS), default="branch"),
            OpenApiParameter(
                "dimension", OpenApiTypes.STR, default=OVERALL, description="Or a dimension key."
            ),
            ROLLING,
            BRAND,
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 200."),
        ],
        responses={
            200: LeaguePageSerializer,
            400: error_response("A malformed period, level, dimension or brand (named in attr)"),
            403: error_response("Shoppers do not see league tables"),
            404: error_response("No snapshot for this period and dimension"),
        },
    )
    def get(self, request: Request) -> Response:
        key, kind = _period(request)
        level = _choice(request, "level", "branch", LEVELS)
        dimension = _dimension(request)
        snapshot = _one_snapshot(
            request,
            selectors.benchmark_snapshots_visible_to(request.user).filter(
                period=key, period_kind=kind, dimension=dimension
            ),
        )
        if snapshot is None:
            raise _not_found(request, key, kind, dimension)
        rows = (
            selectors.benchmark_rows_visible_to(request.user, snapshot)
            .filter(level=level)
            .values_list("row", flat=True)
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        body = paginator.get_paginated_response(list(page)).data
        body.update(
            peers=served_peers(snapshot.summary.get(level) or {}),
            period=snapshot.period,
            period_kind=snapshot.period_kind,
            level=level,
            dimension=snapshot.dimension,
            built_at=snapshot.built_at,
        )
        return Response(LeaguePageSerializer(body).data)


def _branch_ids(request: Request) -> list[int]:
    text = request.query_params.get("branches", "")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(DATABASE_ID.fullmatch(p) for p in parts):
        raise ValidationError({"branches": ["Expected branch ids separated by commas: 1,2,3."]})
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) > MAX_COMPARED:
        raise ValidationError({"branches": [f"Compare at most {MAX_COMPARED} branches."]})
    return ids


class CompareView(ScopedView):
    """GET /benchmarks/compare/: chosen branches side by side, every dimension and the trend."""

    throttle_scopes = {"*": "expensive_reads"}

    permission_classes = [IsAuthenticated, ReadsBenchmarks]

    @extend_schema(
        summary="Branches side by side: overall, every dimension and the monthly trend",
        parameters=[
            OpenApiParameter(
                "branches", OpenApiTypes.STR, required=True, description="Ids, e.g. 1,2,3."
            ),
            PERIOD,
            ROLLING,
        ],
        responses={
            200: CompareSerializer,
            400: error_response("Malformed or unknown branches or period (named in attr)"),
            403: error_response("Shoppers do not see league tables"),
            404: error_response("No snapshot for this period"),
        },
    )
    def get(self, request: Request) -> Response:
        ids = _branch_ids(request)
        key, kind = _period(request)
        compared = branches_compare(user=request.user, branch_ids=ids, key=key, kind=kind)
        return Response(CompareSerializer(compared).data)


class ShopperCalibrationView(ScopedView):
    """GET /shoppers/{id}/calibration/: a shopper's estimated leniency, for head office."""

    throttle_scopes = {"*": "expensive_reads"}

    permission_classes = [IsAuthenticated, ReadsCalibration]
    read_selector = selectors.calibration_shoppers_visible_to

    @extend_schema(
        summary="A shopper's leniency (score points, positive = grades softer) with its interval",
        description=(
            "From the overall snapshot of `period` (with `rolling`), or by default the latest "
            "quarter whose snapshot includes the shopper; quarter and month snapshots learn "
            "leniency from the four quarters ending with the period. Head office and reviewers "
            "of the shopper's brand only; owners never see it."
        ),
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, description="Default: latest quarter."),
            ROLLING,
        ],
        responses={
            200: CalibrationSerializer,
            400: error_response("A malformed period or rolling (named in attr)"),
            403: error_response("Not head office or a reviewer"),
            404: error_response("Unknown shopper, or no snapshot includes them"),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        period = _period(request, required=False)
        shopper = self.scoped_object(pk)
        calibration = shopper_calibration(user=request.user, shopper=shopper, period=period)
        return Response(CalibrationSerializer(calibration).data)
