"""Has a unit's fair score changed since the previous period? Tested, with the FDR controlled.

With three audits a branch, most quarter-to-quarter movement is noise, and among hundreds of
branches some will move a lot by chance. So each unit's change is a z test on the difference of
its two fair scores, z = (now - before) / sqrt(se_now^2 + se_before^2) (the periods' estimates
are treated as independent), and a change is flagged only when it survives the
Benjamini-Hochberg procedure across all units of the level at false-discovery rate q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import false_discovery_control, norm


@dataclass(frozen=True)
class ChangeResult:
    change: float
    p_value: float
    significant: bool


def benjamini_hochberg(p_values: np.ndarray, q: float = 0.1) -> np.ndarray:
    """Which hypotheses are rejected at false-discovery rate `q` (Benjamini-Hochberg 1995).

    The rejected ones are the k smallest p-values, for the largest k with p_(k) <= k q / m;
    equivalently, those whose BH-adjusted p-value (SciPy's `false_discovery_control`) is at
    most q.
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    return false_discovery_control(p, method="bh") <= q


def change_tests(
    current: dict[str, tuple[float, float]],
    previous: dict[str, tuple[float, float]],
    q: float = 0.1,
) -> dict[str, ChangeResult]:
    """Change of each unit present in both periods; values are (fair score, standard error)."""
    ids = [unit for unit in current if unit in previous]
    if not ids:
        return {}
    now = np.array([current[u][0] for u in ids])
    before = np.array([previous[u][0] for u in ids])
    se = np.sqrt(np.array([current[u][1] ** 2 + previous[u][1] ** 2 for u in ids]))
    diff = now - before
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.abs(diff) / np.where(se > 0, se, 1.0), np.inf)
    p = np.where(diff == 0, 1.0, 2.0 * norm.sf(z))
    flags = benjamini_hochberg(p, q)
    return {
        unit: ChangeResult(change=float(diff[i]), p_value=float(p[i]), significant=bool(flags[i]))
        for i, unit in enumerate(ids)
    }
