"""Owners appeal items of a released audit within the brand's appeal_days; head office
decides each with a reason; upheld items are corrected and the audit re-scored; the owner
reads the outcome and its reasons, never who the shopper or the deciding staff were
(issue 13)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audits.models import Answer, Appeal, Event, EventKind, Score
from audits.services.brand_settings import brand_settings_update
from support.factories import good_answers
from support.helpers import client_for, scored_submission

pytestmark = pytest.mark.django_db


def _open(user, audit, items, client_id=None):
    body = {"client_id": str(client_id or uuid.uuid4()), "items": items}
    return client_for(user).post(f"/api/v1/audits/{audit.pk}/appeals/", body, format="json")


def _decide(user, appeal_id, decisions):
    return client_for(user).post(
        f"/api/v1/appeals/{appeal_id}/decide/", {"decisions": decisions}, format="json"
    )


def _errors(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return {error["attr"]: error for error in response.json()["errors"]}


TWO_ITEMS = [
    {"item": "courteous", "reason": "The member of staff was courteous: see the CCTV."},
    {"item": "listened", "reason": "The shopper left before the answer."},
]


def test_release_appeal_decision_rescore_and_trail_through_http(world):
    audit = scored_submission(world, answers=good_answers(courteous=False))
    before = Score.objects.get(submission=audit, is_current=True)
    assert before.critical_failures == ["courteous"]

    opened = _open(world.owner_a, audit, TWO_ITEMS)
    assert opened.status_code == 201, opened.content
    appeal = opened.json()
    assert appeal["status"] == "open"
    assert [i["item"] for i in appeal["items"]] == ["courteous", "listened"]

    listed = client_for(world.hq).get("/api/v1/appeals/?status=open").json()
    assert [row["id"] for row in listed["results"]] == [appeal["id"]]
    decided = _decide(
        world.hq,
        appeal["id"],
        [
            {
                "item": "courteous",
                "upheld": True,
                "reason": "The CCTV shows it.",
                "correction": {"value": True},
            },
            {"item": "listened", "upheld": False, "reason": "The shopper waited four minutes."},
        ],
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "decided"
    assert decided.json()["decided_by"]["id"] == world.hq.pk

    after = Score.objects.get(submission=audit, is_current=True)
    assert after.revision == before.revision + 1
    assert after.critical_failures == [] and after.overall > before.overall
    assert Answer.objects.get(submission=audit, item="courteous").value is True
    assert Answer.objects.get(submission=audit, item="listened").version == 1  # rejected

    owner_view = client_for(world.owner_a).get(f"/api/v1/appeals/{appeal['id']}/").json()
    assert [(i["item"], i["upheld"], i["decision_reason"]) for i in owner_view["items"]] == [
        ("courteous", True, "The CCTV shows it."),
        ("listened", False, "The shopper waited four minutes."),
    ]
    assert "decided_by" not in owner_view and "opened_by" not in owner_view
    trail = client_for(world.owner_a).get(f"/api/v1/audits/{audit.pk}/trail/").json()["results"]
    assert [(e["kind"], e["role"]) for e in trail] == [
        ("status", "head_office"),  # released by head office (the helper)
        ("action_opened", "system"),  # the failed critical item
        ("appeal_opened", "owner"),
        ("action_withdrawn", "head_office"),  # the upheld item no longer fails
        ("appeal_decided", "head_office"),
    ]
    seen_by_owner = json.dumps([owner_view, trail])
    for secret in (world.shopper.username, world.hq.username, world.reviewer.username):
        assert secret not in seen_by_owner


def test_an_upheld_item_without_a_value_becomes_na(world):
    audit = scored_submission(world)
    appeal = _open(world.owner_a, audit, TWO_ITEMS[1:]).json()
    response = _decide(
        world.hq, appeal["id"], [{"item": "listened", "upheld": True, "reason": "Fair."}]
    )
    assert response.status_code == 200, response.content
    assert response.json()["items"][0]["correction"] == {"na": True}
    assert Answer.objects.get(submission=audit, item="listened").na is True


def test_the_same_client_id_is_the_same_appeal_and_another_body_a_409(world):
    audit = scored_submission(world)
    client_id = uuid.uuid4()
    first = _open(world.owner_a, audit, TWO_ITEMS, client_id)
    again = _open(world.owner_a, audit, TWO_ITEMS, client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = _open(world.owner_a, audit, TWO_ITEMS[:1], client_id)
    assert _errors(other, 409)[None]["code"] == "conflict"
    assert Appeal.objects.count() == 1


def test_one_open_appeal_per_audit_then_another_after_the_decision(world):
    audit = scored_submission(world)
    first = _open(world.owner_a, audit, TWO_ITEMS[:1]).json()
    second = _open(world.owner_a, audit, TWO_ITEMS[1:])
    assert _errors(second, 409)[None]["code"] == "appeal_open"
    _decide(world.hq, first["id"], [{"item": "courteous", "upheld": False, "reason": "No."}])
    assert _open(world.owner_a, audit, TWO_ITEMS[1:]).status_code == 201


def test_after_appeal_days_the_window_is_closed(world):
    brand_settings_update(brand=world.brand, by=world.hq, changes={"appeal_days": 3})
    audit = scored_submission(world)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = _open(world.owner_a, audit, TWO_ITEMS)
    error = _errors(response, 409)[None]
    assert error["code"] == "appeal_window_closed"
    assert "3 days" in error["detail"]
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        assert _open(world.owner_a, audit, TWO_ITEMS).status_code == 201


def test_an_unreleased_audit_is_not_the_owners_to_appeal(world):
    audit = scored_submission(world, release=False)
    assert _open(world.owner_a, audit, TWO_ITEMS).status_code == 404
    assert not Appeal.objects.exists()


def test_the_service_names_an_unreleased_audit(world):
    from audits.errors import NotReleased
    from audits.services.appeals import AppealedItem, appeal_open

    audit = scored_submission(world, release=False)
    with pytest.raises(NotReleased, match="scored"):
        appeal_open(
            audit=audit,
            by=world.owner_a,
            client_id=uuid.uuid4(),
            items=[AppealedItem(item="listened", reason="x")],
        )


@pytest.mark.parametrize(
    ("items", "attr"),
    [
        ([{"item": "no_such_item", "reason": "x"}], "items.0.item"),
        (
            [{"item": "listened", "reason": "x"}, {"item": "listened", "reason": "y"}],
            "items.1.item",
        ),
        ([{"item": "listened", "reason": ""}], "items.0.reason"),
        ([{"item": "listened", "reason": "x" * 2001}], "items.0.reason"),
        ([], "items.non_field_errors"),
    ],
)
def test_a_bad_appeal_is_a_400_naming_the_item_and_stores_nothing(world, items, attr):
    audit = scored_submission(world)
    assert attr in _errors(_open(world.owner_a, audit, items), 400)
    assert not Appeal.objects.exists()
    assert not Event.objects.filter(kind=EventKind.APPEAL_OPENED).exists()


def test_every_item_must_be_decided_with_a_reason_and_only_once(world):
    audit = scored_submission(world)
    appeal = _open(world.owner_a, audit, TWO_ITEMS).json()
    partial = _decide(
        world.hq, appeal["id"], [{"item": "listened", "upheld": False, "reason": "No."}]
    )
    assert "courteous" in _errors(partial, 400)["decisions"]["detail"]
    bad_value = _decide(
        world.hq,
        appeal["id"],
        [
            {"item": "courteous", "upheld": False, "reason": "No."},
            {"item": "listened", "upheld": True, "reason": "Yes.", "correction": {"value": 9}},
        ],
    )
    assert "decisions.1.correction" in _errors(bad_value, 400)
    assert Appeal.objects.get(pk=appeal["id"]).status == "open"
    assert Score.objects.filter(submission=audit).count() == 1
    decisions = [
        {"item": "courteous", "upheld": False, "reason": "No."},
        {"item": "listened", "upheld": False, "reason": "No."},
    ]
    assert _decide(world.hq, appeal["id"], decisions).status_code == 200
    again = _decide(world.hq, appeal["id"], decisions)
    assert _errors(again, 409)[None]["code"] == "appeal_not_open"


def test_stats_count_appealed_and_upheld_items_and_the_hours_to_decision(world):
    audits = [scored_submission(world) for _ in range(2)]
    opened_at = timezone.now()
    first = _open(world.owner_a, audits[0], TWO_ITEMS).json()
    _open(world.owner_a, audits[1], TWO_ITEMS[1:])
    with time_machine.travel(opened_at + timedelta(hours=10)):
        _decide(
            world.hq,
            first["id"],
            [
                {"item": "courteous", "upheld": True, "reason": "CCTV."},
                {"item": "listened", "upheld": False, "reason": "No."},
            ],
        )
    quarter = f"{opened_at.year}-Q{(opened_at.month - 1) // 3 + 1}"
    response = client_for(world.hq).get(f"/api/v1/appeals/stats/?period={quarter}")
    assert response.status_code == 200, response.content
    stats = response.json()
    assert (stats["appealed"], stats["decided"], stats["upheld"], stats["upheld_rate"]) == (
        3,
        2,
        1,
        0.5,
    )
    assert stats["median_hours_to_decision"] == pytest.approx(10, abs=0.05)
    by_item = {row["item"]: row for row in stats["by_item"]}
    assert (by_item["listened"]["appealed"], by_item["listened"]["upheld"]) == (2, 0)
    assert (by_item["courteous"]["upheld"], by_item["courteous"]["upheld_rate"]) == (1, 1.0)
    assert [(row["id"], row["appealed"]) for row in stats["by_branch"]] == [(world.branch_a1.pk, 3)]
    assert stats["by_franchisee"][0]["id"] == world.franchisee_a.pk
    other = client_for(world.hq).get("/api/v1/appeals/stats/?period=2001-Q1").json()
    assert other["appealed"] == 0 and other["by_item"] == []


def test_stats_need_a_period_key(world):
    response = client_for(world.hq).get("/api/v1/appeals/stats/?period=2026-Q5")
    assert "period" in _errors(response, 400)
    assert client_for(world.owner_a).get("/api/v1/appeals/stats/?period=2026").status_code == 403


def test_an_upheld_appeal_moves_the_branchs_league_table_value(world):
    """The walk's last step: the upheld item is re-scored, and the league table rebuilt from
    the new score (as the debounced refresh the decision schedules does) shows it."""
    from audits.models import Submission
    from audits.services.benchmarks.building import benchmarks_refresh_brand
    from support.league_data import make_league

    make_league(world)
    brand_settings_update(brand=world.brand, by=world.hq, changes={"appeal_days": 365})
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])

    def raw_mean() -> float:
        page = client_for(world.hq).get("/api/v1/benchmarks/?period=2026-Q3&level=branch")
        assert page.status_code == 200, page.content
        [row] = [r for r in page.json()["results"] if r["id"] == world.branch_b1.pk]
        return row["raw_mean"]

    before = raw_mean()
    audit = Submission.objects.filter(assignment__branch=world.branch_b1).first()
    lost = next(i for i in audit.scores.get(is_current=True).items if i["earned"] < i["possible"])
    appeal = _open(world.owner_b, audit, [{"item": lost["item"], "reason": "Not fair."}]).json()
    decided = _decide(
        world.hq, appeal["id"], [{"item": lost["item"], "upheld": True, "reason": "Agreed."}]
    )
    assert decided.status_code == 200, decided.content
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])
    assert raw_mean() > before
