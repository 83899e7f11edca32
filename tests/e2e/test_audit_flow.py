"""From head office's login to a scored audit the franchise owner reads, all over real HTTP.

Why end to end: every step below is tested on its own elsewhere, but only here do they meet
the way a phone and a worker meet them in production: tokens from the real endpoint, a
submission that waits for its photo, a task published to Redis only once the commit landed,
a separate worker process scoring the committed rows, and the owner reading it back without
learning who the shopper was.
"""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from audits.models import Photo, Role, Score, Submission
from support.factories import (
    PASSWORD,
    BranchFactory,
    BrandFactory,
    FranchiseeFactory,
    MembershipFactory,
)
from support.factories import UserFactory as _UserFactory
from support.helpers import jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCORE_TIMEOUT = 30.0

# Small, but with the two rules a phone must get right: an item shown only when an earlier
# answer says so, and photos (a photo item, and a yes/no item that wants one as evidence).
CHECKLIST = {
    "title": "E2E branch visit",
    "pass_mark": 70,
    "critical_policy": "flag",
    "sections": [
        {
            "key": "arrival",
            "title": "Arrival",
            "dimension": "first_impression",
            "items": [
                {
                    "key": "greeted",
                    "text": "Greeted within a minute?",
                    "type": "yes_no",
                    "weight": 2,
                },
                {
                    "key": "storefront",
                    "text": "Photo of the storefront",
                    "type": "photo",
                    "requires_photo": True,
                },
                {
                    "key": "clean",
                    "text": "Storefront clean?",
                    "type": "yes_no",
                    "requires_photo": True,
                },
            ],
        },
        {
            "key": "service",
            "title": "Service",
            "dimension": "care_and_concern",
            "items": [
                {"key": "listened", "text": "Listened?", "type": "scale", "scale_max": 5},
                {
                    "key": "resolution",
                    "text": "How was your question handled?",
                    "type": "choice",
                    "options": [
                        {"key": "solved", "label": "Solved at once", "points": 1},
                        {"key": "referred", "label": "Referred elsewhere", "points": 0.5},
                        {"key": "ignored", "label": "Not handled", "points": 0},
                    ],
                },
                {
                    "key": "went_wrong",
                    "text": "Did anything go wrong?",
                    "type": "yes_no",
                    "weight": 0,
                },
                {
                    "key": "apology",
                    "text": "Was an apology offered?",
                    "type": "yes_no",
                    "show_if": {"item": "went_wrong", "equals": True},
                },
            ],
        },
    ],
}

ANSWERS = [
    {"item": "greeted", "value": True},
    {"item": "clean", "value": False, "comment": "Bins overflowing by the door"},
    {"item": "listened", "value": 4},
    {"item": "resolution", "value": "referred"},
    {"item": "went_wrong", "value": True},
    {"item": "apology", "value": True, "comment": "Sincere apology"},
]

# Worked out by hand from docs/scoring.md, not by the engine:
#   arrival: greeted 2 of 2, clean 0 of 1, the photo item unscored     -> 2 / 3    = 66.67
#   service: listened 1 x (4-1)/(5-1) = 0.75 of 1, referred 0.5 of 1,
#            went_wrong weight 0, apology shown (went_wrong = yes) 1 of 1 -> 2.25 / 3 = 75
#   overall, pooled: 4.25 / 6 = 70.83 >= pass mark 70, no critical item -> passed
EXPECTED_OVERALL = 70.83
EXPECTED_SECTIONS = {"arrival": 66.67, "service": 75.0}
EXPECTED_DIMENSIONS = {"first_impression": 66.67, "care_and_concern": 75.0}
EXPECTED_ITEMS = {
    "greeted": (2.0, 2.0, "answered"),
    "storefront": (0.0, 0.0, "unscored"),
    "clean": (0.0, 1.0, "answered"),
    "listened": (0.75, 1.0, "answered"),
    "resolution": (0.5, 1.0, "answered"),
    "went_wrong": (0.0, 0.0, "answered"),
    "apology": (1.0, 1.0, "answered"),
}


def _member(role, brand, franchisee=None, **fields):
    user = _UserFactory(**fields)
    MembershipFactory(user=user, role=role, brand=brand, franchisee=franchisee)
    return user


