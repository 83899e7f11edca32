"""Bad answers get a 400 naming each offending item, and nothing is stored."""

import pytest

from audits.models import Answer, Submission
from support.factories import good_answers
from support.helpers import submission_body

pytestmark = pytest.mark.django_db


def _post(world, api, **overrides):
    body = submission_body(world.assignment, **overrides)
    response = api(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert Submission.objects.count() == 0, "a rejected submission must store nothing"
    assert Answer.objects.count() == 0
    assert response.status_code == 400, response.content
    return {e["attr"]: e for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("overrides", "attr"),
    [
        ({"greeted": "yes"}, "answers.greeted"),  # yes_no needs a boolean
        ({"listened": 6}, "answers.listened"),  # scale out of range
        ({"listened": 0}, "answers.listened"),
        ({"listened": True}, "answers.listened"),  # a boolean is not an integer
        ({"resolution": "maybe"}, "answers.resolution"),  # not an option key
        ({"wait_seconds": "fast"}, "answers.wait_seconds"),
        ({"notes": 12}, "answers.notes"),
        ({"greeted": "N/A"}, "answers.greeted"),  # N/A not allowed here
        ({"greeted": ...}, "answers.greeted"),  # missing answer to a shown item
        ({"apology": True}, "answers.apology"),  # hidden: nothing went wrong
    ],
)
def test_each_bad_answer_is_named(world, api, overrides, attr):
    errors = _post(world, api, answers=good_answers(**overrides))
    assert attr in errors, errors


def test_unknown_item_is_named(world, api):
    answers = [*good_answers(), {"item": "mystery", "value": True}]
    errors = _post(world, api, answers=answers)
    assert "answers.mystery" in errors


def test_several_errors_are_reported_together(world, api):
    errors = _post(world, api, answers=good_answers(greeted="yes", listened=9))
    assert {"answers.greeted", "answers.listened"} <= set(errors)


def test_shown_recovery_item_must_be_answered(world, api):
    errors = _post(world, api, answers=good_answers(went_wrong=True))
    assert "answers.apology" in errors


def test_na_allowed_item_accepts_na(world, api):
    body = submission_body(world.assignment, answers=good_answers(name_used="N/A"))
    response = api(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client_id", "not-a-uuid"),
        ("started_at", "yesterday"),
        ("photo_count", -1),
        ("location", {"latitude": 91, "longitude": 0}),
        ("answers", "everything was fine"),
    ],
)
def test_malformed_fields_are_named(world, api, field, value):
    errors = _post(world, api, **{field: value})
    assert any(attr.startswith(field) for attr in errors), errors


def test_finish_before_start_is_rejected(world, api):
    body = submission_body(world.assignment)
    errors = _post(world, api, started_at=body["finished_at"], finished_at=body["started_at"])
    assert "finished_at" in errors
