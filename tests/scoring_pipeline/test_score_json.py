"""The score as the API shows it: the issue's shape, numbers as numbers, and its schema."""

from __future__ import annotations

import pytest

from audits.models import Score
from scoring.checklist import checklist_to_dict, parse_checklist
from scoring.engine import ENGINE_VERSION
from support.factories import (
    AssignmentFactory,
    ChecklistVersionFactory,
    ScoreFactory,
    good_answers,
)
from support.helpers import scored_submission, submission_body

pytestmark = pytest.mark.django_db

SCORE_KEYS = {
    "overall",
    "passed",
    "critical_failures",
    "sections",
    "dimensions",
    "items",
    "engine_version",
    "scored_at",
}

# The worked example of issue 3 and docs/scoring.md, as a one-section checklist.
WORKED_EXAMPLE = {
    "title": "Worked example",
    "sections": [
        {
            "key": "s",
            "title": "S",
            "dimension": "care_and_concern",
            "items": [
                {"key": "a", "text": "A", "type": "yes_no", "weight": 2},
                {"key": "b", "text": "B", "type": "scale", "scale_max": 5, "weight": 1},
                {"key": "c", "text": "C", "type": "yes_no", "weight": 1, "na_allowed": True},
                {"key": "d", "text": "D", "type": "yes_no", "weight": 1, "bonus": True},
            ],
        }
    ],
}


def _post_and_read(api, world, assignment, answers, capture):
    client = api(world.shopper)
    body = submission_body(assignment, answers=answers)
    with capture(execute=True):
        created = client.post("/api/v1/submissions/", body, format="json")
    assert created.status_code == 201, created.content
    return client.get(f"/api/v1/submissions/{created.json()['id']}/")


def test_worked_example_through_http(world, api, django_capture_on_commit_callbacks):
    version = ChecklistVersionFactory(
        template__brand=world.brand,
        definition=checklist_to_dict(parse_checklist(WORKED_EXAMPLE)),
    )
    assignment = AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=version)
    answers = [
        {"item": "a", "value": False},
        {"item": "b", "value": 4},
        {"item": "c", "na": True},
        {"item": "d", "value": True},
    ]
    response = _post_and_read(api, world, assignment, answers, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "scored"
    got = data["score"]
    assert set(got) == SCORE_KEYS
    assert got["overall"] == 58.33
    assert isinstance(got["overall"], float)
    assert got["passed"] is False
    assert got["critical_failures"] == []
    assert got["sections"] == {"s": 58.33}
    assert got["dimensions"] == {"care_and_concern": 58.33}
    assert got["engine_version"] == ENGINE_VERSION
    assert got["scored_at"]
    items = {row["item"]: row for row in got["items"]}
    assert [row["item"] for row in got["items"]] == ["a", "b", "c", "d"]
    assert {k: (v["earned"], v["possible"], v["reason"]) for k, v in items.items()} == {
        "a": (0.0, 2.0, "answered"),
        "b": (0.75, 1.0, "answered"),
        "c": (0.0, 0.0, "na"),
        "d": (1.0, 0.0, "bonus"),
    }
    earned = sum(row["earned"] for row in got["items"])
    possible = sum(row["possible"] for row in got["items"])
    assert (earned, possible) == (1.75, 3.0)
    # The audit view shows the very same score to head office.
    audit = api(world.hq).get(f"/api/v1/audits/{data['id']}/")
    assert audit.status_code == 200
    assert audit.json()["score"] == got


def test_score_is_null_until_scored(world, api):
    client = api(world.shopper)
    # Without running on-commit callbacks the scoring task is never sent.
    created = client.post("/api/v1/submissions/", submission_body(world.assignment), format="json")
    assert created.status_code == 201
    data = client.get(f"/api/v1/submissions/{created.json()['id']}/").json()
    assert data["status"] == "queued"
    assert data["score"] is None


def test_critical_failure_is_listed_and_fails(world, api, django_capture_on_commit_callbacks):
    response = _post_and_read(
        api,
        world,
        world.assignment,
        good_answers(courteous=False),
        django_capture_on_commit_callbacks,
    )
    score = response.json()["score"]
    assert score["critical_failures"] == ["courteous"]
    assert score["passed"] is False
    assert score["overall"] is not None


def test_reads_show_the_current_row_after_a_rescore(world, api):
    submission = scored_submission(world)
    first = Score.objects.get(submission=submission)
    # A re-score writes a new current row (revision 1); pretend the first one said otherwise.
    ScoreFactory(submission=submission)
    Score.objects.filter(pk=first.pk).update(overall=12.5)
    shown = api(world.hq).get(f"/api/v1/audits/{submission.pk}/").json()["score"]
    assert shown["overall"] == float(first.overall)


def test_openapi_documents_the_score(api, world):
    response = api(world.hq).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schemas = response.json()["components"]["schemas"]
    score = schemas["Score"]
    assert set(score["properties"]) == SCORE_KEYS
    props = score["properties"]
    assert props["overall"]["type"] == ["number", "null"]  # OpenAPI 3.1
    assert props["passed"]["type"] == "boolean"
    assert props["critical_failures"] == {"type": "array", "items": {"type": "string"}}
    for name in ("sections", "dimensions"):
        assert props[name]["type"] == "object"
        assert props[name]["additionalProperties"]["type"] == ["number", "null"]
    item = schemas[props["items"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert {"item", "earned", "possible", "reason"} <= set(item["properties"])
    assert item["properties"]["reason"]["$ref"].endswith("/ReasonEnum")
    assert set(schemas["ReasonEnum"]["enum"]) == {
        "answered",
        "na",
        "hidden",
        "bonus",
        "critical_failure",
        "unscored",
    }
    for name in ("Submission", "Audit"):
        shown = schemas[name]["properties"]["score"]
        assert shown["oneOf"] == [{"$ref": "#/components/schemas/Score"}, {"type": "null"}]