def _wait_until_scored(client, submission_id: int) -> dict:
    """Poll the submission as its phone would until the worker has scored it."""
    deadline = time.monotonic() + SCORE_TIMEOUT
    while True:
        response = client.get(f"/api/v1/submissions/{submission_id}/")
        assert response.status == 200, response.text
        data = response.json()
        if data["status"] == "scored" and data["score"] is not None:
            return data
        assert time.monotonic() < deadline, f"not scored in {SCORE_TIMEOUT:.0f} s: {data}"
        time.sleep(0.1)


def _keys_naming_a_person(data, path="") -> list[str]:
    """Paths of non-empty values under keys that would identify a user, anywhere in the tree."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else key
            if any(word in key.lower() for word in ("shopper", "user", "email")) and value:
                found.append(here)
            found += _keys_naming_a_person(value, here)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _keys_naming_a_person(value, f"{path}[{index}]")
    return found


def test_login_to_scored_audit_read_back_by_the_owner(http, celery_publishing):
    worker = celery_publishing
    brand = BrandFactory(name="E2E Coffee")
    franchisee = FranchiseeFactory(brand=brand, name="Oak Franchising")
    branch = BranchFactory(franchisee=franchisee, name="York Minster")
    rival = FranchiseeFactory(brand=brand, name="Elm Franchising")
    BranchFactory(franchisee=rival, name="Hull Marina")
    hq = _member(Role.HEAD_OFFICE, brand, username="e2e-hq")
    owner = _member(Role.OWNER, brand, franchisee, username="e2e-owner")
    other_owner = _member(Role.OWNER, brand, rival, username="e2e-other-owner")

    # Head office: sign in, publish the checklist, create the shopper, offer the visit.
    office = http.login(hq.username, PASSWORD)
    published = office.post("/api/v1/checklists/", {"template": "E2E visit", **CHECKLIST})
    assert published.status == 201, published.text
    version_id = published.json()["id"]

    token = uuid.uuid4().hex[:8]
    shopper_login = {
        "username": f"mystery-{token}",
        "password": "Velvet-Harbour-Lantern-42",
        "email": f"mystery-{token}@shoppers.example",
    }
    created = office.post("/api/v1/shoppers/", shopper_login)
    assert created.status == 201, created.text
    shopper_id = created.json()["id"]

    now = timezone.now()
    offered = office.post(
        "/api/v1/assignments/",
        {
            "branch": branch.pk,
            "shopper": shopper_id,
            "checklist": version_id,
            "scenario": "Ask for a gluten-free option",
            "window_start": (now - timedelta(hours=3)).isoformat(),
            "window_end": (now + timedelta(days=2)).isoformat(),
        },
    )
    assert offered.status == 201, offered.text
    assignment_id = offered.json()["id"]

    # The shopper's phone: sign in, find the visit, accept it, fetch its checklist.
    phone = http.login(shopper_login["username"], shopper_login["password"])
    listed = phone.get("/api/v1/assignments/")
    assert listed.status == 200, listed.text
    assert [(a["id"], a["status"]) for a in listed.json()["results"]] == [
        (assignment_id, "offered")
    ]
    accepted = phone.post(f"/api/v1/assignments/{assignment_id}/accept/")
    assert accepted.status == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    checklist = phone.get(f"/api/v1/checklists/{version_id}/")
    assert checklist.status == 200, checklist.text
    items = {item["key"]: item for s in checklist.json()["sections"] for item in s["items"]}
    assert items["apology"]["show_if"] == {"item": "went_wrong", "equals": True}
    assert items["storefront"]["requires_photo"] is True

    # Answers, then the same request again as a retry after a lost response. The visit starts
    # after the offer (an earlier one is refused) and, to keep the test short, reports a
    # finish a few minutes ahead: within a phone clock's drift.
    started = timezone.now()
    body = {
        "client_id": str(uuid.uuid4()),
        "assignment": assignment_id,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=8)).isoformat(),
        "location": {"latitude": 53.962, "longitude": -1.082, "accuracy_m": 8.0},
        "photo_count": 1,
        "answers": ANSWERS,
    }
    first = phone.post("/api/v1/submissions/", body)
    assert first.status == 201, first.text
    submission_id = first.json()["id"]
    assert first.json()["status"] == "awaiting_media"
    retry = phone.post("/api/v1/submissions/", body)
    assert retry.status == 200, retry.text
    assert retry.json()["id"] == submission_id

    # The announced photo, sent twice as well; only then does the submission go to scoring.
    photo_form = {"client_id": str(uuid.uuid4()), "item": "storefront"}
    photo_file = {"image": ("storefront.jpg", jpeg_bytes(size=(320, 240)), "image/jpeg")}
    uploaded = phone.request(
        "POST", f"/api/v1/submissions/{submission_id}/photos/", data=photo_form, files=photo_file
    )
    assert uploaded.status == 201, uploaded.text
    again = phone.request(
        "POST", f"/api/v1/submissions/{submission_id}/photos/", data=photo_form, files=photo_file
    )
    assert again.status == 200, again.text
    assert again.json()["id"] == uploaded.json()["id"]

    scored = _wait_until_scored(phone, submission_id)
    score = scored["score"]
    assert score["overall"] == EXPECTED_OVERALL
    assert score["passed"] is True
    assert score["critical_failures"] == []
    assert score["sections"] == EXPECTED_SECTIONS
    assert score["dimensions"] == EXPECTED_DIMENSIONS
    assert {i["item"]: (i["earned"], i["possible"], i["reason"]) for i in score["items"]} == (
        EXPECTED_ITEMS
    )
    # The worker scored it, not this process: its log names the task and the Score it made.
    score_row = Score.objects.get(submission_id=submission_id)
    worker.wait_for_log(
        rf"audits\.tasks\.score_submission\[[0-9a-f-]+\] succeeded in .*: {score_row.pk}$"
    )
    assert Submission.objects.count() == 1
    assert Photo.objects.filter(submission_id=submission_id).count() == 1

    # Quality control: not the owner's to read until head office releases it.
    owner_client = http.login(owner.username, PASSWORD)
    assert owner_client.get(f"/api/v1/audits/{submission_id}/").status == 404
    queue = office.get("/api/v1/review-queue/")
    assert [row["id"] for row in queue.json()["results"]] == [submission_id], queue.text
    claimed = office.post(f"/api/v1/submissions/{submission_id}/claim/", {})
    assert claimed.status == 200, claimed.text
    released = office.post(f"/api/v1/submissions/{submission_id}/review/", {"action": "release"})
    assert released.status == 200, released.text
    assert released.json()["status"] == "released"

    # The franchise owner: the audit, its answers, score and photo, and no shopper identity.
    audits = owner_client.get("/api/v1/audits/")
    assert audits.status == 200, audits.text
    assert [a["id"] for a in audits.json()["results"]] == [submission_id]
    audit = owner_client.get(f"/api/v1/audits/{submission_id}/")
    assert audit.status == 200, audit.text
    data = audit.json()
    assert data["branch"]["id"] == branch.pk
    assert data["score"]["overall"] == EXPECTED_OVERALL
    assert data["score"]["sections"] == EXPECTED_SECTIONS
    assert {a["item"]: (a["value"], a["comment"]) for a in data["answers"]} == {
        a["item"]: (a["value"], a.get("comment", "")) for a in ANSWERS
    }
    assert data["shopper"] is None
    assert _keys_naming_a_person(data) == []
    for response in (audits, audit):
        for secret in (shopper_login["username"], shopper_login["email"], "mystery-"):
            assert secret not in response.text
    [photo] = data["photos"]
    assert photo["item"] == "storefront"
    assert "gps_latitude" not in photo and "taken_at" not in photo  # staff-only evidence

    download = owner_client.get(photo["url"])
    assert download.status == 200, download.text
    assert download.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(download.body))
    assert (image.format, image.size) == ("JPEG", (320, 240))
    assert not image.getexif()

    # Another owner of the same brand sees neither the audit nor its photo.
    stranger = http.login(other_owner.username, PASSWORD)
    assert stranger.get(f"/api/v1/audits/{submission_id}/").status == 404
    assert stranger.get(photo["url"]).status == 404
    assert stranger.get("/api/v1/audits/").json()["results"] == []
