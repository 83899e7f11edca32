"""Permission-checked downloads of stripped images: shoppers' photos and owners' evidence.

Each one is served only to those who may read what it belongs to (a 404 otherwise), as a
private, cacheable JPEG that a browser never sniffs into anything else.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from audits import selectors
from audits.api.base import ScopedView
from audits.api.schema import error_response

NOT_YOURS = error_response("Not found, or not the caller's to see")


def _jpeg(summary: str):
    return extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="A JPEG"),
            404: NOT_YOURS,
        },
        summary=summary,
    )


class ImageFileView(ScopedView):
    """The `variant` file (image or thumbnail) of a row `read_selector` lets the caller see."""

    variant = "image"

    def serve(self, pk: int) -> FileResponse:
        row = self.scoped_object(pk)
        field = getattr(row, self.variant)
        response = FileResponse(field.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PhotoFileView(ImageFileView):
    """A shopper's photo, to those who may read its submission; staff-only ones to staff."""

    read_selector = selectors.photos_visible_to

    @_jpeg("Download a photo (permission-checked)")
    def get(self, request: Request, pk: int) -> FileResponse:
        return self.serve(pk)


class PhotoThumbnailView(PhotoFileView):
    variant = "thumbnail"


class EvidenceFileView(ImageFileView):
    """An owner's evidence photo, to those who may read its appeal or action."""

    read_selector = selectors.evidence_visible_to

    @_jpeg("Download an evidence photo of an appeal or action (permission-checked)")
    def get(self, request: Request, pk: int) -> FileResponse:
        return self.serve(pk)


class EvidenceThumbnailView(EvidenceFileView):
    variant = "thumbnail"
