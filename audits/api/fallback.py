"""Any path under /api/ that no route matches: a 404 in the shared JSON error shape.

Without this, `/api/v1/photos/abc/` or an unknown action would get Django's HTML 404 page
(or its debug page with DEBUG on), which no API client can parse.
"""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView


def _routed(path: str) -> bool:
    """Whether `path` reaches a real view, not this catch-all."""
    try:
        return resolve(path).url_name != "api-not-found"
    except Resolver404:
        return False


class ApiNotFoundView(APIView):
    """Answers every method with 404; a path missing only its trailing slash is redirected
    (GET, HEAD) or pointed at (other methods, whose body a redirect would lose)."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None  # not an endpoint: kept out of the OpenAPI document

    def _not_found(self, request: Request, *args, **kwargs):
        path = request.path
        if not path.endswith("/") and _routed(path + "/"):
            if request.method in ("GET", "HEAD"):
                # What Django's APPEND_SLASH did before this catch-all matched every path.
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(f"{path}/" + (f"?{query}" if query else ""))
            raise NotFound(f"No such API path; did you mean {path}/ ?")
        raise NotFound("No such API path.")

    get = post = put = patch = delete = head = options = _not_found
