"""GET /benchmarks/, /benchmarks/compare/ and /shoppers/{id}/calibration/ over HTTP."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.services.benchmarks.building import benchmarks_refresh_brand
from audits.services.benchmarks.reads import branch_fair_summary
from support.league_data import make_league

pytestmark = pytest.mark.django_db

LEAGUE = "/api/v1/benchmarks/"
COMPARE = "/api/v1/benchmarks/compare/"
ROW_KEYS = {
    "id",
    "name",
    "n",
    "raw_mean",
    "fair_score",
    "interval",
    "percentile",
    "percentile_interval",
    "rank",
    "change",
    "change_significant",
    "few_audits",
}


@pytest.fixture
def league(world):
    """27 scored audits in August 2026 and the snapshots of 2026-Q3 (quarter and rolling)."""
    soft = make_league(world)
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3", "2026-08"])
    world.soft = soft
    return world


def _get(api, user, url, **params):
    return api(user).get(url, params)


def _attr(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["errors"][0]["attr"]


def test_head_office_and_reviewers_see_every_row_best_first(league, api):
    for user in (league.hq, league.reviewer):
        page = _get(api, user, LEAGUE, period="2026-Q3", level="branch").json()
        assert page["count"] == 3
        rows = page["results"]
        assert set(rows[0]) >= ROW_KEYS
        fair = [r["fair_score"] for r in rows]
        assert fair == sorted(fair, reverse=True)
        assert [r["id"] for r in rows] == [
            league.branch_a1.pk,
            league.branch_a2.pk,
            league.branch_b1.pk,
        ]
        assert [r["rank"] for r in rows] == [1, 2, 3]
        for r in rows:
            low, high = r["interval"]
            assert low < r["fair_score"] < high
            assert r["n"] == 9 and r["few_audits"] is False
        assert page["peers"]["n_units"] == 3
        assert page["peers"]["q1"] <= page["peers"]["median"] <= page["peers"]["q3"]
        assert all(round(page["peers"][q], 2) == page["peers"][q] for q in ("q1", "median", "q3"))
        assert (page["period"], page["level"], page["dimension"]) == (
            "2026-Q3",
            "branch",
            "overall",
        )


def test_branch_rows_also_rank_within_their_region(league, api):
    rows = _get(api, league.hq, LEAGUE, period="2026-Q3", level="branch").json()["results"]
    by_id = {r["id"]: r for r in rows}

    # North holds only Leeds; in the South, Brighton (a2) is ahead of Bath (b1).
    assert by_id[league.branch_a1.pk]["region_rank"] == 1
    assert by_id[league.branch_a1.pk]["region_percentile"] == 50.0  # no peers in its region
    assert by_id[league.branch_a2.pk]["region_rank"] == 1
    assert by_id[league.branch_b1.pk]["region_rank"] == 2
    south = by_id[league.branch_a2.pk]
    low, high = south["region_percentile_interval"]
    assert low <= south["region_percentile"] <= high
    franchisees = _get(api, league.hq, LEAGUE, period="2026-Q3", level="franchisee").json()
    assert all("region_rank" not in r for r in franchisees["results"])


def test_levels_dimensions_months_and_rolling_windows(league, api):
    franchisees = _get(api, league.hq, LEAGUE, period="2026-Q3", level="franchisee").json()
    assert {r["id"] for r in franchisees["results"]} == {
        league.franchisee_a.pk,
        league.franchisee_b.pk,
    }
    regions = _get(api, league.hq, LEAGUE, period="2026-Q3", level="region").json()
    assert {r["name"] for r in regions["results"]} == {"North", "South"}
    care = _get(api, league.hq, LEAGUE, period="2026-Q3", dimension="care_and_concern")
    assert care.status_code == 200 and care.json()["count"] == 3
    month = _get(api, league.hq, LEAGUE, period="2026-08").json()
    assert month["period_kind"] == "month" and month["count"] == 3
    rolling = _get(api, league.hq, LEAGUE, period="2026-Q3", rolling="true").json()
    assert rolling["period_kind"] == "rolling4q" and rolling["count"] == 3


def test_an_owner_sees_only_own_rows_and_unnamed_peer_quartiles(league, api):
    alice = _get(api, league.owner_a, LEAGUE, period="2026-Q3").json()
    assert [r["id"] for r in alice["results"]] == [league.branch_a1.pk, league.branch_a2.pk]
    assert alice["count"] == 2
    assert set(alice["peers"]) == {"q1", "median", "q3", "n_units"}
    assert alice["peers"]["n_units"] == 3  # all the brand's branches, none named
    hq = _get(api, league.hq, LEAGUE, period="2026-Q3").json()
    assert alice["peers"] == hq["peers"]
    # Ranks stay brand-wide: an owner learns where they stand, not who is above.
    assert [r["rank"] for r in alice["results"]] == [1, 2]

    bob = _get(api, league.owner_b, LEAGUE, period="2026-Q3").json()
    assert [r["id"] for r in bob["results"]] == [league.branch_b1.pk]
    own = _get(api, league.owner_b, LEAGUE, period="2026-Q3", level="franchisee").json()
    assert [r["id"] for r in own["results"]] == [league.franchisee_b.pk]
    regions = _get(api, league.owner_b, LEAGUE, period="2026-Q3", level="region").json()
    assert regions["count"] == 0 and regions["peers"]["n_units"] == 2


def test_shoppers_are_refused_and_other_brands_see_nothing(league, api):
    assert _get(api, league.shopper, LEAGUE, period="2026-Q3").status_code == 403
    assert _get(api, league.shopper, COMPARE, period="2026-Q3", branches="1").status_code == 403
    assert _get(api, None, LEAGUE, period="2026-Q3").status_code == 401
    other = _get(api, league.other_hq, LEAGUE, period="2026-Q3")
    assert other.status_code == 404


def test_pages_have_the_drf_shape(league, api):
    first = _get(api, league.hq, LEAGUE, period="2026-Q3", page_size=2).json()
    assert set(first) >= {"count", "next", "previous", "results", "peers"}
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    second = _get(api, league.hq, LEAGUE, period="2026-Q3", page_size=2, page=2).json()
    assert [r["id"] for r in second["results"]] == [league.branch_b1.pk]
    assert second["next"] is None and second["previous"] is not None


def test_bad_parameters_are_400s_naming_the_field(league, api):
    hq = league.hq
    assert _attr(_get(api, hq, LEAGUE)) == "period"
    assert _attr(_get(api, hq, LEAGUE, period="2026-Q5")) == "period"
    assert _attr(_get(api, hq, LEAGUE, period="26-11")) == "period"
    assert _attr(_get(api, hq, LEAGUE, period="2026-Q3", level="city")) == "level"
    assert _attr(_get(api, hq, LEAGUE, period="2026-Q3", dimension="Care!")) == "dimension"
    assert _attr(_get(api, hq, LEAGUE, period="2026-Q3", dimension="parking")) == "dimension"
    assert _attr(_get(api, hq, LEAGUE, period="2026-08", rolling="true")) == "rolling"
    assert _attr(_get(api, hq, LEAGUE, period="2026-Q3", rolling="maybe")) == "rolling"


def test_a_valid_period_without_a_snapshot_is_404(league, api):
    response = _get(api, league.hq, LEAGUE, period="2025-Q1")
    assert response.status_code == 404
    assert "2025-Q1" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("who", ["hq", "owner_a"])
def test_the_league_query_count_does_not_grow_with_the_page(league, api, who):
    client = api(getattr(league, who))

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LEAGUE, {"period": "2026-Q3", "page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(page_size, response.json()["count"])
        return len(queries)

    assert count(1) == count(3)
    assert count(1) <= 6


def test_compare_puts_branches_side_by_side(league, api):
    ids = f"{league.branch_b1.pk},{league.branch_a1.pk}"
    body = _get(api, league.hq, COMPARE, branches=ids, period="2026-Q3").json()
    assert body["months"] == ["2026-07", "2026-08", "2026-09"]
    assert body["dimensions"][0] == "overall"
    assert set(body["dimensions"]) == {"overall", "first_impression", "care_and_concern"}
    b1, a1 = body["branches"]
    assert (b1["id"], a1["id"]) == (league.branch_b1.pk, league.branch_a1.pk)
    assert a1["overall"]["fair_score"] > b1["overall"]["fair_score"]
    assert set(a1["dimensions"]) == {"first_impression", "care_and_concern"}
    assert a1["dimensions"]["care_and_concern"]["n"] == 9
    july, august, september = a1["trend"]
    assert july == {"period": "2026-07", "fair_score": None, "interval": None, "n": 0}
    assert august["n"] == 9 and august["fair_score"] is not None
    assert september["fair_score"] is None


def test_compare_refuses_unknown_or_invisible_branches(league, api):
    response = _get(
        api, league.owner_a, COMPARE, branches=f"{league.branch_b1.pk}", period="2026-Q3"
    )
    assert _attr(response) == "branches"
    assert str(league.branch_b1.pk) in response.json()["errors"][0]["detail"]
    assert _attr(_get(api, league.hq, COMPARE, branches="a,b", period="2026-Q3")) == "branches"
    assert _attr(_get(api, league.hq, COMPARE, branches="", period="2026-Q3")) == "branches"
    mine = _get(api, league.owner_a, COMPARE, branches=f"{league.branch_a2.pk}", period="2026-Q3")
    assert mine.status_code == 200
    assert mine.json()["branches"][0]["overall"]["n"] == 9


def test_a_shopper_who_grades_softer_has_positive_leniency(league, api):
    url = f"/api/v1/shoppers/{league.soft.pk}/calibration/"
    soft = _get(api, league.hq, url).json()
    assert soft["shopper"] == league.soft.pk
    assert soft["period"] == "2026-Q3" and soft["period_kind"] == "quarter"
    assert soft["leniency"] > 0
    low, high = soft["interval"]
    assert low < soft["leniency"] < high
    assert soft["n"] == 9
    strict = _get(api, league.hq, f"/api/v1/shoppers/{league.shopper.pk}/calibration/").json()
    assert strict["leniency"] < 0
    assert _get(api, league.reviewer, url).status_code == 200
    assert _get(api, league.hq, url, period="2026-08").json()["period"] == "2026-08"


def test_calibration_is_never_shown_to_owners_or_shoppers(league, api):
    url = f"/api/v1/shoppers/{league.soft.pk}/calibration/"
    assert _get(api, league.owner_a, url).status_code == 403
    assert _get(api, league.soft, url).status_code == 403
    assert _get(api, league.other_hq, url).status_code == 404
    assert _get(api, league.hq, url, period="2025-Q1").status_code == 404
    assert _attr(_get(api, league.hq, url, period="soon")) == "period"


def test_branch_fair_summary_for_the_scorecard(league):
    summary = branch_fair_summary(league.branch_a1.pk)
    assert set(summary) == {
        "period",
        "fair_score",
        "interval",
        "percentile",
        "percentile_interval",
        "few_audits",
    }
    assert summary["period"] == "2026-Q3"
    assert summary["percentile"] == 100.0
    assert branch_fair_summary(league.branch_a1.pk, period="2026-08")["period"] == "2026-08"
    assert branch_fair_summary(league.other_branch.pk) is None


def test_the_branch_scorecard_shows_the_fair_benchmark(league, api):
    url = f"/api/v1/branches/{league.branch_a1.pk}/scorecard/"
    card = _get(api, league.owner_a, url, **{"from": "2026-07-01", "to": "2026-09-30"}).json()
    assert card["fair"] == branch_fair_summary(league.branch_a1.pk)
    assert card["fair"]["period"] == "2026-Q3"
    low, high = card["fair"]["interval"]
    assert low < card["fair"]["fair_score"] < high
    # A scorecard ending before the first snapshot's quarter has no fair figure yet.
    early = _get(api, league.hq, url, **{"from": "2026-01-01", "to": "2026-06-30"}).json()
    assert early["fair"] is None
