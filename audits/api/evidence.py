"""Evidence photos over HTTP: the upload routes of appeals and actions share one shape and one
view body (`audits.api.files` serves the stripped copies).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from audits.api.schema import error_response
from audits.api.serializers import EvidencePhotoSerializer
from audits.services import evidence as evidence_services


class EvidenceUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC")
    client_id = serializers.UUIDField(help_text="Made by the client; the same id is a retry.")


def evidence_upload_schema(of: str) -> dict[str, Any]:
    """`extend_schema` arguments of `POST /{of}s/{id}/photos/`."""
    return {
        "request": {"multipart/form-data": EvidenceUploadSerializer},
        "responses": {
            201: EvidencePhotoSerializer,
            200: OpenApiResponse(EvidencePhotoSerializer, description="A replay of a stored photo"),
            409: error_response(
                f"client_id reused with other bytes, or the {of} takes no more evidence "
                "(evidence_closed)"
            ),
            413: error_response("Over the size limit (bytes or pixels); attr `image`"),
            415: error_response("Not a JPEG, PNG, WebP or HEIC image; attr `image`"),
        },
        "summary": f"Add an evidence photo to an {of} (its owner; idempotent on client_id)",
    }


def evidence_upload(request: Request, parent, context: dict) -> Response:
    """Read the upload, store it through the photo pipeline, answer 201 (or 200: a replay)."""
    data = EvidenceUploadSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    photo, created = evidence_services.evidence_attach(
        parent=parent,
        by=request.user,
        client_id=data.validated_data["client_id"],
        upload=data.validated_data["image"],
    )
    return Response(
        EvidencePhotoSerializer(photo, context=context).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )
