"""Any path under /api/ that no route matches: a 404 in the shared JSON error shape.

Without this, `/api/v1/photos/abc/` or an unknown action would get Django's HTML 404 page
(or its debug page with DEBUG on), which no API client can parse.
"""

from __future__ import annotations

from django.urls import Resolver404, resolve
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiNotFoundView(APIView):
    """Answers every method with 404; suggests the path with a trailing slash if that exists."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None  # not an endpoint: kept out of the OpenAPI document

    def _not_found(self, request: Request, *args, **kwargs):
        path = request.path
        if not path.endswith("/"):
            try:
                match = resolve(path + "/")
            except Resolver404:
                match = None
            if match is not None and match.func.__name__ != ApiNotFoundView.__name__:
                raise NotFound(f"No such API path; did you mean {path}/ ?")
        raise NotFound("No such API path.")

    get = post = put = patch = delete = head = options = _not_found
