"""The schema and docs views, answering their errors (405, ...) in the shared JSON shape.

drf-spectacular's views render with their own renderers (YAML, an HTML template), so a POST
to /api/docs/ would otherwise get an HTML page and one to /api/schema/ a YAML error.
"""

from __future__ import annotations

from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.renderers import JSONRenderer


class JsonErrorsMixin:
    """Errors of this view render as JSON, whatever renderer its successes use."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from its own URL (`?script`), not inline,
    so the page runs under a Content-Security-Policy without 'unsafe-inline' scripts."""


class RedocView(JsonErrorsMixin, SpectacularRedocView):
    pass
