"""GET /audits/{id}/trail/: staff read every event with who acted; an owner reads the events
about the audit's release (appeals and actions join them), with staff shown by role only."""

from __future__ import annotations

import json

import pytest

from audits.services.corrections import ItemCorrection, submission_correct
from audits.services.review import submission_claim, submission_review
from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(world):
    audit = scored_submission(world, release=False)
    submission_claim(submission=audit, by=world.reviewer)
    submission_review(submission=audit, by=world.reviewer, action="release", reason="Checked.")
    submission_correct(
        submission=audit,
        by=world.hq,
        items=[ItemCorrection(item="listened", value=3, reason="The recording.")],
    )
    return audit


def _trail(user, audit) -> dict:
    response = client_for(user).get(f"/api/v1/audits/{audit.pk}/trail/")
    assert response.status_code == 200, response.content
    return response.json()


def test_head_office_reads_every_event_with_who_acted(world, audit):
    page = _trail(world.hq, audit)
    assert set(page) == {"count", "next", "previous", "results"}
    rows = page["results"]
    assert [(r["kind"], r["role"]) for r in rows] == [
        ("status", "system"),
        ("claim", "reviewer"),
        ("status", "reviewer"),
        ("correction", "head_office"),
        ("rescore", "head_office"),
    ]
    assert rows[0]["by"] is None
    assert rows[1]["by"] == {"id": world.reviewer.pk, "username": world.reviewer.username}
    assert rows[3]["after"]["listened"]["reason"] == "The recording."


def test_an_owner_reads_the_release_by_role_never_who(world, audit):
    rows = _trail(world.owner_a, audit)["results"]
    assert [(r["kind"], r["role"], r["after"]) for r in rows] == [
        ("status", "reviewer", {"status": "released"}),
    ]
    assert "by" not in rows[0]
    body = json.dumps(rows)
    for secret in (world.reviewer.username, world.shopper.username, world.hq.username):
        assert secret not in body


def test_another_franchisees_owner_and_the_shopper_get_404(world, audit):
    for user in (world.owner_b, world.shopper):
        response = client_for(user).get(f"/api/v1/audits/{audit.pk}/trail/")
        assert response.status_code == 404, user
