"""A report's way through quality control, over HTTP: claim, return, resubmit, release.

The owner must not see a report before it is released; the shopper sees a return's questions;
the earlier body is kept as a version.
"""

from __future__ import annotations

import uuid

import pytest

from audits.models import Submission, SubmissionTransition, SubmissionVersion
from support.factories import good_answers
from support.helpers import client_for, submission_body

pytestmark = pytest.mark.django_db


def _post(user, url, body=None, capture=None):
    client = client_for(user)
    if capture is None:
        return client.post(url, body, format="json")
    with capture(execute=True):
        return client.post(url, body, format="json")


def _sent_and_returned(world, capture, body=None) -> int:
    """The id of a report the shopper sent (scored on commit) and head office returned."""
    body = body or submission_body(world.assignment)
    sid = _post(world.shopper, "/api/v1/submissions/", body, capture).json()["id"]
    returned = _post(
        world.hq,
        f"/api/v1/submissions/{sid}/review/",
        {"action": "return", "reason": "Blurry", "questions": ["Retake?"]},
    )
    assert returned.status_code == 200, returned.content
    return sid


def _owner_sees(world, submission_id: int) -> bool:
    owner = client_for(world.owner_a)
    detail = owner.get(f"/api/v1/submissions/{submission_id}/").status_code
    listed = {row["id"] for row in owner.get("/api/v1/audits/").json()["results"]}
    assert (detail == 200) == (submission_id in listed)
    return detail == 200


def test_claim_return_resubmit_release(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first = submission_body(world.assignment)
    sent = _post(world.shopper, "/api/v1/submissions/", first, capture)
    assert sent.status_code == 201, sent.content
    sid = sent.json()["id"]
    assert Submission.objects.get(pk=sid).status == "scored"
    assert not _owner_sees(world, sid)

    # A reviewer claims it; head office cannot take it over while the claim stands.
    claimed = _post(world.reviewer, f"/api/v1/submissions/{sid}/claim/")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["status"] == "in_review"
    assert claimed.json()["claimed_by"]["username"] == world.reviewer.username
    held = _post(world.hq, f"/api/v1/submissions/{sid}/claim/")
    assert held.status_code == 409
    assert held.json()["errors"][0]["code"] == "held_by_another"

    returned = _post(
        world.reviewer,
        f"/api/v1/submissions/{sid}/review/",
        {"action": "return", "reason": "Receipt unclear", "questions": ["Which till?"]},
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    assert not _owner_sees(world, sid)

    # The shopper sees the questions and the deadline, never the risk or the reviewer.
    mine = client_for(world.shopper).get(f"/api/v1/submissions/{sid}/").json()
    assert mine["status"] == "returned"
    assert mine["questions"] == ["Which till?"]
    assert mine["return_deadline"]
    assert "risk" not in mine and "claimed_by" not in mine and "review_reason" not in mine

    second = submission_body(world.assignment, answers=good_answers(greeted=False))
    second.pop("assignment")
    url = f"/api/v1/submissions/{sid}/resubmit/"
    resent = _post(world.shopper, url, second, capture)
    assert resent.status_code == 201, resent.content
    assert resent.json()["version"] == 2
    replay = _post(world.shopper, url, second, capture)
    assert replay.status_code == 200
    assert replay.json()["id"] == sid
    conflicting = {**second, "answers": good_answers()}
    assert _post(world.shopper, url, conflicting).status_code == 409
    # A late retry of the very first send is still recognised as that send.
    assert _post(world.shopper, "/api/v1/submissions/", first).status_code == 200

    stored = Submission.objects.get(pk=sid)
    assert stored.status == "scored"
    assert str(stored.client_id) == second["client_id"]
    earlier = SubmissionVersion.objects.get(submission=stored)
    assert earlier.version == 1 and str(earlier.client_id) == first["client_id"]
    assert {a["item"]: a["value"] for a in earlier.answers}["greeted"] is True
    assert stored.answers.get(item="greeted").value is False
    assert stored.scores.count() == 2  # a new revision for the new answers

    assert _post(world.hq, f"/api/v1/submissions/{sid}/claim/").status_code == 200
    released = _post(world.hq, f"/api/v1/submissions/{sid}/review/", {"action": "release"})
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "released"
    assert _owner_sees(world, sid)
    owner_copy = client_for(world.owner_a).get(f"/api/v1/submissions/{sid}/").json()
    assert owner_copy["shopper"] is None and "risk" not in owner_copy

    steps = list(
        SubmissionTransition.objects.filter(submission_id=sid).values_list(
            "from_status", "to_status", "by__username"
        )
    )
    assert steps == [
        ("scored", "in_review", world.reviewer.username),
        ("in_review", "returned", world.reviewer.username),
        ("returned", "queued", world.shopper.username),
        ("scored", "in_review", world.hq.username),
        ("in_review", "released", world.hq.username),
    ]


def test_a_resubmission_needs_a_new_client_id_of_its_own(world, django_capture_on_commit_callbacks):
    """A client_id the shopper used for another visit is a conflict, not a replay."""
    capture = django_capture_on_commit_callbacks
    first = submission_body(world.assignment)
    sid = _sent_and_returned(world, capture, first)
    reused = {**submission_body(world.assignment), "client_id": first["client_id"]}
    reused.pop("assignment")
    response = _post(world.shopper, f"/api/v1/submissions/{sid}/resubmit/", reused)
    assert response.status_code == 409


def test_only_its_shopper_resubmits(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    sid = _sent_and_returned(world, capture)
    body = {**submission_body(world.assignment), "client_id": str(uuid.uuid4())}
    body.pop("assignment")
    assert _post(world.shopper2, f"/api/v1/submissions/{sid}/resubmit/", body).status_code == 404


def test_a_resubmission_waits_for_its_reviewer_even_under_auto_release(
    world, django_capture_on_commit_callbacks
):
    from audits.services.brand_settings import brand_settings_update

    capture = django_capture_on_commit_callbacks
    sid = _sent_and_returned(world, capture)
    brand_settings_update(brand=world.brand, by=world.hq, changes={"auto_release": "medium"})
    body = {**submission_body(world.assignment), "client_id": str(uuid.uuid4())}
    body.pop("assignment")
    resent = _post(world.shopper, f"/api/v1/submissions/{sid}/resubmit/", body, capture)
    assert resent.status_code == 201, resent.content
    assert Submission.objects.get(pk=sid).status == "scored"
