"""Dataclasses that go into and come out of a benchmark snapshot.

The Django app maps its rows to `AuditRecord` and `UnitInfo` in one place; everything else in
`scoring.benchmark` works on these. Outputs are plain dataclasses with a `to_dict()` whose
result is JSON-serialisable (floats, ints, strings, lists, None), because a snapshot is stored
as one row and served by the API without refitting the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

OVERALL = "overall"
BRANCH = "branch"
FRANCHISEE = "franchisee"
REGION = "region"
LEVELS = (BRANCH, FRANCHISEE, REGION)


@dataclass(frozen=True)
class AuditRecord:
    """One counted audit.

    `score` is the calculated score (0-100), never a score zeroed by a critical failure: the
    critical failure is its own yes/no outcome, so a kill item does not distort the fair score.
    A dimension the checklist did not score on this visit is None in `dimension_scores`.
    """

    audit_id: str
    branch_id: str
    shopper_id: str
    score: float
    critical_failure: bool
    visited_on: date
    dimension_scores: dict[str, float | None] = field(default_factory=dict)

    def value(self, dimension: str) -> float | None:
        """The score that counts for `dimension` ("overall" or a dimension key), or None."""
        return AuditRecord.reader(dimension)(self)

    @staticmethod
    def reader(dimension: str) -> Callable[[AuditRecord], float | None]:
        """`value(dimension)` as a function of the record, the dimension decided once: a
        refresh reads millions of values, and one attribute or key look-up each is the cost."""
        if dimension == OVERALL:
            return attrgetter("score")
        return lambda record: record.dimension_scores.get(dimension)


@dataclass(frozen=True)
class UnitInfo:
    """What a snapshot needs to know of a branch: its name and where it sits in the network."""

    branch_id: str
    name: str
    franchisee_id: str | None = None
    region_id: str | None = None
    franchisee_name: str | None = None
    region_name: str | None = None


@dataclass(frozen=True)
class LeagueRow:
    """One unit's line in a league table; `fair_se` is kept so later periods can test change."""

    level: str
    id: str
    name: str
    n: int
    raw_mean: float
    fair_score: float
    fair_se: float
    interval: tuple[float, float]
    percentile: float
    percentile_interval: tuple[float, float]
    rank: int
    few_audits: bool
    critical_failures: int
    critical_failure_rate: float
    change: float | None = None
    change_p_value: float | None = None
    change_significant: bool = False
    region_id: str | None = None
    franchisee_id: str | None = None
    region_percentile: float | None = None
    region_percentile_interval: tuple[float, float] | None = None
    region_rank: int | None = None
    members: int = 1
    # The audits the critical-failure rate counts (scored or not); 0 when read back from a
    # snapshot stored before it was kept.
    critical_audits: int = 0

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "name": self.name,
            "n": self.n,
            "raw_mean": self.raw_mean,
            "fair_score": self.fair_score,
            "fair_se": self.fair_se,
            "interval": list(self.interval),
            "percentile": self.percentile,
            "percentile_interval": list(self.percentile_interval),
            "rank": self.rank,
            "change": self.change,
            "change_p_value": self.change_p_value,
            "change_significant": self.change_significant,
            "few_audits": self.few_audits,
            "critical_failures": self.critical_failures,
            "critical_failure_rate": self.critical_failure_rate,
            "critical_audits": self.critical_audits,
            "members": self.members,
        }
        if self.level == BRANCH:
            out["region_id"] = self.region_id
            out["franchisee_id"] = self.franchisee_id
            out["region_percentile"] = self.region_percentile
            out["region_percentile_interval"] = (
                None
                if self.region_percentile_interval is None
                else list(self.region_percentile_interval)
            )
            out["region_rank"] = self.region_rank
        return out


@dataclass(frozen=True)
class ShopperCalibration:
    """A shopper's leniency in score points: positive grades softer than the typical shopper."""

    shopper: str
    leniency: float
    interval: tuple[float, float]
    n: int

    def to_dict(self) -> dict:
        return {
            "shopper": self.shopper,
            "leniency": self.leniency,
            "interval": list(self.interval),
            "n": self.n,
        }


@dataclass(frozen=True)
class VarianceComponents:
    """The fitted model: brand mean, variances (score points squared) and what the fit saw."""

    brand_mean: float
    brand_mean_se: float
    branch: float
    shopper: float
    residual: float
    n_audits: int
    n_branches: int
    n_shoppers: int
    reml_deviance: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "brand_mean": self.brand_mean,
            "brand_mean_se": self.brand_mean_se,
            "branch": self.branch,
            "shopper": self.shopper,
            "residual": self.residual,
            "n_audits": self.n_audits,
            "n_branches": self.n_branches,
            "n_shoppers": self.n_shoppers,
            "reml_deviance": self.reml_deviance,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Quartiles:
    """The peer distribution of fair scores at one level: min, quartiles and max."""

    min: float
    q1: float
    median: float
    q3: float
    max: float

    def to_dict(self) -> dict:
        return {
            "min": self.min,
            "q1": self.q1,
            "median": self.median,
            "q3": self.q3,
            "max": self.max,
        }


@dataclass(frozen=True)
class Snapshot:
    """A whole league table for one period and dimension, ready to store and serve."""

    period: str
    dimension: str
    rows: dict[str, tuple[LeagueRow, ...]]
    quartiles: dict[str, Quartiles | None]
    shoppers: tuple[ShopperCalibration, ...]
    variance_components: VarianceComponents
    settings: dict

    def to_dict(self) -> dict:
        return {
            "period": self.period,
            "dimension": self.dimension,
            "rows": {lvl: [row.to_dict() for row in rows] for lvl, rows in self.rows.items()},
            "quartiles": {
                lvl: None if q is None else q.to_dict() for lvl, q in self.quartiles.items()
            },
            "shoppers": [s.to_dict() for s in self.shoppers],
            "variance_components": self.variance_components.to_dict(),
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Snapshot:
        """The snapshot a stored `to_dict()` came from (used as `previous` for change tests)."""
        return cls(
            period=data["period"],
            dimension=data["dimension"],
            rows={
                lvl: tuple(_row_from_dict(lvl, row) for row in rows)
                for lvl, rows in data["rows"].items()
            },
            quartiles={
                lvl: None if q is None else Quartiles(**q) for lvl, q in data["quartiles"].items()
            },
            shoppers=tuple(
                ShopperCalibration(
                    shopper=s["shopper"],
                    leniency=s["leniency"],
                    interval=(s["interval"][0], s["interval"][1]),
                    n=s["n"],
                )
                for s in data["shoppers"]
            ),
            variance_components=VarianceComponents(
                **{
                    **data["variance_components"],
                    "notes": tuple(data["variance_components"]["notes"]),
                }
            ),
            settings=dict(data["settings"]),
        )


def _pair(value: list | None) -> tuple[float, float] | None:
    return None if value is None else (value[0], value[1])


def _row_from_dict(level: str, data: dict) -> LeagueRow:
    fields = dict(data)
    fields["interval"] = _pair(fields["interval"])
    fields["percentile_interval"] = _pair(fields["percentile_interval"])
    if "region_percentile_interval" in fields:
        fields["region_percentile_interval"] = _pair(fields["region_percentile_interval"])
    return LeagueRow(level=level, **fields)
