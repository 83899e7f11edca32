"""The fairness bench's simulation is what docs/benchmarking.md says it is (a quick smoke test;
the figures themselves come from running bench/fairness.py)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from scoring.answers import validate_answers
from scoring.engine import score

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fairness.py"


@pytest.fixture(scope="module")
def fairness():
    spec = importlib.util.spec_from_file_location("fairness_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_engine_answers_are_valid_and_score_higher_on_better_visits(fairness):
    checklist = fairness.load_checklist()
    rng = random.Random(0)
    for z in (-6.0, 0.0, 6.0):
        answers = fairness.draw_answers(checklist, z, rng)
        assert validate_answers(checklist, answers) == {}
        assert score(checklist, answers).overall is not None
    means = [fairness.engine_scores(checklist, np.full(60, z), rng)[0].mean() for z in (-2, 0, 2)]
    assert means[0] + 5 < means[1] < means[2] - 3


def test_each_audit_of_a_branch_has_its_own_shopper_and_regions_keep_theirs(fairness):
    rng = np.random.default_rng(0)
    branch, shopper, _latent, _quality, region = fairness.simulate(fairness.CASES["d"], rng)
    assert np.bincount(branch).tolist() == [3] * fairness.BRANCHES
    for j in range(fairness.BRANCHES):
        mine = shopper[branch == j]
        assert len(set(mine.tolist())) == mine.size
        assert np.all(mine % fairness.REGIONS == region[j])
    counts = np.bincount(fairness.simulate(fairness.CASES["b"], rng)[0])
    assert counts.min() >= 1 and counts.max() <= 5


def test_one_normal_replicate_goes_through_build_snapshot(fairness):
    raw, fair, fitted = fairness.replicate(fairness.CASES["a"], 1, "normal")
    for metrics in (raw, fair):
        assert 0.4 < metrics["spearman"] < 0.95
        assert 0.5 < metrics["coverage"] <= 1.0
    assert fair["rmse"] < raw["rmse"]
    assert 0.7 < fitted["branch_sd"] < 1.3
