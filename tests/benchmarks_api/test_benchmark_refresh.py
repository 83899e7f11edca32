"""Building and storing snapshots from scored audits (audits.services.benchmarks)."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest

from audits.models import BenchmarkRow, BenchmarkSnapshot, PeriodKind, Score
from audits.services.benchmarks.building import benchmarks_refresh_brand
from scoring.engine import score
from scoring.types import Answer
from support.factories import SMALL_CHECKLIST, ChecklistVersionFactory
from support.helpers import scored_submission
from support.league_data import answers_at, make_league

pytestmark = pytest.mark.django_db


def _scores(branch) -> list[float]:
    return [
        float(s.overall)
        for s in Score.objects.filter(is_current=True, submission__assignment__branch=branch)
    ]


def test_snapshot_is_built_from_the_scored_audits(world):
    make_league(world)
    written = benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])

    snapshots = BenchmarkSnapshot.objects.filter(brand=world.brand)
    kinds = {(s.period, s.period_kind) for s in snapshots}
    assert kinds == {("2026-Q3", PeriodKind.QUARTER), ("2026-Q3", PeriodKind.ROLLING_4Q)}
    assert written == snapshots.count()
    dims = set(snapshots.filter(period_kind=PeriodKind.QUARTER).values_list("dimension", flat=True))
    # Recovery has nothing scorable on these visits (no failure, so no apology item).
    assert dims == {"overall", "first_impression", "care_and_concern"}

    quarter = snapshots.get(period_kind=PeriodKind.QUARTER, dimension="overall")
    assert quarter.n_audits == 27
    assert quarter.data["period"] == "2026-Q3"
    rows = {r.unit_id: r.row for r in BenchmarkRow.objects.filter(snapshot=quarter, level="branch")}
    for branch in (world.branch_a1, world.branch_a2, world.branch_b1):
        raw = _scores(branch)
        assert rows[branch.pk]["n"] == len(raw) == 9
        assert rows[branch.pk]["raw_mean"] == pytest.approx(statistics.mean(raw), abs=0.01)
        assert rows[branch.pk]["name"] == branch.name
    # The better branch has the better fair score; rows are stored in league order.
    ordered = list(
        BenchmarkRow.objects.filter(snapshot=quarter, level="branch").order_by("position")
    )
    assert [r.unit_id for r in ordered] == [
        world.branch_a1.pk,
        world.branch_a2.pk,
        world.branch_b1.pk,
    ]
    assert [r.row["rank"] for r in ordered] == [1, 2, 3]
    franchisees = BenchmarkRow.objects.filter(snapshot=quarter, level="franchisee")
    assert {r.unit_id for r in franchisees} == {world.franchisee_a.pk, world.franchisee_b.pk}
    assert BenchmarkRow.objects.filter(snapshot=quarter, level="region").count() == 2
    assert quarter.summary["branch"]["count"] == 3


def test_refresh_is_an_upsert(world):
    make_league(world, rounds=1)
    first = benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])
    ids = set(BenchmarkSnapshot.objects.values_list("pk", flat=True))
    again = benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])
    assert first == again
    assert set(BenchmarkSnapshot.objects.values_list("pk", flat=True)) == ids
    assert BenchmarkRow.objects.filter(level="branch").count() == 3 * len(ids)


def test_the_period_is_the_visit_date_in_the_branch_time_zone(world):
    tokyo = world.branch_a1
    tokyo.timezone = "Asia/Tokyo"
    tokyo.save()
    # 00:30 on 1 October in Tokyo is still 30 September in UTC.
    scored_submission(world, branch=tokyo, started_at=datetime(2026, 9, 30, 15, 30, tzinfo=UTC))
    # The same instant in London (UTC+1 in summer) is 30 September, 16:30.
    scored_submission(
        world, branch=world.branch_b1, started_at=datetime(2026, 9, 30, 15, 30, tzinfo=UTC)
    )
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-09", "2026-10"])

    def branches_in(period):
        snapshot = BenchmarkSnapshot.objects.get(
            period=period, period_kind=PeriodKind.MONTH, dimension="overall"
        )
        return set(snapshot.rows.filter(level="branch").values_list("unit_id", flat=True))

    assert branches_in("2026-10") == {tokyo.pk}
    assert branches_in("2026-09") == {world.branch_b1.pk}


def test_default_refresh_builds_every_period_first_then_recent_and_touched_ones(world):
    make_league(world, rounds=1)  # August 2026
    written = benchmarks_refresh_brand(brand=world.brand, today=date(2026, 11, 30))
    keys = set(BenchmarkSnapshot.objects.values_list("period_kind", "period").distinct())
    assert keys == {
        ("month", "2026-08"),
        ("quarter", "2026-Q3"),
        ("year", "2026"),
        # Rolling windows ending at Q3 and Q4 contain August; later ones lie in the future.
        ("rolling4q", "2026-Q3"),
        ("rolling4q", "2026-Q4"),
    }
    assert written == BenchmarkSnapshot.objects.count()

    # A later refresh with nothing new rebuilds only the recent months' periods that have
    # audits (Sept-Nov have none, so their months stay absent).
    before = dict(BenchmarkSnapshot.objects.values_list("pk", "built_at"))
    benchmarks_refresh_brand(brand=world.brand, today=date(2026, 11, 30))
    after = dict(BenchmarkSnapshot.objects.values_list("pk", "built_at"))
    month = BenchmarkSnapshot.objects.get(period="2026-08", dimension="overall")
    assert after[month.pk] == before[month.pk]  # August is neither recent nor touched
    rolling = BenchmarkSnapshot.objects.get(
        period="2026-Q4", period_kind="rolling4q", dimension="overall"
    )
    assert after[rolling.pk] > before[rolling.pk]  # Q4 is recent

    # A late upload for August touches August again.
    scored_submission(world, started_at=datetime(2026, 8, 20, 12, tzinfo=UTC))
    benchmarks_refresh_brand(brand=world.brand, today=date(2026, 11, 30))
    month.refresh_from_db()
    assert month.built_at > before[month.pk]
    assert month.n_audits == 10


def test_a_late_upload_also_rebuilds_the_next_period_whose_change_it_is_the_baseline_of(world):
    make_league(world, rounds=1)  # August 2026
    scored_submission(world, started_at=datetime(2026, 7, 20, 12, tzinfo=UTC))
    today = date(2026, 12, 31)  # July and August are long past the recent months
    benchmarks_refresh_brand(brand=world.brand, today=today)
    august = BenchmarkSnapshot.objects.get(period="2026-08", dimension="overall")
    before = august.built_at

    scored_submission(world, started_at=datetime(2026, 7, 21, 12, tzinfo=UTC))
    benchmarks_refresh_brand(brand=world.brand, today=today)

    august.refresh_from_db()
    assert august.built_at > before
    assert BenchmarkSnapshot.objects.get(period="2026-07", dimension="overall").n_audits == 2


def test_a_zeroed_critical_failure_counts_with_its_calculated_score(world):
    definition = {**SMALL_CHECKLIST, "critical_policy": "zero"}
    world.checklist = ChecklistVersionFactory(
        template__brand=world.brand, critical_policy="zero", definition=definition
    )
    failed = answers_at(3, courteous=False)
    submission = scored_submission(
        world, answers=failed, started_at=datetime(2026, 8, 5, 10, tzinfo=UTC)
    )
    stored = submission.scores.get(is_current=True)
    assert float(stored.overall) == 0.0  # the zero policy
    flagged = score(
        world.checklist.checklist.__class__(
            title="t",
            sections=world.checklist.checklist.sections,
            critical_policy="flag",
        ),
        [Answer(item=a["item"], value=a.get("value"), na=a.get("na", False)) for a in failed],
    )
    expected = float(flagged.overall)
    assert expected > 50
    assert float(stored.calculated_overall) == pytest.approx(expected, abs=0.005)

    scored_submission(world, answers=answers_at(3), started_at=datetime(2026, 8, 6, 10, tzinfo=UTC))
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-08"])
    snapshot = BenchmarkSnapshot.objects.get(period="2026-08", dimension="overall")
    row = snapshot.rows.get(level="branch").row
    good = float(Score.objects.exclude(pk=stored.pk).get(is_current=True).overall)
    assert row["raw_mean"] == pytest.approx((expected + good) / 2, abs=0.01)
    assert row["critical_failure_rate"] > 0
    # Served beside the smoothed rate: the raw count and the audits it stands on.
    assert (row["critical_failures"], row["critical_audits"]) == (1, 2)


def test_the_refresh_ranks_the_stored_calculated_overall(world):
    """The collector reads the column scoring wrote, not `overall` nor a recomputation."""
    submission = scored_submission(
        world, answers=answers_at(3), started_at=datetime(2026, 8, 5, 10, tzinfo=UTC)
    )
    Score.objects.filter(submission=submission).update(calculated_overall=42)
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-08"])
    snapshot = BenchmarkSnapshot.objects.get(period="2026-08", dimension="overall")
    assert snapshot.rows.get(level="branch").row["raw_mean"] == 42.0


def test_a_snapshot_another_refresh_created_meanwhile_is_updated_not_duplicated(world, monkeypatch):
    """The upsert looks the snapshot up without loading its JSON; a create that loses to a
    concurrent refresh's (the unique key refuses it) updates that one instead."""
    from django.db.models.query import QuerySet

    from audits.services.benchmarks import building

    make_league(world)
    benchmarks_refresh_brand(brand=world.brand, periods=["2026-Q3"])
    stored = BenchmarkSnapshot.objects.get(
        brand=world.brand, period_kind=PeriodKind.QUARTER, period="2026-Q3", dimension="overall"
    )
    real_first, looked = QuerySet.first, []

    def not_there_yet(queryset):  # the lookup ran before the other refresh committed
        if not looked:
            looked.append(True)
            return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", not_there_yet)
    key = {"brand": world.brand, "period": "2026-Q3", "period_kind": PeriodKind.QUARTER}
    pk = building._upsert_snapshot({**key, "dimension": "overall"}, {"n_audits": 99})

    assert pk == stored.pk and looked == [True]
    assert BenchmarkSnapshot.objects.filter(**key, dimension="overall").get().n_audits == 99
