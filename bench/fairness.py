"""Do fair scores rank branches better than raw means? Simulate brands where the truth is known.

    .venv/bin/python bench/fairness.py [--replicates 200] [--seed 0] [--cases a,b,c,d]

Each replicate simulates a brand of 500 branches and 200 shoppers in one quarter, with a
different shopper on each audit of a branch: score = branch quality + shopper leniency + noise,
in branch-SD units (branch SD 1). The audits go through the real `build_snapshot`, and the
fair scores are compared with the raw means on the same data:

    (a) 3 audits a branch, shopper SD 0.5, noise SD 1.5
    (b) as (a) with 1 to 5 audits a branch (uniform)
    (c) as (a) with shopper SD 1
    (d) as (a) with shoppers who stay in one of 20 regions, half their leniency shared by the
        region's shoppers (no target: a region's shared leniency looks like its quality)

Raw means get the naive interval raw +- 1.645 s / sqrt(n), with s the pooled within-branch SD,
and percentile intervals from normal draws around the raw means with that SD, so that both
columns are judged the same way. Prints a table and PASS/FAIL against each target.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.benchmark import AuditRecord, UnitInfo, build_snapshot
from scoring.benchmark.ranking import percentile_intervals, percentiles

BRANCHES, SHOPPERS, REGIONS = 500, 200, 20
Z90 = 1.6448536269514722
DRAWS = 1000


@dataclass(frozen=True)
class Case:
    name: str
    shopper_sd: float = 0.5
    noise_sd: float = 1.5
    audits: tuple[int, int] = (3, 3)
    regional_shoppers: bool = False


CASES = {
    "a": Case("a: 3 audits"),
    "b": Case("b: 1-5 audits", audits=(1, 5)),
    "c": Case("c: shopper SD 1", shopper_sd=1.0),
    "d": Case("d: regional shoppers", regional_shoppers=True),
}
METRICS = ("spearman", "rmse", "coverage", "pct_width", "pct_coverage", "top_in_bottom")


def simulate(case: Case, rng: np.random.Generator):
    """One brand's audits: (branch, shopper, score) arrays and the true branch qualities."""
    quality = rng.normal(0.0, 1.0, BRANCHES)
    region = np.arange(BRANCHES) % REGIONS
    if case.regional_shoppers:
        shared = rng.normal(0.0, case.shopper_sd / np.sqrt(2), REGIONS)
        shopper_region = np.arange(SHOPPERS) % REGIONS
        own = rng.normal(0.0, case.shopper_sd / np.sqrt(2), SHOPPERS)
        leniency = shared[shopper_region] + own
    else:
        shopper_region = None
        leniency = rng.normal(0.0, case.shopper_sd, SHOPPERS)
    low, high = case.audits
    counts = rng.integers(low, high + 1, BRANCHES)
    branch, shopper = [], []
    for j in range(BRANCHES):
        pool = np.arange(SHOPPERS)
        if shopper_region is not None:
            pool = pool[shopper_region == region[j]]
        branch.extend([j] * counts[j])
        shopper.extend(rng.choice(pool, size=counts[j], replace=False))
    branch, shopper = np.array(branch), np.array(shopper)
    score = quality[branch] + leniency[shopper] + rng.normal(0.0, case.noise_sd, branch.size)
    return branch, shopper, score, quality, region


def to_records(branch, shopper, score, region):
    records = [
        AuditRecord(
            audit_id=str(i),
            branch_id=f"b{branch[i]:03d}",
            shopper_id=f"s{shopper[i]:03d}",
            score=float(score[i]),
            critical_failure=False,
            visited_on=date(2026, 8, 1),
        )
        for i in range(branch.size)
    ]
    units = {
        f"b{j:03d}": UnitInfo(f"b{j:03d}", f"Branch {j}", region_id=f"r{region[j]}")
        for j in range(BRANCHES)
    }
    return records, units


def measure(estimate, se, low_pct, high_pct, truth) -> dict[str, float]:
    """How well estimates with standard errors and percentile intervals recover the truth."""
    true_pct = percentiles(truth)
    shown_pct = percentiles(estimate)
    top = truth >= np.quantile(truth, 0.9)
    return {
        "spearman": float(spearmanr(estimate, truth).statistic),
        "rmse": float(np.sqrt(np.mean((estimate - truth) ** 2))),
        "coverage": float(np.mean(np.abs(estimate - truth) <= Z90 * se)),
        "pct_width": float(np.mean(high_pct - low_pct)),
        "pct_coverage": float(np.mean((low_pct <= true_pct) & (true_pct <= high_pct))),
        "top_in_bottom": float(np.mean(shown_pct[top] < 50.0)),
    }


