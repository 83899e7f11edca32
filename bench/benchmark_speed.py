"""Time one league-table snapshot for a large brand, against baselines run in the same process.

    .venv/bin/python bench/benchmark_speed.py [--branches 5000] [--shoppers 1000]
        [--audits 250000] [--seed 0] [--repeats 3]

The target is under 10 seconds for 5,000 branches, 1,000 shoppers and 250,000 audits on the
project's 2-core machine; the verdict is on the slowest of the repeats, not the median. The
machine is shared and noisy, so two baselines are timed in the same run, interleaved with the
snapshots, and the snapshot is also reported as a ratio to each:

- raw means per branch: a plain Python groupby over the same `AuditRecord`s (what showing raw
  means would cost; it moves with the interpreter's speed), and
- one dense Cholesky factorisation of an SPD matrix the size of the model's reduced system
  (shoppers + 1 square; it moves with BLAS speed and BLAS threads, which is what a loaded
  machine slows down most).

The fit alone (`fit_crossed` on the arrays) is timed too, to show where the time goes. BLAS
threads are read from the environment at start-up: on a machine where other work holds a core,
OPENBLAS_NUM_THREADS=1 is markedly faster (see docs/benchmarking.md).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import scipy.linalg as sla

# Run as a script, this file's folder comes first on sys.path and bench/scoring.py would shadow
# the `scoring` package: put the repository root first instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from scoring.benchmark import AuditRecord, UnitInfo, build_snapshot, fit_crossed  # noqa: E402

TARGET_SECONDS = 10.0


def simulated_records(
    branch_ids: list[str],
    shoppers: int,
    audits: int,
    seed: int,
    shopper_id: Callable[[int], str] = lambda k: f"s{k}",
) -> list[AuditRecord]:
    """Audits in 2026-Q3 of these branches: quality SD 4, leniency SD 2, noise SD 6 points."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0.0, 4.0, len(branch_ids))
    leniency = rng.normal(0.0, 2.0, shoppers)
    branch = rng.integers(0, len(branch_ids), audits)
    shopper = rng.integers(0, shoppers, audits)
    score = np.clip(80.0 + quality[branch] + leniency[shopper] + rng.normal(0, 6, audits), 0, 100)
    failed = rng.random(audits) < 0.05
    day = rng.integers(0, 92, audits)
    start = date(2026, 7, 1)
    return [
        AuditRecord(
            audit_id=f"a{i}",
            branch_id=branch_ids[branch[i]],
            shopper_id=shopper_id(int(shopper[i])),
            score=float(score[i]),
            critical_failure=bool(failed[i]),
            visited_on=start + timedelta(days=int(day[i])),
        )
        for i in range(audits)
    ]


def make_brand(branches: int, shoppers: int, audits: int, seed: int):
    """Audits of a brand with 20 regions and franchisees of 5 branches, in 2026-Q3."""
    records = simulated_records([f"b{j}" for j in range(branches)], shoppers, audits, seed)
    units = {
        f"b{j}": UnitInfo(
            branch_id=f"b{j}",
            name=f"Branch {j}",
            franchisee_id=f"f{j // 5}",
            region_id=f"r{j % 20}",
        )
        for j in range(branches)
    }
    return records, units


def raw_means(records) -> dict[str, float]:
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for r in records:
        sums[r.branch_id] = sums.get(r.branch_id, 0.0) + r.score
        counts[r.branch_id] = counts.get(r.branch_id, 0) + 1
    return {b: sums[b] / counts[b] for b in sums}


def dense_solve(size: int, rng: np.random.Generator) -> float:
    """Seconds for one Cholesky factorisation and solve of a size x size SPD matrix."""
    a = rng.standard_normal((size, size)) / np.sqrt(size)
    spd = a @ a.T + np.eye(size)
    rhs = rng.standard_normal(size)
    started = time.perf_counter()
    sla.cho_solve(sla.cho_factor(spd, check_finite=False), rhs, check_finite=False)
    return time.perf_counter() - started


def as_arrays(records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    branches = {b: i for i, b in enumerate(sorted({r.branch_id for r in records}))}
    shoppers = {s: i for i, s in enumerate(sorted({r.shopper_id for r in records}))}
    y = np.array([r.score for r in records])
    branch = np.array([branches[r.branch_id] for r in records])
    shopper = np.array([shoppers[r.shopper_id] for r in records])
    return y, branch, shopper


def blas_threads() -> str:
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    given = ", ".join(f"{name}={os.environ[name]}" for name in names if name in os.environ)
    return f"{os.cpu_count()} CPUs, {given or 'BLAS threads not set (BLAS default)'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=5000)
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--audits", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("command:", shlex.join(sys.orig_argv))
    print(f"started: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {blas_threads()}")
    print(f"brand: {args.branches} branches, {args.shoppers} shoppers, {args.audits} audits")
    sys.stdout.flush()
    records, units = make_brand(args.branches, args.shoppers, args.audits, args.seed)
    y, branch, shopper = as_arrays(records)
    rng = np.random.default_rng(args.seed)
    times: dict[str, list[float]] = {"snapshot": [], "fit": [], "raw": [], "dense": []}
    dense_solve(args.shoppers + 1, rng)  # load BLAS before anything is timed
    for _ in range(args.repeats):
        started = time.perf_counter()
        raw_means(records)
        times["raw"].append(time.perf_counter() - started)
        times["dense"].append(min(dense_solve(args.shoppers + 1, rng) for _ in range(3)))
        started = time.perf_counter()
        fit_crossed(y, branch, shopper)
        times["fit"].append(time.perf_counter() - started)
        started = time.perf_counter()
        snapshot = build_snapshot(records, units, period="2026-Q3", seed=args.seed)
        times["snapshot"].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    vc = snapshot.variance_components
    print(
        f"variances: branch {vc.branch:.2f}, shopper {vc.shopper:.2f}, residual {vc.residual:.2f}"
        f" (simulated 16, 4, 36)"
    )
    for name, label in (
        ("snapshot", "snapshot (build_snapshot)"),
        ("fit", "fit alone (fit_crossed on arrays)"),
        ("raw", "baseline: raw means (Python groupby)"),
        ("dense", f"baseline: dense Cholesky + solve, {args.shoppers + 1} square"),
    ):
        each = ", ".join(f"{t:.3f}" for t in times[name])
        print(f"{label:<48} median {median[name]:8.3f} s ({each})")
    snap = median["snapshot"]
    print(
        f"ratios: snapshot / raw means {snap / median['raw']:.0f}x, "
        f"snapshot / dense solve {snap / median['dense']:.0f}x"
    )
    slowest = max(times["snapshot"])
    verdict = "PASS" if slowest < TARGET_SECONDS else "FAIL"
    print(
        f"{verdict}: every snapshot under {TARGET_SECONDS:.0f} s "
        f"(slowest {slowest:.2f} s, median {snap:.2f} s)"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
