"""Do fair scores rank branches better than raw means? Simulate brands where the truth is known.

    .venv/bin/python bench/fairness.py [--replicates 200] [--seed 0] [--cases a,b,c,d,e]
        [--scores normal,engine] [--engine-replicates N]

Each replicate simulates a brand of 500 branches and 200 shoppers in one quarter, with a
different shopper on each audit of a branch. Every audit has a latent level in branch-SD units,

    z = branch quality (SD 1) + shopper leniency + the visit's luck (noise),

and the cases are those of the issue:

    (a) 3 audits a branch, shopper SD 0.5, noise SD 1.5
    (b) as (a) with 1 to 5 audits a branch (uniform)
    (c) as (a) with shopper SD 1
    (d) as (a) with shoppers who stay in one of 20 regions (each branch is in one region and is
        visited only by that region's 10 shoppers; leniencies independent, as in (a))
    (e) not in the issue, a stress case: as (d) with half of the leniency variance shared by
        the region's shoppers. A region's shared leniency then looks exactly like its
        branches' quality, which no model of these data can separate; no target.

How a latent level becomes a score, `--scores`:

- `normal`: the score is z itself (brand mean 0). This is the issue's model, so its figures are
  comparable with the reference implementation's, and the targets are checked on it.
- `engine`: a shopper answers every item of the default checklist (audits/fixtures/
  default_checklist.json) with chances that rise with z (a logistic item response: yes/no
  items, 1-5 scales, choices and seconds bands; "did anything go wrong?" opens the recovery
  items more often on bad visits), and the answers are scored by the real engine
  (`scoring.engine.score`), critical failures included. The score is then a bounded, nonlinear
  function of z with item-by-item luck on top, so the model is only approximately right. The
  truth a branch is judged against is its expected engine score from a shopper drawn at
  random (the brand's typical shopper), computed by Monte Carlo over the visit and items and
  Gauss-Hermite quadrature over leniency and noise.

Either way the audits go through the real `build_snapshot` as `AuditRecord`s, and the fair
scores are compared with the raw means on the same data. Raw means get the naive interval
raw +- 1.645 s / sqrt(n), with s the pooled within-branch SD, and percentile intervals from
normal draws around the raw means with that SD, so that both columns are judged the same way.

Prints a table per score mode, then PASS/FAIL per target: in every case (a)-(d) fair RMSE at
most 0.76 of the raw RMSE and fair 90% interval coverage between 85% and 95%; fair Spearman at
least raw + 0.02 in (b) and raw + 0.035 in (c). The exit status is that of the normal-score
targets; the engine-score checks are printed as information (the engine changes the case's
variance ratios, see docs/benchmarking.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

# Run as a script, this file's folder comes first on sys.path and bench/scoring.py would shadow
# the `scoring` package: put the repository root first instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from scoring.answers import visible_item_keys  # noqa: E402
from scoring.benchmark import AuditRecord, UnitInfo, build_snapshot  # noqa: E402
from scoring.benchmark.ranking import percentile_intervals, percentiles  # noqa: E402
from scoring.checklist import parse_checklist  # noqa: E402
from scoring.engine import score as engine_score  # noqa: E402
from scoring.types import Answer, Checklist, Item  # noqa: E402

BRANCHES, SHOPPERS, REGIONS = 500, 200, 20
Z90 = 1.6448536269514722
DRAWS = 1000
DEFAULT_CHECKLIST = ROOT / "audits" / "fixtures" / "default_checklist.json"


@dataclass(frozen=True)
class Case:
    name: str
    shopper_sd: float = 0.5
    noise_sd: float = 1.5
    audits: tuple[int, int] = (3, 3)
    regional_shoppers: bool = False
    shared_leniency: float = 0.0  # share of the leniency variance common to a region's shoppers
    targets: bool = True


CASES = {
    "a": Case("a: 3 audits"),
    "b": Case("b: 1-5 audits", audits=(1, 5)),
    "c": Case("c: shopper SD 1", shopper_sd=1.0),
    "d": Case("d: regional shoppers", regional_shoppers=True),
    "e": Case(
        "e: d + shared leniency",
        regional_shoppers=True,
        shared_leniency=0.5,
        targets=False,
    ),
}
METRICS = ("spearman", "rmse", "coverage", "pct_width", "pct_coverage", "top_in_bottom")
SPEARMAN_GAIN = {"b": 0.02, "c": 0.035}
RMSE_RATIO = 0.76
COVERAGE = (0.85, 0.95)


def simulate(case: Case, rng: np.random.Generator):
    """One brand: (branch, shopper, latent level) of each audit, true qualities and regions."""
    quality = rng.normal(0.0, 1.0, BRANCHES)
    region = np.arange(BRANCHES) % REGIONS
    shopper_region = np.arange(SHOPPERS) % REGIONS
    shared_sd = case.shopper_sd * math.sqrt(case.shared_leniency)
    own_sd = case.shopper_sd * math.sqrt(1.0 - case.shared_leniency)
    leniency = rng.normal(0.0, own_sd, SHOPPERS)
    if shared_sd > 0:
        leniency += rng.normal(0.0, shared_sd, REGIONS)[shopper_region]
    low, high = case.audits
    counts = rng.integers(low, high + 1, BRANCHES)
    branch, shopper = [], []
    everyone = np.arange(SHOPPERS)
    for j in range(BRANCHES):
        pool = everyone[shopper_region == region[j]] if case.regional_shoppers else everyone
        branch.extend([j] * counts[j])
        shopper.extend(rng.choice(pool, size=counts[j], replace=False))
    branch, shopper = np.array(branch), np.array(shopper)
    latent = quality[branch] + leniency[shopper] + rng.normal(0.0, case.noise_sd, branch.size)
    return branch, shopper, latent, quality, region


# --- engine scores: checklist answers drawn from the latent level, scored by the engine -------

ENGINE_SLOPE = 0.5
"""Log-odds of a good answer per latent unit (one branch SD)."""


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _ease(index: int, item: Item) -> float:
    """Log-odds of a good answer at z = 0: critical items rarely fail, the rest spread out."""
    if item.critical:
        return 3.5
    return 0.4 + 2.2 * ((index * 0.6180339887) % 1.0)


def _successes(rng: random.Random, trials: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(trials))


def _band_value(item: Item, index: int) -> float:
    """A value inside band `index` of a number item (bands in ascending order of `max`)."""
    band = item.bands[index]
    if band.max is not None:
        return float(band.max)
    top = max((float(b.max) for b in item.bands if b.max is not None), default=0.0)
    return top + 30.0


def draw_answers(
    checklist: Checklist, z: float, rng: random.Random, slope: float = ENGINE_SLOPE
) -> list[Answer]:
    """One visit's answers for latent level `z`: every item better answered as z rises."""
    answers = []
    for index, item in enumerate(checklist.items()):
        if item.type == "photo":
            continue
        if item.type == "text":
            answers.append(Answer(item.key, ""))
            continue
        if item.type == "number" and not item.bands:
            answers.append(Answer(item.key, 60.0))
            continue
        if item.type == "yes_no" and item.weight == 0:
            # "Did anything go wrong?": more often on a bad visit; opens the recovery items.
            answers.append(Answer(item.key, rng.random() < _sigmoid(-1.5 - slope * z)))
            continue
        ease = -1.0 if item.bonus else _ease(index, item)
        p = _sigmoid(ease + slope * z)
        if item.type == "yes_no":
            value = rng.random() < p
        elif item.type == "scale":
            value = 1 + _successes(rng, item.scale_max - 1, p)
        elif item.type == "choice":
            best_first = sorted(item.options, key=lambda option: -option.points)
            value = best_first[_successes(rng, len(best_first) - 1, 1.0 - p)].key
        else:  # number with bands: the best band is the one with the smallest max
            value = _band_value(item, _successes(rng, len(item.bands) - 1, 1.0 - p))
        answers.append(Answer(item.key, value))
    visible = visible_item_keys(checklist, answers)
    return [answer for answer in answers if answer.item in visible]


