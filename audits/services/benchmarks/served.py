"""The served shape of league tables: a row as the API shows it, a level's peer distribution.

Rows are stored in this shape when a snapshot is built (`building.store_snapshot`), so a read
serves them as they are.
"""

from __future__ import annotations

# The keys of a served league-table row, in order (docs: GET /api/v1/benchmarks/).
ROW_FIELDS = (
    "id",
    "name",
    "n",
    "raw_mean",
    "fair_score",
    "interval",
    "percentile",
    "percentile_interval",
    "rank",
    "change",
    "change_significant",
    "few_audits",
    "critical_failure_rate",
    "critical_failures",
    "critical_audits",
)
# Keys only branch rows have: their standing among the branches of their own region.
BRANCH_ONLY_FIELDS = ("region_percentile", "region_percentile_interval", "region_rank")


def _r(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def served_row(row: dict) -> dict:
    """A stored snapshot row in the API's shape: integer id, figures rounded for display.

    Branch rows also carry their standing among the branches of their own region (the issue
    asks for percentiles brand-wide and within the region); other levels have no such keys.
    """
    served = {
        "id": int(row["id"]),
        "name": row["name"],
        "n": row["n"],
        "raw_mean": _r(row["raw_mean"]),
        "fair_score": _r(row["fair_score"]),
        "interval": [_r(v) for v in row["interval"]],
        "percentile": _r(row["percentile"], 1),
        "percentile_interval": [_r(v, 1) for v in row["percentile_interval"]],
        "rank": row["rank"],
        "change": _r(row["change"]),
        "change_significant": row["change_significant"],
        "few_audits": row["few_audits"],
        "critical_failure_rate": _r(row["critical_failure_rate"], 4),
        # The rate is shrunk towards the brand: beside it, what it was shrunk from, so that
        # a reader sees why branches with no failure in few audits share one rate.
        "critical_failures": row["critical_failures"],
        "critical_audits": row["critical_audits"],
    }
    if "region_percentile" in row:
        within = row["region_percentile_interval"]
        served.update(
            region_percentile=_r(row["region_percentile"], 1),
            region_percentile_interval=None if within is None else [_r(v, 1) for v in within],
            region_rank=row["region_rank"],
        )
    return served


def served_peers(summary: dict) -> dict:
    """A level's peer distribution as served: quartiles of all units' fair scores, no names."""
    quartiles = summary.get("quartiles") or {}
    return {
        "q1": _r(quartiles.get("q1")),
        "median": _r(quartiles.get("median")),
        "q3": _r(quartiles.get("q3")),
        "n_units": summary.get("count", 0),
    }
