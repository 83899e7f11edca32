"""A staff-only photo (a receipt) never reaches an owner: not in a list, a detail or a download."""

from __future__ import annotations

import copy
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.services.review import submission_review
from scoring.checklist import checklist_to_dict, parse_checklist
from support.factories import SMALL_CHECKLIST, AssignmentFactory, ChecklistVersionFactory
from support.helpers import client_for, jpeg_bytes, stored_submission

pytestmark = pytest.mark.django_db


def _with_receipt() -> dict:
    data = copy.deepcopy(SMALL_CHECKLIST)
    receipt = {"key": "receipt", "text": "Photo of the receipt", "type": "photo"}
    data["sections"][0]["items"].append({**receipt, "staff_only": True})
    return checklist_to_dict(parse_checklist(data))


@pytest.fixture
def visit(world, django_capture_on_commit_callbacks):
    version = ChecklistVersionFactory(template__brand=world.brand, definition=_with_receipt())
    assignment = AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=version)
    submission = stored_submission(assignment, photo_count=2)
    shopper = client_for(world.shopper)
    photos = {}
    with django_capture_on_commit_callbacks(execute=True):  # scoring runs on commit
        for item in ("storefront", "receipt"):
            image = SimpleUploadedFile(f"{item}.jpg", jpeg_bytes(), content_type="image/jpeg")
            response = shopper.post(
                f"/api/v1/submissions/{submission.pk}/photos/",
                {"image": image, "client_id": str(uuid.uuid4()), "item": item},
                format="multipart",
            )
            assert response.status_code == 201, response.content
            photos[item] = response.json()["id"]
    submission.refresh_from_db()
    assert submission.status == "scored"
    submission = submission_review(submission=submission, by=world.hq, action="release")
    return submission, photos


def _items(body: dict) -> set[str]:
    return {photo["item"] for photo in body["photos"]}


@pytest.mark.parametrize(
    "url", ["/api/v1/audits/{id}/", "/api/v1/submissions/{id}/", "/api/v1/audits/"]
)
def test_the_owner_gets_every_photo_but_the_staff_only_one(world, visit, url):
    submission, _ = visit
    body = client_for(world.owner_a).get(url.format(id=submission.pk)).json()
    row = (
        next(r for r in body["results"] if r["id"] == submission.pk) if "results" in body else body
    )
    assert _items(row) == {"storefront"}


@pytest.mark.parametrize("role", ["hq", "reviewer", "shopper"])
def test_staff_and_the_shopper_get_the_staff_only_photo(world, visit, role):
    submission, _ = visit
    body = client_for(getattr(world, role)).get(f"/api/v1/submissions/{submission.pk}/").json()
    assert _items(body) == {"storefront", "receipt"}


@pytest.mark.parametrize("variant", ["", "thumbnail/"])
def test_the_owner_cannot_download_the_staff_only_photo(world, visit, variant):
    _, photos = visit
    owner, hq = client_for(world.owner_a), client_for(world.hq)
    assert owner.get(f"/api/v1/photos/{photos['receipt']}/{variant}").status_code == 404
    assert owner.get(f"/api/v1/photos/{photos['storefront']}/{variant}").status_code == 200
    assert hq.get(f"/api/v1/photos/{photos['receipt']}/{variant}").status_code == 200


def test_only_an_item_that_takes_photos_can_be_staff_only(world):
    data = copy.deepcopy(SMALL_CHECKLIST)
    data["sections"][0]["items"][0]["staff_only"] = True  # "greeted", a yes/no item
    response = client_for(world.hq).post(
        "/api/v1/checklists/", {"template": "Visit", **data}, format="json"
    )
    assert response.status_code == 400
    attrs = [e["attr"] for e in response.json()["errors"]]
    assert any(attr.endswith(".staff_only") for attr in attrs), attrs


def test_the_default_checklist_keeps_its_receipt_for_staff():
    import json
    from pathlib import Path

    import audits

    path = Path(audits.__file__).parent / "fixtures" / "default_checklist.json"
    checklist = parse_checklist(json.loads(path.read_text()))
    assert {i.key for i in checklist.items() if i.staff_only} == {"dp_receipt_photo"}
