"""Percentile ranks among peers, with intervals from posterior draws.

The percentile of a unit is the share of its peers with a lower fair score (ties count half),
from 0 (bottom) to 100 (top); a unit without peers is at 50. Its interval comes from ranking
every joint posterior draw of all peers' scores (Goldstein & Spiegelhalter 1996): the 5th and
95th percentiles of the unit's draw percentiles for a 90% interval. The point percentile is of
the fair scores themselves, which need not lie inside the central draw interval for the very
top or bottom unit; the interval is then widened to include it, so that the table never shows a
percentile outside its own interval.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from scoring.benchmark.records import Quartiles


def percentiles(scores: np.ndarray) -> np.ndarray:
    """Percentile (0-100) of each score among the others; ties count half."""
    scores = np.asarray(scores, dtype=float)
    if scores.size <= 1:
        return np.full(scores.size, 50.0)
    return (rankdata(scores) - 1.0) / (scores.size - 1) * 100.0


def ranks(scores: np.ndarray, ids: list[str]) -> np.ndarray:
    """League position, 1 for the highest score; equal scores are ordered by id."""
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
    out = np.empty(len(ids), dtype=np.int64)
    out[order] = np.arange(1, len(ids) + 1)
    return out


def percentile_intervals(
    draws: np.ndarray, point: np.ndarray, level: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Central `level` interval of each unit's percentile over draws (units x draws)."""
    units = draws.shape[0]
    if units <= 1:
        return np.full(units, 50.0), np.full(units, 50.0)
    pct = _draw_ranks(draws) / (units - 1) * 100.0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(pct, [tail, 1.0 - tail], axis=0)
    return np.minimum(low, point), np.maximum(high, point)


def _draw_ranks(draws: np.ndarray) -> np.ndarray:
    """Rank (0-based, ties count half) of each unit within each draw, as (draws x units).

    One argsort per draw and a scatter; scipy's `rankdata` (which handles ties) is used only
    when a draw has ties, which continuous posterior draws have only when a variance is 0.
    It is the largest cost of a big snapshot after the fit (5,000 branches x 1,000 draws).
    """
    columns = np.ascontiguousarray(np.asarray(draws, dtype=float).T)
    order = np.argsort(columns, axis=1)
    ordered = np.take_along_axis(columns, order, axis=1)
    if np.any(ordered[:, 1:] == ordered[:, :-1]):
        return rankdata(columns, axis=1) - 1.0
    ranks = np.empty(columns.shape)
    np.put_along_axis(ranks, order, np.arange(columns.shape[1], dtype=float)[None, :], axis=1)
    return ranks


def quartiles(scores: np.ndarray) -> Quartiles | None:
    """The peer distribution of fair scores, or None when there are no units."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return None
    values = np.quantile(scores, [0.0, 0.25, 0.5, 0.75, 1.0])
    return Quartiles(*(float(v) for v in values))
