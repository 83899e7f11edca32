"""Items marked `requires_photo` that the visit shows must have a photo announced.

A phone that announces fewer photos than the shown photo items would leave the audit without
its evidence (a storefront, a receipt) and still get it scored; the server refuses it up front,
naming `photo_count` and the items, and stores nothing.
"""

import copy

import pytest
from factories import SMALL_CHECKLIST, AssignmentFactory, ChecklistVersionFactory, good_answers
from helpers import submission_body

from audits.models import Answer, Submission, SubmissionStatus
from scoring.checklist import checklist_to_dict, parse_checklist

pytestmark = pytest.mark.django_db


def _checklist_with_photo_items() -> dict:
    definition = copy.deepcopy(SMALL_CHECKLIST)
    first_impression, _, recovery = definition["sections"]
    storefront = next(i for i in first_impression["items"] if i["key"] == "storefront")
    storefront["requires_photo"] = True
    recovery["items"].insert(
        2,
        {
            "key": "damage_photo",
            "text": "Photograph what went wrong",
            "type": "photo",
            "requires_photo": True,
            "show_if": {"item": "went_wrong", "equals": True},
        },
    )
    return checklist_to_dict(parse_checklist(definition))


@pytest.fixture
def assignment(world):
    version = ChecklistVersionFactory(
        template__brand=world.brand, definition=_checklist_with_photo_items()
    )
    return AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=version)


def _post(world, api, assignment, **overrides):
    body = submission_body(assignment, **overrides)
    return api(world.shopper).post("/api/v1/submissions/", body, format="json")


def test_too_few_photos_for_the_shown_photo_items_is_named_and_nothing_stored(
    world, api, assignment
):
    response = _post(world, api, assignment, photo_count=0)

    assert response.status_code == 400, response.content
    errors = {e["attr"]: e["detail"] for e in response.json()["errors"]}
    assert set(errors) == {"photo_count"}
    assert "storefront" in errors["photo_count"]
    assert "damage_photo" not in errors["photo_count"]  # hidden: nothing went wrong
    assert Submission.objects.count() == 0
    assert Answer.objects.count() == 0


def test_a_photo_item_shown_by_show_if_needs_its_photo_too(world, api, assignment):
    answers = good_answers(went_wrong=True, apology=True)

    refused = _post(world, api, assignment, photo_count=1, answers=answers)
    accepted = _post(world, api, assignment, photo_count=2, answers=answers)

    assert refused.status_code == 400, refused.content
    detail = refused.json()["errors"][0]["detail"]
    assert "storefront" in detail and "damage_photo" in detail
    assert accepted.status_code == 201, accepted.content


def test_enough_photos_announced_waits_for_them(world, api, assignment):
    response = _post(world, api, assignment, photo_count=1)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == SubmissionStatus.AWAITING_MEDIA


def test_checklists_without_photo_requirements_take_no_photos(world, api):
    response = _post(world, api, world.assignment, photo_count=0)

    assert response.status_code == 201, response.content
