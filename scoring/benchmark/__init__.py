"""Fair benchmarking of branches, franchisees and regions from a handful of audits each.

Each counted audit's score is modelled as brand mean + branch effect + shopper effect + noise,
with crossed random effects whose variances are estimated by REML from the brand's own data.
A branch's fair score is brand mean + branch effect (what a typical shopper would report), with
a 90% interval from its posterior variance; percentile ranks carry intervals from joint
posterior draws; change against the previous snapshot is flagged only when it survives a
Benjamini-Hochberg false-discovery-rate control. docs/benchmarking.md has the formulas and the
measured figures.

Public entry points:

- `build_snapshot(records, units, *, period, previous=None, min_audits=3, dimension="overall",
  shopper_window_records=None, seed=0, level=0.9, fdr=0.1, draws=1000) -> Snapshot`:
  a whole league table; `Snapshot.to_dict()` is what is stored and served,
  `Snapshot.from_dict()` reads it back (e.g. as `previous`).
- `build_snapshots(records, units, *, period, dimensions, previous=None, ...) -> dict`:
  the same for several dimensions of one period, its records laid out once; `lay_out(records,
  *, period, shopper_window_records=None)` makes that layout for callers that build a
  period's dimensions in several calls (`layout=`).
- `fit_crossed(y, branch, shopper, *, n_branches=None, n_shoppers=None, ratios=None)
  -> CrossedFit`: the model fit on arrays of scores and integer codes.
- Period keys ("2026-Q3", "2026-11", "2026"): `parse_period`, `date_range`,
  `previous_period`, `period_of`, `rolling_quarters`, `rolling_date_range`.
- Building blocks: `benjamini_hochberg`, `change_tests`, `fit_beta_prior`, `shrunk_rates`,
  `percentiles`, `percentile_intervals`.

Inputs are `AuditRecord` (the calculated score, never a zeroed one; critical failure as its own
flag) and `UnitInfo` (branch name, franchisee, region). Nothing here imports Django.
"""

from scoring.benchmark.change import ChangeResult, benjamini_hochberg, change_tests
from scoring.benchmark.critical import BetaPrior, fit_beta_prior, shrunk_rates
from scoring.benchmark.mixed_model import CrossedFit, fit_crossed
from scoring.benchmark.periods import (
    Period,
    date_range,
    parse_period,
    period_of,
    previous_period,
    rolling_date_range,
    rolling_quarters,
)
from scoring.benchmark.ranking import percentile_intervals, percentiles
from scoring.benchmark.records import (
    AuditRecord,
    LeagueRow,
    Quartiles,
    ShopperCalibration,
    Snapshot,
    UnitInfo,
    VarianceComponents,
)
from scoring.benchmark.snapshot import PeriodLayout, build_snapshot, build_snapshots, lay_out

__all__ = [
    "AuditRecord",
    "BetaPrior",
    "ChangeResult",
    "CrossedFit",
    "LeagueRow",
    "Period",
    "PeriodLayout",
    "Quartiles",
    "ShopperCalibration",
    "Snapshot",
    "UnitInfo",
    "VarianceComponents",
    "benjamini_hochberg",
    "build_snapshot",
    "build_snapshots",
    "change_tests",
    "date_range",
    "fit_beta_prior",
    "fit_crossed",
    "lay_out",
    "parse_period",
    "percentile_intervals",
    "percentiles",
    "period_of",
    "previous_period",
    "rolling_date_range",
    "rolling_quarters",
    "shrunk_rates",
]