def replicate(case: Case, seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    branch, shopper, score, quality, region = simulate(case, rng)
    records, units = to_records(branch, shopper, score, region)
    snapshot = build_snapshot(records, units, period="2026-Q3", seed=seed, draws=DRAWS)
    rows = {row.id: row for row in snapshot.rows["branch"]}
    ids = [f"b{j:03d}" for j in range(BRANCHES)]
    fair = np.array([rows[i].fair_score for i in ids])
    fair_se = np.array([rows[i].fair_se for i in ids])
    fair_low = np.array([rows[i].percentile_interval[0] for i in ids])
    fair_high = np.array([rows[i].percentile_interval[1] for i in ids])
    # The truth on the fair scale is the brand mean (0 here) plus the branch's quality.
    fair_metrics = measure(fair, fair_se, fair_low, fair_high, quality)

    n = np.bincount(branch, minlength=BRANCHES)
    raw = np.bincount(branch, score, minlength=BRANCHES) / n
    within = score - raw[branch]
    pooled_sd = np.sqrt(np.sum(within**2) / max(branch.size - BRANCHES, 1))
    raw_se = pooled_sd / np.sqrt(n)
    raw_draws = raw[:, None] + raw_se[:, None] * rng.standard_normal((BRANCHES, DRAWS))
    raw_low, raw_high = percentile_intervals(raw_draws, percentiles(raw))
    raw_metrics = measure(raw, raw_se, raw_low, raw_high, quality)
    return raw_metrics, fair_metrics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default="a,b,c,d")
    args = parser.parse_args()
    print(" ".join(["command:", "python", *sys.argv]))
    started = time.perf_counter()
    results = {}
    for key in args.cases.split(","):
        case = CASES[key]
        raw_runs, fair_runs = [], []
        for r in range(args.replicates):
            raw_m, fair_m = replicate(case, args.seed * 100_003 + r * 7 + ord(key))
            raw_runs.append(raw_m)
            fair_runs.append(fair_m)
        results[key] = tuple(
            {m: float(np.mean([run[m] for run in runs])) for m in METRICS}
            for runs in (raw_runs, fair_runs)
        )
    elapsed = time.perf_counter() - started

    header = (
        f"{'case':<22}{'method':<6}{'Spearman':>9}{'RMSE':>7}{'cover90':>8}"
        f"{'pct width':>10}{'pct cover':>10}{'top10->bottom50':>16}"
    )
    print(f"replicates: {args.replicates} per case, seed {args.seed}, {elapsed:.0f} s")
    print(header)
    for key, (raw_m, fair_m) in results.items():
        for label, m in (("raw", raw_m), ("fair", fair_m)):
            print(
                f"{CASES[key].name:<22}{label:<6}{m['spearman']:>9.3f}{m['rmse']:>7.3f}"
                f"{m['coverage']:>8.1%}{m['pct_width']:>10.1f}{m['pct_coverage']:>10.1%}"
                f"{m['top_in_bottom']:>16.2%}"
            )

    failures = 0
    for key, (raw_m, fair_m) in results.items():
        if key == "d":
            continue
        checks = [
            (
                f"({key}) fair RMSE {fair_m['rmse']:.3f} <= 0.76 x raw {raw_m['rmse']:.3f}",
                fair_m["rmse"] <= 0.76 * raw_m["rmse"],
            ),
            (
                f"({key}) fair 90% interval coverage {fair_m['coverage']:.1%} in [85%, 95%]",
                0.85 <= fair_m["coverage"] <= 0.95,
            ),
        ]
        gain = {"b": 0.02, "c": 0.035}.get(key)
        if gain is not None:
            checks.append(
                (
                    f"({key}) fair Spearman {fair_m['spearman']:.3f} >= raw "
                    f"{raw_m['spearman']:.3f} + {gain}",
                    fair_m["spearman"] >= raw_m["spearman"] + gain,
                )
            )
        for text, ok in checks:
            failures += not ok
            print(f"{'PASS' if ok else 'FAIL'}: {text}")
    if "d" in results:
        raw_m, fair_m = results["d"]
        print(
            f"(d) no target: fair RMSE {fair_m['rmse']:.3f} vs raw {raw_m['rmse']:.3f}, "
            f"coverage {fair_m['coverage']:.1%}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
