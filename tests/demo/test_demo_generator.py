"""The demo generator's model, without the database: valid answers, plausible visits."""

from __future__ import annotations

import json
import random
import statistics
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.network import plan_network
from demo.visits import AnswerSimulator, plan_visits
from scoring.answers import parse_answers, validate_answers
from scoring.checklist import parse_checklist
from scoring.engine import score

FIXTURE = Path(__file__).resolve().parents[2] / "audits" / "fixtures" / "default_checklist.json"
END = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def checklist():
    return parse_checklist(json.loads(FIXTURE.read_text(encoding="utf-8")))


def network(seed: int = 1, branches: int = 24, shoppers: int = 12):
    return plan_network(
        random.Random(seed),
        branches=branches,
        shoppers=shoppers,
        dimensions=("care_and_concern", "recovery"),
        visits_per_month=4.2,
    )


@pytest.mark.parametrize("quality", [-3.0, -1.0, 0.0, 1.0, 3.0])
def test_simulated_answers_always_pass_validation(checklist, quality):
    simulator = AnswerSimulator(checklist)
    rng = random.Random(quality)
    for _ in range(150):
        visit = simulator.visit(
            rng, quality=quality, leniency=rng.gauss(0, 0.5), dimension_effects={}
        )
        answers = parse_answers(visit.answers)
        assert validate_answers(checklist, answers) == {}
        answered = {a.item for a in answers}
        assert ("rc_resolved" in answered) == visit.went_wrong
        score(checklist, answers)  # scorable as it is


def test_better_branches_score_higher_and_lenient_shoppers_softer(checklist):
    simulator = AnswerSimulator(checklist)
    rng = random.Random(5)

    def mean(quality, leniency):
        return statistics.mean(
            float(
                score(
                    checklist,
                    parse_answers(
                        simulator.visit(
                            rng, quality=quality, leniency=leniency, dimension_effects={}
                        ).answers
                    ),
                ).overall
            )
            for _ in range(300)
        )

    worse, average, better = mean(-1, 0), mean(0, 0), mean(1, 0)
    assert worse + 3 < average < better - 3
    assert mean(0, -0.6) < mean(0, 0.6)


def test_network_shape_and_owner_franchisee():
    plan = network()
    assert len(plan.branches) == 24 and len(plan.regions) == 4 and len(plan.franchisees) == 8
    assert sum(b.franchisee == plan.owner_franchisee for b in plan.branches) == 3
    assert len({b.name for b in plan.branches}) == 24
    assert plan.shoppers[0].username == "shopper"
    assert plan.shoppers[1].username == "shopper-0002"
    big = network(branches=2000, shoppers=400)
    assert len(big.branches) == 2000 and len(big.regions) == 10
    assert len({b.name for b in big.branches}) == 2000


def test_same_seed_same_plan():
    first, second = network(3), network(3)
    assert [b.name for b in first.branches] == [b.name for b in second.branches]
    visits = [plan_visits(9, p, months=6, end=END) for p in (first, second)]
    assert visits[0] == visits[1]


def test_visits_are_spread_at_opening_hours_by_different_shoppers():
    plan = network()
    visits = plan_visits(2, plan, months=6, end=END)
    assert 350 < len(visits) < 900  # ~4.2 a branch a month
    assert all(v.started_at < END for v in visits)
    for v in visits:
        local = v.started_at.astimezone(zoneinfo.ZoneInfo(plan.branches[v.branch].timezone))
        assert 7 <= local.hour < 19
    for branch in range(len(plan.branches)):
        shoppers = [v.shopper for v in visits if v.branch == branch]
        if len(shoppers) >= 4:
            assert len(set(shoppers)) >= 2
    months_ago = [v.months_ago for v in visits]
    assert min(months_ago) < 0.5 and max(months_ago) > 5.5


def test_the_simulator_works_on_any_checklist():
    from support.factories import SMALL_CHECKLIST

    small = parse_checklist(SMALL_CHECKLIST)
    simulator = AnswerSimulator(small)
    rng = random.Random(4)
    wrong = 0
    for _ in range(200):
        visit = simulator.visit(rng, quality=rng.gauss(0, 1), leniency=0.0, dimension_effects={})
        answers = parse_answers(visit.answers)
        assert validate_answers(small, answers) == {}
        wrong += visit.went_wrong
        assert ("apology" in {a.item for a in answers}) == visit.went_wrong
    assert 5 < wrong < 100
