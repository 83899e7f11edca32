"""The review queue and a report's signals, as the brand's staff read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import Submission
from audits.services.scoring import submission_score
from support.factories import AssignmentFactory, BranchFactory
from support.helpers import client_for, scored_submission, stored_submission

pytestmark = pytest.mark.django_db


def _scored(world, *, branch=None, shopper=None, **location):
    """A report scored after its stored fields were changed (to trip chosen signals)."""
    assignment = AssignmentFactory(
        # A branch of its own: the same shopper twice at one branch is a revisit signal.
        branch=branch or BranchFactory(brand=world.brand, franchisee=world.franchisee_a),
        shopper=shopper or world.shopper,
        checklist=world.checklist,
    )
    submission = stored_submission(assignment)
    if location:
        Submission.objects.filter(pk=submission.pk).update(**location)
    submission_score(submission_id=submission.pk)
    return Submission.objects.get(pk=submission.pk)


def test_the_queue_lists_highest_risk_first_then_oldest(world):
    honest_old = _scored(world)
    missing_gps = _scored(world, latitude=None, longitude=None)  # medium
    far = _scored(world, latitude=-33.86, longitude=151.2)  # high
    honest_new = _scored(world)
    Submission.objects.filter(pk=honest_old.pk).update(
        scored_at=timezone.now() - timedelta(hours=5)
    )
    scored_submission(world)  # released: not waiting
    body = client_for(world.reviewer).get("/api/v1/review-queue/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [
        far.pk,
        missing_gps.pk,
        honest_old.pk,
        honest_new.pk,
    ]
    first = body["results"][0]
    assert first["risk"] == "high" and first["signal_codes"] == ["gps_far_from_branch"]
    assert first["shopper"]["username"] == world.shopper.username


def test_the_queue_filters_by_risk_branch_and_shopper(world):
    far = _scored(world, latitude=-33.86, longitude=151.2)
    at_b1 = _scored(world, branch=world.branch_b1, shopper=world.shopper2)
    reviewer = client_for(world.reviewer)

    def ids(query: str) -> list[int]:
        return [
            row["id"] for row in reviewer.get(f"/api/v1/review-queue/?{query}").json()["results"]
        ]

    assert ids("risk=high") == [far.pk]
    assert ids("risk=none&risk=low") == [at_b1.pk]
    assert ids(f"branch={world.branch_b1.pk}") == [at_b1.pk]
    assert ids(f"shopper={world.shopper.pk}") == [far.pk]
    assert reviewer.get("/api/v1/review-queue/?risk=severe").status_code == 400


def test_a_reviewer_never_reviews_their_own_visit(world):
    """A reviewer who also shops for the brand finds their own visits neither in the queue
    nor to claim."""
    from audits.models import Role
    from support.factories import MembershipFactory

    MembershipFactory(user=world.reviewer, role=Role.SHOPPER, brand=world.brand)
    own = _scored(world, shopper=world.reviewer)
    client = client_for(world.reviewer)
    assert own.pk not in [
        row["id"] for row in client.get("/api/v1/review-queue/").json()["results"]
    ]
    assert client.post(f"/api/v1/submissions/{own.pk}/claim/").status_code == 404


def test_signals_are_read_by_staff_with_their_evidence(world):
    far = _scored(world, latitude=-33.86, longitude=151.2, accuracy_m=15.0)
    body = client_for(world.hq).get(f"/api/v1/submissions/{far.pk}/signals/").json()
    assert body["count"] == 1
    (signal,) = body["results"]
    assert signal["code"] == "gps_far_from_branch" and signal["severity"] == "high"
    assert signal["evidence"]["accuracy_m"] == 15.0
    assert signal["evidence"]["distance_m"] > 10_000_000
    staff_copy = client_for(world.hq).get(f"/api/v1/submissions/{far.pk}/").json()
    assert staff_copy["risk"] == "high"
    assert staff_copy["signal_codes"] == ["gps_far_from_branch"]


@pytest.mark.parametrize("role", ["owner_a", "shopper"])
def test_owners_and_shoppers_do_not_find_signals(world, role):
    report = scored_submission(world)  # released: the owner reads the report itself
    client = client_for(getattr(world, role))
    assert client.get(f"/api/v1/submissions/{report.pk}/").status_code == 200
    assert client.get(f"/api/v1/submissions/{report.pk}/signals/").status_code == 404
    assert "risk" not in client.get(f"/api/v1/submissions/{report.pk}/").json()


def test_an_honest_visit_through_the_whole_pipeline_is_clean(world):
    assert scored_submission(world, release=False).signals == []
