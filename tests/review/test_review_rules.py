"""Review decisions and the rules the system runs itself, on the clock.

Illegal steps are 409s naming the current state; automatic release, SLA release, claim lapse,
return expiry and the media deadline are tested with a frozen clock (time-machine).
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audits.models import Submission, SubmissionTransition
from audits.services import review
from audits.services.brand_settings import brand_settings_update
from audits.services.scoring import submission_score
from scoring.checklist import checklist_to_dict, parse_checklist
from support.factories import SMALL_CHECKLIST, AssignmentFactory, ChecklistVersionFactory
from support.helpers import client_for, scored_submission, stored_submission

pytestmark = pytest.mark.django_db


def _review(user, submission, body):
    return client_for(user).post(
        f"/api/v1/submissions/{submission.pk}/review/", body, format="json"
    )


def _far_away(world):
    """A scored report whose GPS fix is in Sydney: a high-risk signal."""
    submission = stored_submission(
        AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=world.checklist)
    )
    Submission.objects.filter(pk=submission.pk).update(latitude=-33.86, longitude=151.2)
    submission_score(submission_id=submission.pk)
    return Submission.objects.get(pk=submission.pk)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("released", "release"),
        ("released", "reject"),
        ("rejected", "release"),
        ("returned", "release"),
        ("queued", "release"),
        ("awaiting_media", "return"),
    ],
)
def test_a_decision_on_a_report_not_waiting_for_review_is_409_naming_its_state(
    world, status, action
):
    submission = scored_submission(world, release=False)
    Submission.objects.filter(pk=submission.pk).update(status=status)
    body = {"action": action, "reason": "Because", "questions": ["Why?"]}
    response = _review(world.hq, submission, body)
    assert response.status_code == 409, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_transition"
    assert status in error["detail"]
    assert Submission.objects.get(pk=submission.pk).status == status


@pytest.mark.parametrize("status", ["queued", "awaiting_media", "released", "returned"])
def test_only_a_report_waiting_for_review_can_be_claimed(world, status):
    submission = scored_submission(world, release=False)
    Submission.objects.filter(pk=submission.pk).update(status=status)
    response = client_for(world.hq).post(f"/api/v1/submissions/{submission.pk}/claim/")
    assert response.status_code == 409
    assert status in response.json()["errors"][0]["detail"]


def test_resubmitting_a_report_that_was_not_returned_is_409(world):
    submission = scored_submission(world, release=False)
    body = {
        "client_id": "6b0b2f4e-8f0e-4a55-9b2a-1f1f1f1f1f1f",
        "started_at": submission.started_at.isoformat(),
        "finished_at": submission.finished_at.isoformat(),
        "answers": [],
    }
    response = client_for(world.shopper).post(
        f"/api/v1/submissions/{submission.pk}/resubmit/", body, format="json"
    )
    assert response.status_code == 409
    assert "scored" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"action": "reject"}, "reason"),
        ({"action": "release_excluded", "reason": "  "}, "reason"),
        ({"action": "return", "reason": "Unclear"}, "questions"),
        ({"action": "return", "reason": "Unclear", "questions": [" "]}, "questions"),
        ({"action": "approve"}, "action"),
        (
            {
                "action": "return",
                "reason": "x",
                "questions": ["q"],
                "deadline": "2001-01-01T00:00Z",
            },
            "deadline",
        ),
    ],
)
def test_a_decision_without_what_it_needs_is_400_naming_the_field(world, body, attr):
    submission = scored_submission(world, release=False)
    response = _review(world.hq, submission, body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"].split(".")[0] == attr
    assert Submission.objects.get(pk=submission.pk).status == "scored"


def test_a_return_defaults_to_the_brands_return_hours(world):
    brand_settings_update(brand=world.brand, by=world.hq, changes={"return_hours": 12})
    submission = scored_submission(world, release=False)
    before = timezone.now()
    body = {"action": "return", "reason": "Unclear", "questions": ["Which till?"]}
    assert _review(world.hq, submission, body).status_code == 200
    deadline = Submission.objects.get(pk=submission.pk).return_deadline
    assert before + timedelta(hours=12) <= deadline <= timezone.now() + timedelta(hours=12)


def test_released_excluded_is_shown_to_the_owner_marked_and_left_out_of_the_scorecard(world):
    kept = scored_submission(world)
    excluded = scored_submission(world, release=False)
    body = {"action": "release_excluded", "reason": "Shopper knew the staff"}
    assert _review(world.hq, excluded, body).status_code == 200
    owner = client_for(world.owner_a)
    audit = owner.get(f"/api/v1/audits/{excluded.pk}/").json()
    assert audit["status"] == "released_excluded" and audit["excluded"] is True
    assert owner.get(f"/api/v1/audits/{kept.pk}/").json()["excluded"] is False
    card = owner.get(f"/api/v1/branches/{world.branch_a1.pk}/scorecard/").json()
    assert card["n_audits"] == 1


def test_a_claim_lapses_after_the_brands_claim_minutes(world):
    submission = scored_submission(world, release=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        review.submission_claim(submission=submission, by=world.reviewer)
        clock.shift(timedelta(minutes=29))
        with pytest.raises(review.HeldByAnother):
            review.submission_claim(submission=submission, by=world.hq)
        clock.shift(timedelta(minutes=2))
        taken = review.submission_claim(submission=submission, by=world.hq)
    assert taken.claimed_by == world.hq
    assert taken.status == "in_review"


def test_auto_release_lets_through_what_the_brand_allows(world):
    brand_settings_update(brand=world.brand, by=world.hq, changes={"auto_release": "medium"})
    honest = scored_submission(world, release=False)
    assert honest.status == "released" and honest.risk == "none"
    assert SubmissionTransition.objects.get(submission=honest).reason == "auto_release"
    risky = stored_submission(
        AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=world.checklist)
    )
    Submission.objects.filter(pk=risky.pk).update(latitude=-33.86, longitude=151.2)
    from audits.services.scoring import submission_score

    submission_score(submission_id=risky.pk)
    risky.refresh_from_db()
    assert risky.risk == "high" and risky.status == "scored"


def test_auto_release_off_leaves_every_report_for_review(world):
    assert scored_submission(world, release=False).status == "scored"


def test_the_sla_releases_unreviewed_low_risk_reports_on_a_frozen_clock(world):
    brand_settings_update(
        brand=world.brand,
        by=world.hq,
        changes={"review_sla_hours": 72, "sla_release_max_risk": "low"},
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        honest = scored_submission(world, release=False)
        risky = _far_away(world)
        clock.shift(timedelta(hours=71))
        assert review.reviews_release_overdue() == 0
        clock.shift(timedelta(hours=2))
        assert review.reviews_release_overdue() == 1
    assert Submission.objects.get(pk=honest.pk).status == "released"
    assert Submission.objects.get(pk=risky.pk).status == "scored"  # high risk waits
    assert SubmissionTransition.objects.get(submission=honest).reason == "review_sla"


def test_the_sla_leaves_a_held_report_to_its_reviewer_until_the_claim_lapses(world):
    brand_settings_update(
        brand=world.brand,
        by=world.hq,
        changes={"review_sla_hours": 1, "sla_release_max_risk": "none"},
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        held = scored_submission(world, release=False)
        clock.shift(timedelta(minutes=50))
        review.submission_claim(submission=held, by=world.reviewer)
        clock.shift(timedelta(minutes=20))  # past the SLA, the claim still stands
        assert review.reviews_release_overdue() == 0
        clock.shift(timedelta(minutes=20))  # the claim lapsed
        assert review.reviews_release_overdue() == 1
    stored = Submission.objects.get(pk=held.pk)
    assert stored.status == "released" and stored.claimed_by is None


def test_the_sla_is_off_by_default(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        submission = scored_submission(world, release=False)
        clock.shift(timedelta(days=30))
        assert review.reviews_release_overdue() == 0
    assert Submission.objects.get(pk=submission.pk).status == "scored"


def test_a_return_past_its_deadline_is_rejected_as_return_expired(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        submission = scored_submission(world, release=False)
        review.submission_review(
            submission=submission,
            by=world.hq,
            action="return",
            reason="Unclear",
            questions=["Which till?"],
        )
        clock.shift(timedelta(hours=47))
        assert review.returns_expire() == 0
        clock.shift(timedelta(hours=2))
        assert review.returns_expire() == 1
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.status == "rejected" and stored.review_reason == "return_expired"
    assert stored.transitions.last().reason == "return_expired"


def test_photos_that_never_come_are_scored_at_the_media_deadline_and_signalled(
    world, django_capture_on_commit_callbacks
):
    definition = copy.deepcopy(SMALL_CHECKLIST)
    definition["sections"][0]["items"][0]["requires_photo"] = True  # greeted: prove it
    version = ChecklistVersionFactory(
        template__brand=world.brand,
        definition=checklist_to_dict(parse_checklist(definition)),
    )
    assignment = AssignmentFactory(branch=world.branch_a1, shopper=world.shopper, checklist=version)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        waiting = stored_submission(assignment, photo_count=2)
        clock.shift(timedelta(hours=23))
        assert review.submissions_queue_overdue_media() == 0
        clock.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert review.submissions_queue_overdue_media() == 1
    stored = Submission.objects.get(pk=waiting.pk)
    assert stored.status == "scored"
    assert "photo_missing" in stored.signal_codes


def test_the_review_sweep_task_runs_the_three_rules(world):
    from audits.tasks import review_sweep

    brand_settings_update(
        brand=world.brand,
        by=world.hq,
        changes={"review_sla_hours": 1, "sla_release_max_risk": "none"},
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        waiting = scored_submission(world, release=False)
        clock.shift(timedelta(hours=2))
        assert review_sweep.apply().get() == {
            "media_overdue": 0,
            "sla_released": 1,
            "returns_expired": 0,
        }
    assert Submission.objects.get(pk=waiting.pk).status == "released"
