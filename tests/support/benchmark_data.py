"""Small simulated brands shared by the benchmark tests."""

from __future__ import annotations

from datetime import date

import numpy as np

from scoring.benchmark import AuditRecord, UnitInfo


def crossed_data(
    branches: int = 30,
    shoppers: int = 12,
    per_branch: int = 4,
    branch_sd: float = 4.0,
    shopper_sd: float = 2.0,
    noise_sd: float = 6.0,
    seed: int = 1,
):
    """Scores, branch codes and shopper codes of a brand with crossed effects."""
    rng = np.random.default_rng(seed)
    branch = np.repeat(np.arange(branches), per_branch)
    shopper = rng.integers(0, shoppers, branch.size)
    y = (
        70.0
        + branch_sd * rng.standard_normal(branches)[branch]
        + shopper_sd * rng.standard_normal(shoppers)[shopper]
        + noise_sd * rng.standard_normal(branch.size)
    )
    return y, branch, shopper


def brand_records(
    branches: int = 24,
    shoppers: int = 10,
    per_branch: int = 4,
    seed: int = 3,
    visited_on: date = date(2026, 8, 1),
    prefix: str = "a",
    shift: dict[str, float] | None = None,
):
    """AuditRecords and UnitInfos of a brand: 3 regions, franchisees of 4 branches."""
    y, branch, shopper = crossed_data(branches, shoppers, per_branch, seed=seed)
    rng = np.random.default_rng(seed + 100)
    shift = shift or {}
    records = []
    for i in range(y.size):
        branch_id = f"b{branch[i]:02d}"
        score = float(y[i]) + shift.get(branch_id, 0.0)
        records.append(
            AuditRecord(
                audit_id=f"{prefix}{i}",
                branch_id=branch_id,
                shopper_id=f"s{shopper[i]:02d}",
                score=score,
                critical_failure=bool(rng.random() < 0.1),
                visited_on=visited_on,
                dimension_scores={"service": score - 5.0, "cleanliness": None if i % 2 else score},
            )
        )
    units = {
        f"b{j:02d}": UnitInfo(
            branch_id=f"b{j:02d}",
            name=f"Branch {j}",
            franchisee_id=f"f{j // 4}",
            region_id=f"r{j % 3}",
            franchisee_name=f"Franchisee {j // 4}",
            region_name=f"Region {j % 3}",
        )
        for j in range(branches)
    }
    return records, units
