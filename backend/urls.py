"""Top-level routes: the versioned API, its schema and docs, the admin and a health check."""

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path, re_path

from audits.api.docs import RedocView, SchemaView, SwaggerView
from audits.api.fallback import ApiNotFoundView


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def landing(request: HttpRequest) -> HttpResponse:
    """`/`: where the docs, the schema, the API and the admin are."""
    return render(request, "touchpoint/landing.html")


urlpatterns = [
    path("", landing, name="landing"),
    path("api/v1/", include("audits.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    # Last under /api/: any other path is a JSON 404, with DEBUG on or off.
    re_path(r"^api/", ApiNotFoundView.as_view(), name="api-not-found"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
