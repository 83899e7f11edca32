"""GET /branches/{id}/scorecard/: figures against hand-computed values, scope, dates, schema."""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import Answer, Score
from audits.services.rescoring import rescorable_submissions, rescore_submissions
from support.factories import good_answers
from support.helpers import scored_submission

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")

# On SMALL_CHECKLIST (tests/support/factories.py), by hand:
# A: everything good: first_impression 2/2 = 100, care 3.75/4 = 93.75, overall 5.75/6 = 95.83
A = good_answers()
# B: not greeted, listened 2 (0.25), discourteous (critical): first 1/2 = 50,
#    care (0.25 + 0 + 1 + 1)/4 = 56.25, overall 3.25/6 = 54.17, fails
B = good_answers(greeted=False, listened=2, courteous=False)
# C: waited 120 s (band 0.5), listened 5, name N/A, referred (0.5): first 1.5/2 = 75,
#    care (1 + 1 + 0.5)/3 = 83.33, overall 4/5 = 80.00, passes (pass mark 80)
C = good_answers(wait_seconds=120, listened=5, name_used="N/A", resolution="referred")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def url(branch, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/branches/{branch.pk}/scorecard/" + (f"?{query}" if query else "")


@pytest.fixture
def quarter(world):
    """Three audits of branch a1 in Q1 2025, and others that must not count."""
    audits = {
        "A": scored_submission(world, answers=A, started_at=local(2025, 1, 10, 12)),
        "B": scored_submission(world, answers=B, started_at=local(2025, 1, 20, 12)),
        "C": scored_submission(world, answers=C, started_at=local(2025, 3, 5, 12)),
    }
    # Just outside, in branch time: New Year's Eve, and 00:30 BST on 1 April (23:30 UTC on
    # 31 March, which a UTC reading would wrongly count).
    scored_submission(world, answers=B, started_at=local(2024, 12, 31, 23, 30))
    scored_submission(world, answers=B, started_at=local(2025, 4, 1, 0, 30))
    # Another branch, the same period.
    scored_submission(world, branch=world.branch_b1, answers=B, started_at=local(2025, 2, 1, 12))
    return audits


def get(api, user, branch, **params):
    return api(user).get(url(branch, **params))


def test_figures_match_hand_computed_values(world, api, quarter):
    response = get(
        api, world.owner_a, world.branch_a1, **{"from": "2025-01-01", "to": "2025-03-31"}
    )
    assert response.status_code == 200, response.content
    card = response.json()
    assert card["branch"] == {"id": world.branch_a1.pk, "name": "Leeds Station"}
    assert (card["from"], card["to"]) == ("2025-01-01", "2025-03-31")
    assert card["n_audits"] == 3
    assert card["mean_overall"] == 76.67  # (95.83 + 54.17 + 80) / 3
    assert card["dimensions"] == {
        "first_impression": 75.0,  # (100 + 50 + 75) / 3
        "care_and_concern": 77.78,  # (93.75 + 56.25 + 83.33) / 3
        "recovery": None,  # nothing in it was ever scorable
    }
    assert card["sections"] == {"first_impression": 75.0, "care": 77.78, "recovery": None}
    assert card["pass_rate"] == 0.6667
    assert card["critical_failures"] == {
        "count": 1,
        "rate": 0.3333,
        "items": [{"item": "courteous", "count": 1}],
    }
    # greeted, listened, courteous earn 2/3 of their points (ties by key), wait_seconds and
    # resolution 2.5/3; name_used (always earned when asked) is not missed.
    assert card["most_missed"] == [
        {"item": "courteous", "text": "Staff were courteous", "share_earned": 0.6667, "n": 3},
        {"item": "greeted", "text": "Greeted on arrival?", "share_earned": 0.6667, "n": 3},
        {"item": "listened", "text": "Listened?", "share_earned": 0.6667, "n": 3},
        {
            "item": "resolution",
            "text": "How was your question handled?",
            "share_earned": 0.8333,
            "n": 3,
        },
        {"item": "wait_seconds", "text": "Seconds until served", "share_earned": 0.8333, "n": 3},
    ]
    assert [row["id"] for row in card["recent"]] == [
        quarter["C"].pk,
        quarter["B"].pk,
        quarter["A"].pk,
    ]
    assert [(row["overall"], row["passed"]) for row in card["recent"]] == [
        (80.0, True),
        (54.17, False),
        (95.83, True),
    ]


def test_monthly_trend(world, api, quarter):
    card = get(api, world.hq, world.branch_a1, **{"from": "2025-01-01", "to": "2025-03-31"}).json()
    assert card["trend"] == [
        {"month": "2025-01", "n": 2, "mean_overall": 75.0, "pass_rate": 0.5},
        {"month": "2025-02", "n": 0, "mean_overall": None, "pass_rate": None},
        {"month": "2025-03", "n": 1, "mean_overall": 80.0, "pass_rate": 1.0},
    ]


def test_the_current_score_counts_not_the_superseded_one(world, api, quarter):
    """A re-score after a corrected answer moves the scorecard; the old row stays stored."""
    Answer.objects.filter(submission=quarter["B"], item="courteous").update(value=True)
    rescore_submissions(
        rescorable_submissions(submission_ids=[quarter["B"].pk], include_released=True)
    )
    assert Score.objects.filter(submission=quarter["B"]).count() == 2
    card = get(api, world.hq, world.branch_a1, **{"from": "2025-01-01", "to": "2025-03-31"}).json()
    # B is now 4.25/6 = 70.83 with no critical failure.
    assert card["n_audits"] == 3
    assert card["mean_overall"] == round((95.83 + 70.83 + 80) / 3, 2)
    assert card["critical_failures"] == {"count": 0, "rate": 0.0, "items": []}


def test_empty_period_gives_zero_audits_and_nulls(world, api, quarter):
    card = get(api, world.owner_a, world.branch_a1, **{"from": "2023-05-01", "to": "2023-06-15"})
    card = card.json()
    assert card["n_audits"] == 0
    assert card["mean_overall"] is None
    assert card["pass_rate"] is None
    assert card["dimensions"] == {} and card["sections"] == {}
    assert card["critical_failures"] == {"count": 0, "rate": None, "items": []}
    assert card["trend"] == [
        {"month": "2023-05", "n": 0, "mean_overall": None, "pass_rate": None},
        {"month": "2023-06", "n": 0, "mean_overall": None, "pass_rate": None},
    ]
    assert card["most_missed"] == [] and card["recent"] == []


def test_dates_default_to_the_last_twelve_months(world, api):
    recent = scored_submission(world, answers=A, started_at=timezone.now() - timedelta(days=30))
    scored_submission(world, answers=B, started_at=timezone.now() - timedelta(days=400))
    card = get(api, world.owner_a, world.branch_a1).json()
    today = timezone.now().astimezone(LONDON).date()
    assert card["to"] == today.isoformat()
    start = date.fromisoformat(card["from"])
    assert start == (today.replace(year=today.year - 1) + timedelta(days=1))
    assert card["n_audits"] == 1
    assert card["recent"][0]["id"] == recent.pk
    assert card["trend"][-1]["month"] == today.strftime("%Y-%m")
    assert card["trend"][0]["month"] == start.strftime("%Y-%m")


@pytest.mark.parametrize(
    "params, attr",
    [
        ({"from": "2025-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "from"),
        ({"from": "2000-01-01", "to": "2025-01-01"}, "from"),
    ],
)
def test_bad_dates_are_400_naming_the_field(world, api, params, attr):
    response = get(api, world.hq, world.branch_a1, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == [attr]


@pytest.mark.parametrize(
    "who, status",
    [
        ("owner_a", 200),
        ("hq", 200),
        ("reviewer", 200),
        ("admin", 200),
        ("owner_b", 404),
        ("shopper", 404),
        ("other_hq", 404),
    ],
)
def test_who_may_read(world, api, who, status):
    assert get(api, getattr(world, who), world.branch_a1).status_code == status


def test_no_token_is_401(world, api):
    assert get(api, None, world.branch_a1).status_code == 401


def test_unknown_branch_is_404(world, api):
    assert api(world.hq).get("/api/v1/branches/999999/scorecard/").status_code == 404


def test_no_shopper_identity_anywhere(world, api, quarter):
    card = get(api, world.hq, world.branch_a1, **{"from": "2025-01-01", "to": "2025-03-31"})

    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    assert not {key for key in keys(card.json()) if "shopper" in key or "user" in key}
    assert world.shopper.username not in json.dumps(card.json())


def test_query_count_does_not_grow_with_the_audits(world, api):
    client = api(world.hq)
    start = local(2025, 1, 3, 12)
    scored_submission(world, answers=A, started_at=start)
    counts = []
    for extra in (1, 8):
        for day in range(extra):
            scored_submission(world, answers=B, started_at=start + timedelta(days=day * 7))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                url(world.branch_a1, **{"from": "2025-01-01", "to": "2025-06-30"})
            )
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_openapi_documents_the_scorecard(world, api):
    schema = api(world.hq).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/branches/{id}/scorecard/"]["get"]
    assert {param["name"] for param in operation["parameters"]} >= {"id", "from", "to"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    card = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(card["properties"]) == {
        "branch",
        "from",
        "to",
        "n_audits",
        "mean_overall",
        "dimensions",
        "sections",
        "pass_rate",
        "critical_failures",
        "trend",
        "most_missed",
        "recent",
        "fair",
        "actions",
    }
