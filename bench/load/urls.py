"""The real URLs, and `POST /bench/ceiling/`: a bare Django view writing what a first send writes.

The ceiling is what this stack could do at best for the same work: parse the same JSON body,
then in one transaction insert the submission row, its answers (one INSERT), and move the
assignment on, with raw SQL. No authentication, validation, idempotency, serialisation or
task. Its rows are stored `awaiting_media` (photo_count 1), so the scoring worker, which claims
queued rows, never spends time on them.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from backend.urls import urlpatterns as project_urls

SUBMISSION_INSERT = """
INSERT INTO audits_submission (
    assignment_id, shopper_id, client_id, payload_hash, started_at, finished_at, latitude,
    longitude, accuracy_m, mocked_location, photo_count, status, received_at, risk, signals,
    questions, review_reason, version
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, false, 1, 'awaiting_media', %s, '', '[]', '[]',
          '', 1)
RETURNING id
"""


@csrf_exempt
def ceiling(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    location = body.get("location") or {}
    answers = body["answers"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audits_assignment SET status = 'submitted' WHERE id = %s RETURNING shopper_id",
            [body["assignment"]],
        )
        (shopper_id,) = cursor.fetchone()
        cursor.execute(
            SUBMISSION_INSERT,
            [
                body["assignment"],
                shopper_id,
                uuid.UUID(body["client_id"]),
                hashlib.sha256(request.body).hexdigest(),
                body["started_at"],
                body["finished_at"],
                location.get("latitude"),
                location.get("longitude"),
                location.get("accuracy_m"),
                timezone.now(),
            ],
        )
        (submission_id,) = cursor.fetchone()
        rows = ", ".join(["(%s, %s, %s, %s, '', %s, 1)"] * len(answers))
        params: list = []
        for position, answer in enumerate(answers):
            value = None if answer.get("na") else json.dumps(answer.get("value"))
            params += [submission_id, answer["item"], value, bool(answer.get("na")), position]
        cursor.execute(
            "INSERT INTO audits_answer (submission_id, item, value, na, comment, position, "
            f"version) VALUES {rows}",
            params,
        )
    return JsonResponse({"id": submission_id}, status=201)


urlpatterns = [path("bench/ceiling/", ceiling), *project_urls]
