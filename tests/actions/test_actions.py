"""Action plans (issue 13): a released audit's failed critical items, and the brand's
action_items that lost points, open actions for the branch; the owner completes them with a
note, head office verifies or reopens them with a reason; a later passing audit verifies one
on its own; open and overdue ones show on the scorecard."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audits.models import Action, Event, EventKind
from audits.services.brand_settings import brand_settings_update
from support.factories import good_answers
from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db


def _actions(user, query: str = "") -> list[dict]:
    response = client_for(user).get(f"/api/v1/actions/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _post(user, action_id: int, step: str, body: dict):
    return client_for(user).post(f"/api/v1/actions/{action_id}/{step}/", body, format="json")


def test_a_failed_critical_item_opens_an_action_completed_then_verified(world):
    audit = scored_submission(world, answers=good_answers(courteous=False))
    [row] = _actions(world.owner_a)
    assert (row["item"], row["status"], row["audit"], row["branch"]["id"]) == (
        "courteous",
        "open",
        audit.pk,
        world.branch_a1.pk,
    )
    due = timezone.datetime.fromisoformat(row["due"])
    assert timedelta(days=13, hours=23) < due - timezone.now() <= timedelta(days=14)
    assert _actions(world.owner_b) == []

    done = _post(world.owner_a, row["id"], "complete", {"note": "Retrained the team."})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["notes"]) == ("completed", "Retrained the team.")
    verified = _post(world.hq, row["id"], "verify", {"reason": "Seen on a visit."})
    assert verified.json()["status"] == "verified", verified.content

    trail = client_for(world.owner_a).get(f"/api/v1/audits/{audit.pk}/trail/").json()
    kinds = [(e["kind"], e["role"]) for e in trail["results"]]
    assert kinds[-3:] == [
        ("action_opened", "system"),
        ("action_completed", "owner"),
        ("action_verified", "head_office"),
    ]
    assert world.hq.username not in json.dumps(trail)


def test_an_action_past_its_due_date_is_overdue_on_the_list_and_the_scorecard(world):
    scored_submission(world, answers=good_answers(courteous=False))
    assert _actions(world.hq, "?overdue=true") == []
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        [late] = _actions(world.hq, "?overdue=true")
        assert late["overdue"] is True
        card = (
            client_for(world.owner_a)
            .get(f"/api/v1/branches/{world.branch_a1.pk}/scorecard/")
            .json()
        )
    assert card["actions"] == {"open": 1, "overdue": 1, "awaiting_verification": 0}


def test_a_later_audit_that_passes_the_item_verifies_the_action(world):
    brand_settings_update(brand=world.brand, by=world.hq, changes={"action_items": ["listened"]})
    scored_submission(world, answers=good_answers(listened=2))
    [action] = _actions(world.hq)
    assert action["item"] == "listened"
    later = scored_submission(world, answers=good_answers(listened=5))
    closed = Action.objects.get(pk=action["id"])
    assert (closed.status, closed.closed_by_audit_id, closed.verified_by) == (
        "verified",
        later.pk,
        None,
    )
    event = Event.objects.get(action=closed, kind=EventKind.ACTION_VERIFIED)
    assert (event.role, event.reason) == ("system", f"Audit {later.pk} passed the item.")


def test_a_second_failure_of_the_same_item_opens_no_second_action(world):
    scored_submission(world, answers=good_answers(courteous=False))
    scored_submission(world, answers=good_answers(courteous=False))
    assert Action.objects.filter(branch=world.branch_a1, item="courteous").count() == 1


def test_an_audit_released_excluded_opens_nothing(world):
    from audits.services.review import submission_review

    audit = scored_submission(world, answers=good_answers(courteous=False), release=False)
    submission_review(
        submission=audit, by=world.hq, action="release_excluded", reason="Wrong branch."
    )
    assert not Action.objects.exists()


def test_illegal_steps_are_409_and_a_missing_note_400(world):
    scored_submission(world, answers=good_answers(courteous=False))
    action = Action.objects.get()
    assert _post(world.owner_a, action.pk, "complete", {"note": " "}).status_code == 400
    early = _post(world.hq, action.pk, "verify", {"reason": "Looks fine."})
    assert early.status_code == 409
    assert early.json()["errors"][0]["code"] == "invalid_transition"
    assert _post(world.owner_a, action.pk, "complete", {"note": "Done."}).status_code == 200
    again = _post(world.owner_a, action.pk, "complete", {"note": "Done."})
    assert again.status_code == 409
    reopened = _post(world.hq, action.pk, "reopen", {"reason": "The door is still broken."})
    assert reopened.json()["status"] == "open"
    assert Action.objects.get(pk=action.pk).status == "open"


def _appeal_decided(world, audit, *, upheld: bool, correction=None):
    from audits.services.appeals import AppealedItem, ItemDecision, appeal_decide, appeal_open

    appeal, _ = appeal_open(
        audit=audit,
        by=world.owner_a,
        client_id=uuid.uuid4(),
        items=[AppealedItem(item="courteous", reason="The CCTV shows a greeting.")],
    )
    decision = ItemDecision(
        item="courteous", upheld=upheld, reason="The CCTV shows it.", correction=correction
    )
    return appeal_decide(appeal=appeal, by=world.hq, decisions=[decision])


@pytest.mark.parametrize("correction", [{"value": True}, None], ids=["passed", "na"])
def test_an_upheld_appeal_withdraws_the_action_its_finding_opened(world, correction):
    audit = scored_submission(world, answers=good_answers(courteous=False))
    action = Action.objects.get(submission=audit, item="courteous")
    _appeal_decided(world, audit, upheld=True, correction=correction)

    [row] = _actions(world.owner_a, f"?status=withdrawn&branch={world.branch_a1.pk}")
    assert (row["id"], row["reason"]) == (action.pk, "The CCTV shows it.")
    card = client_for(world.owner_a).get(f"/api/v1/branches/{world.branch_a1.pk}/scorecard/")
    assert card.json()["actions"] == {"open": 0, "overdue": 0, "awaiting_verification": 0}
    trail = client_for(world.owner_a).get(f"/api/v1/audits/{audit.pk}/trail/").json()
    [withdrawn] = [e for e in trail["results"] if e["kind"] == "action_withdrawn"]
    assert (withdrawn["role"], withdrawn["before"], withdrawn["after"]) == (
        "head_office",
        {"status": "open"},
        {"status": "withdrawn"},
    )
    assert "by" not in withdrawn
    # Withdrawn is an end: no completion, and a new failure opens a new action.
    assert _post(world.owner_a, action.pk, "complete", {"note": "Done."}).status_code == 409
    scored_submission(world, answers=good_answers(courteous=False))
    assert Action.objects.filter(branch=world.branch_a1, item="courteous").count() == 2


def test_a_rejected_appeal_leaves_the_action_owed(world):
    audit = scored_submission(world, answers=good_answers(courteous=False))
    _appeal_decided(world, audit, upheld=False)
    assert Action.objects.get(submission=audit).status == "open"


def test_a_correction_that_still_loses_points_leaves_the_action(world):
    from audits.services.corrections import ItemCorrection, submission_correct

    brand_settings_update(brand=world.brand, by=world.hq, changes={"action_items": ["listened"]})
    audit = scored_submission(world, answers=good_answers(listened=2))
    corrections = [ItemCorrection(item="listened", value=3, reason="The recording.")]
    submission_correct(submission=audit, by=world.reviewer, items=corrections)
    assert Action.objects.get(submission=audit).status == "open"
    corrections = [ItemCorrection(item="listened", value=5, reason="Heard it all.")]
    submission_correct(submission=audit, by=world.reviewer, items=corrections)
    withdrawn = Action.objects.get(submission=audit)
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "Heard it all.")
    event = Event.objects.get(action=withdrawn, kind=EventKind.ACTION_WITHDRAWN)
    assert (event.by, event.role) == (world.reviewer, "reviewer")
