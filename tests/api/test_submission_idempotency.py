"""A phone may send the same submission many times; only the first one is stored."""

import pytest

from audits.models import Answer, Submission
from support.helpers import new_assignment, submission_body

pytestmark = pytest.mark.django_db


def test_first_send_is_201_and_stores_answers(world, api, django_capture_on_commit_callbacks):
    body = submission_body(world.assignment)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.shopper).post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["client_id"] == body["client_id"]
    assert Answer.objects.filter(submission_id=data["id"]).count() == len(body["answers"])
    world.assignment.refresh_from_db()
    assert world.assignment.status in {"submitted", "scored"}


def test_replay_with_same_body_is_200_and_the_same_submission(world, api):
    client = api(world.shopper)
    body = submission_body(world.assignment)
    first = client.post("/api/v1/submissions/", body, format="json")
    again = client.post("/api/v1/submissions/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Submission.objects.count() == 1


def test_same_client_id_with_another_body_is_409(world, api):
    client = api(world.shopper)
    body = submission_body(world.assignment)
    client.post("/api/v1/submissions/", body, format="json")
    changed = {**body, "answers": submission_body(world.assignment)["answers"][:-1]}
    changed["answers"].append({"item": "notes", "value": "Changed my mind"})
    response = client.post("/api/v1/submissions/", changed, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert Answer.objects.filter(value="Changed my mind").count() == 0


def test_second_submission_for_one_assignment_is_409(world, api):
    client = api(world.shopper)
    client.post("/api/v1/submissions/", submission_body(world.assignment), format="json")
    response = client.post("/api/v1/submissions/", submission_body(world.assignment), format="json")
    assert response.status_code == 409
    assert Submission.objects.count() == 1


def test_client_ids_are_per_shopper(world, api):
    """Two shoppers' phones may (astronomically rarely) make the same UUID."""
    body = submission_body(world.assignment)
    other = new_assignment(world, shopper=world.shopper2)
    assert api(world.shopper).post("/api/v1/submissions/", body, format="json").status_code == 201
    body2 = submission_body(other, client_id=body["client_id"])
    assert api(world.shopper2).post("/api/v1/submissions/", body2, format="json").status_code == 201


def test_submitting_someone_elses_assignment_is_400_naming_assignment(world, api):
    response = api(world.shopper2).post(
        "/api/v1/submissions/", submission_body(world.assignment), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "assignment"
    assert Submission.objects.count() == 0


def test_cancelled_assignment_takes_no_submission(world, api):
    world.assignment.status = "cancelled"
    world.assignment.save()
    response = api(world.shopper).post(
        "/api/v1/submissions/", submission_body(world.assignment), format="json"
    )
    assert response.status_code == 409
