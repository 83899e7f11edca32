"""A whole league-table snapshot: shape, order, intervals, change, windows and storage."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from scoring.benchmark import (
    AuditRecord,
    Snapshot,
    UnitInfo,
    build_snapshot,
    build_snapshots,
    lay_out,
)
from support.benchmark_data import brand_records

BRANCH_KEYS = {
    "id", "name", "n", "raw_mean", "fair_score", "fair_se", "interval", "percentile",
    "percentile_interval", "rank", "change", "change_p_value", "change_significant",
    "few_audits", "critical_failures", "critical_failure_rate", "critical_audits", "members",
    "region_id",
    "franchisee_id", "region_percentile", "region_percentile_interval", "region_rank",
}  # fmt: skip


@pytest.fixture(scope="module")
def brand():
    return brand_records()


@pytest.fixture(scope="module")
def snapshot(brand):
    records, units = brand
    return build_snapshot(records, units, period="2026-Q3", draws=300)


def test_rows_are_ordered_by_fair_score_with_ranks_1_to_n(snapshot):
    for level, count in (("branch", 24), ("franchisee", 6), ("region", 3)):
        rows = snapshot.rows[level]
        assert len(rows) == count
        assert [row.rank for row in rows] == list(range(1, count + 1))
        scores = [row.fair_score for row in rows]
        assert scores == sorted(scores, reverse=True)


def test_every_interval_contains_its_point(snapshot):
    for rows in snapshot.rows.values():
        for row in rows:
            assert row.interval[0] < row.fair_score < row.interval[1]
            assert row.percentile_interval[0] <= row.percentile <= row.percentile_interval[1]
            assert 0.0 <= row.critical_failure_rate <= 1.0
    for row in snapshot.rows["branch"]:
        low, high = row.region_percentile_interval
        assert low <= row.region_percentile <= high
    for shopper in snapshot.shoppers:
        assert shopper.interval[0] <= shopper.leniency <= shopper.interval[1]


def test_branch_rows_carry_their_network_and_raw_mean(brand, snapshot):
    records, _units = brand
    row = next(r for r in snapshot.rows["branch"] if r.id == "b05")
    mine = [r.score for r in records if r.branch_id == "b05"]
    assert row.n == len(mine) == 4
    assert row.raw_mean == pytest.approx(sum(mine) / len(mine))
    assert (row.name, row.franchisee_id, row.region_id) == ("Branch 5", "f1", "r2")
    assert row.critical_failures == sum(r.critical_failure for r in records if r.branch_id == "b05")
    franchisee = next(r for r in snapshot.rows["franchisee"] if r.id == "f1")
    members = [r for r in snapshot.rows["branch"] if r.franchisee_id == "f1"]
    assert franchisee.members == 4 and franchisee.n == 16
    assert franchisee.name == "Franchisee 1"
    assert franchisee.fair_score == pytest.approx(sum(m.fair_score for m in members) / 4)
    # Averaging four branches is more certain than any one of them.
    assert franchisee.fair_se < min(m.fair_se for m in members)


def test_to_dict_is_json_and_reads_back(snapshot):
    data = json.loads(json.dumps(snapshot.to_dict(), allow_nan=False))
    assert set(data) == {
        "period", "dimension", "rows", "quartiles", "shoppers", "variance_components", "settings"
    }  # fmt: skip
    assert set(data["rows"]["branch"][0]) == BRANCH_KEYS
    assert set(data["shoppers"][0]) == {"shopper", "leniency", "interval", "n"}
    assert set(data["quartiles"]["branch"]) == {"min", "q1", "median", "q3", "max"}
    assert Snapshot.from_dict(data).to_dict() == data


def test_same_seed_same_snapshot(brand, snapshot):
    records, units = brand
    again = build_snapshot(records, units, period="2026-Q3", draws=300)
    assert again.to_dict() == snapshot.to_dict()


def test_few_audits_badge_under_the_brand_minimum(brand):
    records, units = brand
    some = [r for r in records if not (r.branch_id == "b00" and r.audit_id != "a0")]
    snap = build_snapshot(some, units, period="2026-Q3", min_audits=3, draws=50)
    badges = {row.id: row.few_audits for row in snap.rows["branch"]}
    assert badges["b00"] is True
    assert not any(flag for key, flag in badges.items() if key != "b00")


def test_a_real_jump_is_flagged_and_noise_is_not(brand, snapshot):
    _records, units = brand
    later, _ = brand_records(seed=3, prefix="n", shift={"b03": 40.0}, visited_on=date(2026, 11, 1))
    current = build_snapshot(later, units, period="2026-Q4", previous=snapshot.to_dict(), draws=100)
    rows = {row.id: row for row in current.rows["branch"]}
    assert rows["b03"].change_significant
    assert rows["b03"].change > 10
    assert sum(row.change_significant for row in rows.values()) == 1
    assert current.settings["previous_period"] == "2026-Q3"


def test_previous_snapshot_must_be_of_the_same_dimension(brand, snapshot):
    records, units = brand
    with pytest.raises(ValueError):
        build_snapshot(records, units, period="2026-Q4", dimension="service", previous=snapshot)


def test_dimension_snapshots_count_only_audits_that_scored_it(brand):
    records, units = brand
    snap = build_snapshot(records, units, period="2026-Q3", dimension="cleanliness", draws=50)
    scored = [r for r in records if r.dimension_scores["cleanliness"] is not None]
    assert snap.variance_components.n_audits == len(scored) == len(records) // 2
    service = build_snapshot(records, units, period="2026-Q3", dimension="service", draws=50)
    assert service.variance_components.brand_mean == pytest.approx(
        build_snapshot(records, units, period="2026-Q3", draws=50).variance_components.brand_mean
        - 5.0
    )


def test_a_longer_shopper_window_informs_leniency_but_not_the_table(brand, snapshot):
    records, units = brand
    earlier, _ = brand_records(seed=11, prefix="e", visited_on=date(2026, 2, 1))
    snap = build_snapshot(
        records, units, period="2026-Q3", shopper_window_records=earlier + records, draws=50
    )
    assert len(snap.rows["branch"]) == 24
    assert {row.n for row in snap.rows["branch"]} == {4}
    assert snap.settings["window_audits"] == len(earlier)
    assert sum(s.n for s in snap.shoppers) == len(records) + len(earlier)
    assert snap.variance_components.n_audits == len(records) + len(earlier)
    raw = {row.id: row.raw_mean for row in snapshot.rows["branch"]}
    assert {row.id: row.raw_mean for row in snap.rows["branch"]} == raw


def test_several_dimensions_at_once_are_each_what_it_gives_alone(brand, snapshot):
    """A refresh builds a period's dimensions together from one layout of its records; each
    must be exactly the snapshot of that dimension built alone, window audits, dimensions an
    audit did not score and change tests included."""
    records, units = brand
    earlier, _ = brand_records(seed=11, prefix="e", visited_on=date(2026, 2, 1))
    window = earlier + records
    dimensions = ["overall", "cleanliness", "service", "not-scored-by-anyone"]
    previous = {"overall": snapshot.to_dict()}
    together = build_snapshots(
        records,
        units,
        period="2026-Q4",
        dimensions=dimensions,
        previous=previous,
        shopper_window_records=window,
        draws=50,
    )
    assert list(together) == dimensions
    for dimension in dimensions:
        alone = build_snapshot(
            records,
            units,
            period="2026-Q4",
            dimension=dimension,
            previous=previous.get(dimension),
            shopper_window_records=window,
            draws=50,
        )
        assert together[dimension].to_dict() == alone.to_dict()
    assert together["cleanliness"].variance_components.n_audits < len(window)
    assert together["not-scored-by-anyone"].variance_components.n_audits == 0


def test_a_layout_kept_across_calls_gives_what_laying_out_each_time_does(brand, snapshot):
    """A split rebuild lays a period out once and builds each dimension in its own call."""
    records, units = brand
    earlier, _ = brand_records(seed=11, prefix="e", visited_on=date(2026, 2, 1))
    window = earlier + records
    layout = lay_out(records, period="2026-Q4", shopper_window_records=window)
    for dimension in ("overall", "service"):
        kwargs = {"period": "2026-Q4", "dimensions": [dimension], "draws": 50}
        kept = build_snapshots(records, units, layout=layout, **kwargs)
        fresh = build_snapshots(records, units, shopper_window_records=window, **kwargs)
        assert kept[dimension].to_dict() == fresh[dimension].to_dict()
    with pytest.raises(ValueError, match="layout is of a quarter"):
        build_snapshots(records, units, period="2026-11", dimensions=["overall"], layout=layout)


def _edge_brand() -> tuple[list[AuditRecord], dict[str, UnitInfo]]:
    """Branches near both ends of the scale, one or two audits each, shoppers who disagree:
    wide intervals that a symmetric normal approximation carries past 0 and 100."""
    scores = {"top": [100.0, 99.0], "high": [96.0], "mid": [60.0, 75.0], "low": [2.0, 0.0]}
    scores.update({f"m{k}": [20.0 + 15 * k, 85.0 - 10 * k] for k in range(4)})
    records, units = [], {}
    for b, (branch, values) in enumerate(scores.items()):
        units[branch] = UnitInfo(branch, branch.title(), f"f{b % 2}", "r1")
        for i, value in enumerate(values):
            failed = branch == "low" or (branch == "mid" and i == 0)
            records.append(
                AuditRecord(
                    f"{branch}{i}", branch, f"s{(b + i) % 3}", value, failed, date(2026, 8, 1)
                )
            )
    return records, units


def test_intervals_stay_on_the_0_to_100_scale():
    """Issue 14: [89.07, 104.01] was served for a score that cannot pass 100."""
    snap = build_snapshot(*_edge_brand(), period="2026-Q3", draws=50)
    clipped = []
    for rows in snap.rows.values():
        for row in rows:
            low, high = row.interval
            assert 0.0 <= low <= row.fair_score <= high <= 100.0
            clipped += [bound for bound in (low, high) if bound in (0.0, 100.0)]
    assert clipped  # the brand does reach past an end: the clip is what holds the bound


def test_the_smoothed_critical_rate_comes_with_what_it_was_shrunk_from():
    """A rate shrunk towards the brand says how many audits and failures it stands on."""
    records, units = _edge_brand()
    snap = build_snapshot(records, units, period="2026-Q3", draws=20)
    for row in snap.rows["branch"]:
        mine = [r for r in records if r.branch_id == row.id]
        assert row.critical_audits == len(mine)
        assert row.critical_failures == sum(r.critical_failure for r in mine)
    (low,) = (row for row in snap.rows["branch"] if row.id == "low")
    assert (low.critical_failures, low.critical_audits) == (2, 2)
    assert low.critical_failure_rate < 1.0  # shrunk: two audits are not certainty
    for row in snap.rows["franchisee"]:
        assert row.critical_audits == sum(
            1 for r in records if units[r.branch_id].franchisee_id == row.id
        )
    assert snap.to_dict()["rows"]["branch"][0]["critical_audits"] >= 1


def test_tiny_brands_give_finite_tables():
    units = {"b1": UnitInfo("b1", "Only", "f1", "r1")}
    one = AuditRecord("x", "b1", "s1", 77.0, True, date(2026, 8, 1))
    snap = build_snapshot([one], units, period="2026-Q3", draws=20)
    json.dumps(snap.to_dict(), allow_nan=False)
    (row,) = snap.rows["branch"]
    assert (row.fair_score, row.percentile, row.rank, row.few_audits) == (77.0, 50.0, 1, True)
    assert row.critical_failure_rate == 1.0
    empty = build_snapshot([], units, period="2026-Q3")
    assert empty.rows["branch"] == () and empty.quartiles["branch"] is None
    json.dumps(empty.to_dict(), allow_nan=False)


def test_branches_without_metadata_still_rank():
    records = [
        AuditRecord(f"a{i}", f"b{i % 3}", f"s{i % 4}", 60.0 + i, False, date(2026, 8, 1))
        for i in range(12)
    ]
    snap = build_snapshot(records, {}, period="2026-Q3", draws=20)
    assert {row.name for row in snap.rows["branch"]} == {"b0", "b1", "b2"}
    assert snap.rows["franchisee"] == () and snap.rows["region"] == ()
    assert all(math.isfinite(row.fair_score) for row in snap.rows["branch"])


def test_duplicate_audits_and_bad_periods_are_refused(brand):
    records, units = brand
    with pytest.raises(ValueError):
        build_snapshot(records + records[:1], units, period="2026-Q3")
    with pytest.raises(ValueError):
        build_snapshot(records, units, period="Q3 2026")


@pytest.mark.parametrize("where", ["period", "window"])
def test_a_score_that_is_not_finite_is_refused_naming_the_audit(brand, where):
    records, units = brand
    bad = AuditRecord("broken", "b01", "s01", math.nan, False, date(2026, 8, 2))
    period, window = ([*records, bad], None) if where == "period" else (records, [*records, bad])
    with pytest.raises(ValueError, match="audit broken: score is not finite"):
        build_snapshot(period, units, period="2026-Q3", shopper_window_records=window, draws=20)
