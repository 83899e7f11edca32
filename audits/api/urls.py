"""Routes of API v1."""

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from audits.api import benchmarks, files, views
from audits.api.actions import ActionViewSet
from audits.api.appeals import AppealViewSet
from audits.api.auth import TokenObtainView, TokenRenewView
from audits.api.brand_settings import BrandSettingsView
from audits.api.fields import DATABASE_ID
from audits.api.notifications import NotificationViewSet
from audits.api.scorecards import BranchScorecardView

app_name = "api-v1"


class DatabaseIdConverter:
    """`<id:pk>`: 1 to 18 ASCII digits, what a bigint id holds. Anything else matches no route
    and gets the API's JSON 404, never a ValueError or an overflow in the database."""

    regex = DATABASE_ID.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "id")

# SimpleRouter: one URL per resource as documented; no `.json` suffix routes, and no browsable
# root at /api/v1/ outside the schema (the landing page at / links the docs instead).
router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("franchisees", views.FranchiseeViewSet, basename="franchisee")
router.register("branches", views.BranchViewSet, basename="branch")
router.register("shoppers", views.ShopperViewSet, basename="shopper")
router.register("checklists", views.ChecklistViewSet, basename="checklist")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("audits", views.AuditViewSet, basename="audit")
router.register("review-queue", views.ReviewQueueViewSet, basename="review-queue")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("actions", ActionViewSet, basename="action")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRenewView.as_view(), name="token-refresh"),
    path("me/", views.MeView.as_view(), name="me"),
    path("photos/<id:pk>/", files.PhotoFileView.as_view(), name="photo-download"),
    path("photos/<id:pk>/thumbnail/", files.PhotoThumbnailView.as_view(), name="photo-thumbnail"),
    path("evidence/<id:pk>/", files.EvidenceFileView.as_view(), name="evidence-download"),
    path(
        "evidence/<id:pk>/thumbnail/",
        files.EvidenceThumbnailView.as_view(),
        name="evidence-thumbnail",
    ),
    path("benchmarks/", benchmarks.LeagueTableView.as_view(), name="benchmarks"),
    path("benchmarks/compare/", benchmarks.CompareView.as_view(), name="benchmarks-compare"),
    path(
        "shoppers/<id:pk>/calibration/",
        benchmarks.ShopperCalibrationView.as_view(),
        name="shopper-calibration",
    ),
    path(
        "submissions/<id:pk>/signals/",
        views.SubmissionSignalsView.as_view(),
        name="submission-signals",
    ),
    path("brands/<id:pk>/settings/", BrandSettingsView.as_view(), name="brand-settings"),
    path("branches/<id:pk>/scorecard/", BranchScorecardView.as_view(), name="branch-scorecard"),
    *router.urls,
]