def engine_scores(
    checklist: Checklist, latent: np.ndarray, rng: random.Random
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's calculated score (0-100) and critical failure of one visit per latent level."""
    scores = np.empty(latent.size)
    failed = np.zeros(latent.size, dtype=bool)
    for i, z in enumerate(latent):
        result = engine_score(checklist, draw_answers(checklist, float(z), rng))
        scores[i] = float(result.overall)
        failed[i] = bool(result.critical_failures)
    return scores, failed


@cache
def load_checklist() -> Checklist:
    return parse_checklist(json.loads(DEFAULT_CHECKLIST.read_text(encoding="utf-8")))


@cache
def expected_score_curve(step: float = 0.25, visits: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """E[engine score | z] on a grid of z, by Monte Carlo over item answers."""
    checklist = load_checklist()
    grid = np.arange(-10.0, 10.0 + step / 2, step)
    rng = random.Random(20_260_801)
    means = np.array([engine_scores(checklist, np.full(visits, z), rng)[0].mean() for z in grid])
    return grid, means


def engine_truth(case: Case, quality: np.ndarray) -> np.ndarray:
    """Expected engine score of each branch from a shopper drawn at random, on a random visit.

    z = quality + leniency + noise with leniency + noise ~ N(0, tau^2), so the truth is
    E[h(quality + tau x)] for x standard normal, by Gauss-Hermite quadrature on the curve h.
    """
    grid, curve = expected_score_curve()
    tau = math.hypot(case.shopper_sd, case.noise_sd)
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / math.sqrt(2.0 * math.pi)
    values = np.interp(quality[:, None] + tau * nodes[None, :], grid, curve)
    return values @ weights


# --- one replicate --------------------------------------------------------------------------


def to_records(branch, shopper, score, failed, region):
    records = [
        AuditRecord(
            audit_id=str(i),
            branch_id=f"b{branch[i]:03d}",
            shopper_id=f"s{shopper[i]:03d}",
            score=float(score[i]),
            critical_failure=bool(failed[i]),
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


def replicate(case: Case, seed: int, mode: str) -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(seed)
    branch, shopper, latent, quality, region = simulate(case, rng)
    if mode == "engine":
        score, failed = engine_scores(load_checklist(), latent, random.Random(seed))
        truth = engine_truth(case, quality)
    else:
        # The truth on the fair scale is the brand mean (0 here) plus the branch's quality.
        score, failed, truth = latent, np.zeros(latent.size, dtype=bool), quality
    records, units = to_records(branch, shopper, score, failed, region)
    snapshot = build_snapshot(records, units, period="2026-Q3", seed=seed, draws=DRAWS)
    rows = {row.id: row for row in snapshot.rows["branch"]}
    ids = [f"b{j:03d}" for j in range(BRANCHES)]
    fair = np.array([rows[i].fair_score for i in ids])
    fair_se = np.array([rows[i].fair_se for i in ids])
    fair_low = np.array([rows[i].percentile_interval[0] for i in ids])
    fair_high = np.array([rows[i].percentile_interval[1] for i in ids])
    fair_metrics = measure(fair, fair_se, fair_low, fair_high, truth)

    n = np.bincount(branch, minlength=BRANCHES)
    raw = np.bincount(branch, score, minlength=BRANCHES) / n
    within = score - raw[branch]
    pooled_sd = np.sqrt(np.sum(within**2) / max(branch.size - BRANCHES, 1))
    raw_se = pooled_sd / np.sqrt(n)
    raw_draws = raw[:, None] + raw_se[:, None] * rng.standard_normal((BRANCHES, DRAWS))
    raw_low, raw_high = percentile_intervals(raw_draws, percentiles(raw))
    raw_metrics = measure(raw, raw_se, raw_low, raw_high, truth)
    vc = snapshot.variance_components
    fitted = {
        "branch_sd": math.sqrt(vc.branch),
        "shopper_sd": math.sqrt(vc.shopper),
        "residual_sd": math.sqrt(vc.residual),
        "truth_sd": float(np.std(truth)),
        "score_mean": float(np.mean(score)),
    }
    return raw_metrics, fair_metrics, fitted


def run_case(key: str, mode: str, replicates: int, seed: int) -> tuple[dict, dict, dict, dict]:
    """Means over replicates of the raw and fair metrics, the fitted SDs, and the spread of the
    per-replicate fair/raw RMSE ratio and Spearman gain (to judge how far a mean is from a
    target)."""
    case = CASES[key]
    raw_runs, fair_runs, fits = [], [], []
    for r in range(replicates):
        raw_m, fair_m, fitted = replicate(case, seed * 100_003 + r * 7 + ord(key), mode)
        raw_runs.append(raw_m)
        fair_runs.append(fair_m)
        fits.append(fitted)
    raw_mean, fair_mean = (
        {m: float(np.mean([run[m] for run in runs])) for m in METRICS}
        for runs in (raw_runs, fair_runs)
    )
    fit_mean = {k: float(np.mean([f[k] for f in fits])) for k in fits[0]}
    ratio = np.array([f["rmse"] / r["rmse"] for f, r in zip(fair_runs, raw_runs, strict=True)])
    gain = np.array(
        [f["spearman"] - r["spearman"] for f, r in zip(fair_runs, raw_runs, strict=True)]
    )
    spread = {
        "ratio_se": float(ratio.std(ddof=1) / math.sqrt(replicates)) if replicates > 1 else 0.0,
        "gain_se": float(gain.std(ddof=1) / math.sqrt(replicates)) if replicates > 1 else 0.0,
    }
    return raw_mean, fair_mean, fit_mean, spread


def checks(key: str, raw_m: dict, fair_m: dict) -> list[tuple[str, bool]]:
    """The issue's targets for case `key`, as (text, passed)."""
    ratio = fair_m["rmse"] / raw_m["rmse"]
    low, high = COVERAGE
    out = [
        (
            f"({key}) fair RMSE {fair_m['rmse']:.3f} <= {RMSE_RATIO} x raw {raw_m['rmse']:.3f}"
            f" (ratio {ratio:.3f})",
            ratio <= RMSE_RATIO,
        ),
        (
            f"({key}) fair 90% interval coverage {fair_m['coverage']:.1%} in "
            f"[{low:.0%}, {high:.0%}]",
            low <= fair_m["coverage"] <= high,
        ),
    ]
    gain = SPEARMAN_GAIN.get(key)
    if gain is not None:
        gained = fair_m["spearman"] - raw_m["spearman"]
        out.append(
            (
                f"({key}) fair Spearman {fair_m['spearman']:.3f} >= raw "
                f"{raw_m['spearman']:.3f} + {gain} (gain {gained:+.3f})",
                fair_m["spearman"] >= raw_m["spearman"] + gain,
            )
        )
    return out


def blas_threads() -> str:
    """The thread settings BLAS reads at start-up: they decide speed, not results."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    given = ", ".join(f"{name}={os.environ[name]}" for name in names if name in os.environ)
    return f"{os.cpu_count()} CPUs, {given or 'BLAS threads not set (BLAS default)'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--engine-replicates", type=int, default=None, help="default: --replicates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default="a,b,c,d,e")
    parser.add_argument("--scores", default="normal,engine")
    args = parser.parse_args()
    print("command:", shlex.join(sys.orig_argv))
    print(f"started: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {blas_threads()}")
    keys = args.cases.split(",")
    modes = args.scores.split(",")
    unknown = [k for k in keys if k not in CASES] + [
        m for m in modes if m not in ("normal", "engine")
    ]
    if unknown:
        parser.error(f"unknown case or score mode: {', '.join(unknown)}")

    status = 0
    for mode in modes:
        replicates = args.replicates
        if mode == "engine" and args.engine_replicates is not None:
            replicates = args.engine_replicates
        started = time.perf_counter()
        results = {key: run_case(key, mode, replicates, args.seed) for key in keys}
        elapsed = time.perf_counter() - started
        print()
        print(
            f"== {mode} scores: {replicates} replicates per case, seed {args.seed}, {elapsed:.0f} s"
        )
        print(
            f"{'case':<24}{'method':<6}{'Spearman':>9}{'RMSE':>8}{'cover90':>8}"
            f"{'pct width':>10}{'pct cover':>10}{'top10->bottom50':>16}"
        )
        for key, (raw_m, fair_m, _, _) in results.items():
            for label, m in (("raw", raw_m), ("fair", fair_m)):
                print(
                    f"{CASES[key].name:<24}{label:<6}{m['spearman']:>9.3f}{m['rmse']:>8.3f}"
                    f"{m['coverage']:>8.1%}{m['pct_width']:>10.1f}{m['pct_coverage']:>10.1%}"
                    f"{m['top_in_bottom']:>16.2%}"
                )
        print("fitted SDs (mean over replicates), truth SD, and the spread of the comparisons:")
        for key, (_, _, fit, spread) in results.items():
            print(
                f"  {CASES[key].name:<24} branch {fit['branch_sd']:.3f}, shopper "
                f"{fit['shopper_sd']:.3f}, residual {fit['residual_sd']:.3f}; truth SD "
                f"{fit['truth_sd']:.3f}; mean score {fit['score_mean']:.2f}; "
                f"SE of mean RMSE ratio {spread['ratio_se']:.4f}, "
                f"of mean Spearman gain {spread['gain_se']:.4f}"
            )
        informative = mode != "normal"
        label = " (information: engine scores change the variance ratios)" if informative else ""
        print(f"targets, {mode} scores{label}:")
        for key, (raw_m, fair_m, _, _) in results.items():
            if not CASES[key].targets:
                print(
                    f"  ({key}) no target: fair RMSE {fair_m['rmse']:.3f} vs raw "
                    f"{raw_m['rmse']:.3f}, coverage {fair_m['coverage']:.1%}"
                )
                continue
            for text, ok in checks(key, raw_m, fair_m):
                if not informative:
                    status |= not ok
                print(f"  {'PASS' if ok else 'FAIL'}: {text}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
