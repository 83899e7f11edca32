"""Time one league-table snapshot for a large brand, against computing raw means.

    .venv/bin/python bench/benchmark_speed.py [--branches 5000] [--shoppers 1000]
        [--audits 250000] [--seed 0] [--repeats 3]

The target is under 10 seconds for 5,000 branches, 1,000 shoppers and 250,000 audits on the
project's 2-core machine. The baseline is the same run's time for raw means per branch (a
groupby over the same records), so the ratio says what fairness costs on this machine today.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.benchmark import AuditRecord, UnitInfo, build_snapshot

TARGET_SECONDS = 10.0


def make_brand(branches: int, shoppers: int, audits: int, seed: int):
    """Audits of a brand with 20 regions and franchisees of 5 branches, in 2026-Q3."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0.0, 4.0, branches)
    leniency = rng.normal(0.0, 2.0, shoppers)
    branch = rng.integers(0, branches, audits)
    shopper = rng.integers(0, shoppers, audits)
    score = np.clip(80.0 + quality[branch] + leniency[shopper] + rng.normal(0, 6, audits), 0, 100)
    failed = rng.random(audits) < 0.05
    day = rng.integers(0, 92, audits)
    start = date(2026, 7, 1)
    records = [
        AuditRecord(
            audit_id=f"a{i}",
            branch_id=f"b{branch[i]}",
            shopper_id=f"s{shopper[i]}",
            score=float(score[i]),
            critical_failure=bool(failed[i]),
            visited_on=start + timedelta(days=int(day[i])),
            dimension_scores={},
        )
        for i in range(audits)
    ]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=5000)
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--audits", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    records, units = make_brand(args.branches, args.shoppers, args.audits, args.seed)
    snapshot_times, raw_times = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        raw_means(records)
        raw_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        snapshot = build_snapshot(records, units, period="2026-Q3", seed=args.seed)
        snapshot_times.append(time.perf_counter() - started)
    snap, raw = statistics.median(snapshot_times), statistics.median(raw_times)
    vc = snapshot.variance_components
    print(" ".join(["command:", "python", *sys.argv]))
    print(f"brand: {args.branches} branches, {args.shoppers} shoppers, {args.audits} audits")
    print(
        f"variances: branch {vc.branch:.2f}, shopper {vc.shopper:.2f}, residual {vc.residual:.2f}"
    )
    each = ", ".join(f"{t:.2f}" for t in snapshot_times)
    print(f"snapshot: median {snap:.2f} s over {args.repeats} runs ({each})")
    print(f"raw means baseline: median {raw:.3f} s; ratio {snap / raw:.0f}x")
    verdict = "PASS" if snap < TARGET_SECONDS else "FAIL"
    print(f"{verdict}: snapshot under {TARGET_SECONDS:.0f} s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
