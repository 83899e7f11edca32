"""Issue 12 finding: 200 submissions in 2.4 s and 40 uploads in 1.4 s from one account, no 429.
Each rate is a setting; here they are lowered so that the test floods in a few requests."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from support.factories import jpeg_bytes
from support.helpers import client_for, new_assignment, stored_submission, submission_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submissions": "2/hour",
            "photos": "2/hour",
            "expensive_reads": "2/hour",
        },
    }


def _throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) == {"type", "errors"} and body["errors"][0]["code"] == "throttled"


def test_a_flood_of_submissions_from_one_account_is_429(world, low_rates):
    client = client_for(world.shopper)
    for _ in range(2):
        body = submission_body(new_assignment(world))
        assert client.post("/api/v1/submissions/", body, format="json").status_code == 201
    _throttled(client.post("/api/v1/submissions/", submission_body(new_assignment(world))))
    other = client_for(world.shopper2)  # per user: another shopper is not held back
    body = submission_body(new_assignment(world, shopper=world.shopper2))
    assert other.post("/api/v1/submissions/", body, format="json").status_code == 201


def test_a_flood_of_uploads_is_429(world, low_rates):
    submission = stored_submission(world.assignment, photo_count=5)
    client = client_for(world.shopper)

    def upload():
        image = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
        return client.post(
            f"/api/v1/submissions/{submission.pk}/photos/",
            {"image": image, "client_id": str(uuid.uuid4())},
            format="multipart",
        )

    assert [upload().status_code for _ in range(2)] == [201, 201]
    _throttled(upload())


def test_league_tables_are_rated_per_user(world, low_rates):
    client = client_for(world.hq)
    for _ in range(2):
        assert client.get("/api/v1/benchmarks/").status_code != 429
    _throttled(client.get("/api/v1/benchmarks/"))
