"""Build one league-table snapshot: fit the model once, then rank branches, franchisees, regions.

This is the only module that knows about records and units; the statistics live in the modules
it calls. The result is stored whole (`Snapshot.to_dict()`) and served without refitting, so
everything the API shows, intervals included, is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.stats import norm

from scoring.benchmark.aggregate import group_draws, group_scores, mean_weights
from scoring.benchmark.change import change_tests
from scoring.benchmark.critical import fit_beta_prior, shrunk_rates
from scoring.benchmark.mixed_model import CrossedFit, fit_crossed
from scoring.benchmark.periods import parse_period, period_of
from scoring.benchmark.ranking import percentile_intervals, percentiles, quartiles, ranks
from scoring.benchmark.records import (
    BRANCH,
    FRANCHISEE,
    LEVELS,
    OVERALL,
    AuditRecord,
    LeagueRow,
    ShopperCalibration,
    Snapshot,
    UnitInfo,
    VarianceComponents,
)

# Scores, fair scores and their intervals live on this scale.
SCORE_MIN, SCORE_MAX = 0.0, 100.0


def build_snapshot(
    records: Iterable[AuditRecord],
    units: Mapping[str, UnitInfo] | Iterable[UnitInfo],
    *,
    period: str,
    previous: Snapshot | Mapping | None = None,
    min_audits: int = 3,
    dimension: str = OVERALL,
    shopper_window_records: Iterable[AuditRecord] | None = None,
    seed: int = 0,
    level: float = 0.9,
    fdr: float = 0.1,
    draws: int = 1000,
) -> Snapshot:
    """The league tables of `period` for `dimension`, from the audits counted in it.

    `records` are the period's counted audits (for a rolling window, the window's audits).
    `shopper_window_records`, when given, is a longer trailing window used only to learn shopper
    leniency: its audits outside `records` enter the fit with a branch effect of their own per
    branch and period, so they inform the shopper effects and variances without leaking past
    quality into this period's fair scores. `previous` (a Snapshot or its stored dict) is the
    snapshot to test change against. `seed` fixes the posterior draws, so a snapshot can be
    rebuilt exactly.
    """
    return build_snapshots(
        records,
        units,
        period=period,
        dimensions=[dimension],
        previous={dimension: previous} if previous is not None else None,
        min_audits=min_audits,
        shopper_window_records=shopper_window_records,
        seed=seed,
        level=level,
        fdr=fdr,
        draws=draws,
    )[dimension]


def build_snapshots(
    records: Iterable[AuditRecord],
    units: Mapping[str, UnitInfo] | Iterable[UnitInfo],
    *,
    period: str,
    dimensions: Iterable[str],
    previous: Mapping[str, Snapshot | Mapping] | None = None,
    min_audits: int = 3,
    shopper_window_records: Iterable[AuditRecord] | None = None,
    seed: int = 0,
    level: float = 0.9,
    fdr: float = 0.1,
    draws: int = 1000,
    layout: PeriodLayout | None = None,
) -> dict[str, Snapshot]:
    """`build_snapshot` of one period for each of `dimensions`, by dimension.

    `layout`, when given, is `lay_out` of these same records and window, made once by a
    caller that builds the period's dimensions in several calls (one task per dimension).

    Each snapshot is exactly what `build_snapshot` gives for its dimension; the period's
    records and its leniency window are checked and laid out once (`_Layout`) for all of
    them, which a refresh of eight dimensions over tens of thousands of records otherwise
    repeated eight times (a quarter of a refresh, bench/league_refresh.py). `previous` holds
    the snapshot to test change against per dimension (a dimension missing has none).
    """
    kind = parse_period(period).kind
    if not 0.0 < level < 1.0 or not 0.0 < fdr < 1.0 or draws < 1 or min_audits < 0:
        raise ValueError("level and fdr must lie in (0, 1), draws >= 1, min_audits >= 0")
    unit_map = _unit_map(units)
    if layout is None:
        layout = _Layout.of(_unique(records), shopper_window_records, kind)
    elif layout.kind != kind:
        raise ValueError(f"the layout is of a {layout.kind}, the period a {kind}")
    out = {}
    for dimension in dimensions:
        previous_snapshot = _as_snapshot((previous or {}).get(dimension))
        if previous_snapshot is not None and previous_snapshot.dimension != dimension:
            raise ValueError("the previous snapshot is of another dimension")
        out[dimension] = _build_one(
            layout,
            unit_map,
            period=period,
            previous_snapshot=previous_snapshot,
            min_audits=min_audits,
            dimension=dimension,
            seed=seed,
            level=level,
            fdr=fdr,
            draws=draws,
        )
    return out


def _build_one(
    layout: _Layout,
    unit_map: dict[str, UnitInfo],
    *,
    period: str,
    previous_snapshot: Snapshot | None,
    min_audits: int,
    dimension: str,
    seed: int,
    level: float,
    fdr: float,
    draws: int,
) -> Snapshot:
    """One dimension's snapshot from the period's layout (arguments checked by the caller)."""
    data = _Data.collect(layout, dimension)
    if data.y.size == 0:
        return _empty_snapshot(period, dimension, min_audits, level, fdr, draws, seed)
    fit = fit_crossed(
        data.y,
        data.branch,
        data.shopper,
        n_branches=len(data.branch_keys),
        n_shoppers=len(data.shopper_ids),
    )
    z = float(norm.ppf(0.5 + level / 2.0))
    rng = np.random.default_rng(seed)
    current = len(data.branch_ids)
    branch_draws = fit.draw_fair(np.arange(current), draws, rng)

    counts = _Counts.collect(layout, data)
    tables: dict[str, tuple[LeagueRow, ...]] = {}
    priors = {}
    for lvl in LEVELS:
        groups = _groups(lvl, data.branch_ids, unit_map)
        if not groups:
            tables[lvl] = ()
            continue
        weights = mean_weights([members for _, _, members in groups], len(data.branch_keys))
        if lvl == BRANCH:
            # The fit already holds each branch's fair score and its variance.
            fair, variance = fit.fair_scores[:current], fit.fair_var[:current]
        else:
            fair, variance = group_scores(fit, weights)
        level_draws = group_draws(branch_draws, weights)
        failures = np.array([counts.failures[m].sum() for _, _, m in groups])
        audited = np.array([counts.audits[m].sum() for _, _, m in groups])
        prior = fit_beta_prior(failures, audited)
        priors[lvl] = prior.to_dict()
        tables[lvl] = _rows(
            lvl,
            groups,
            fair,
            variance,
            level_draws,
            counts,
            unit_map,
            failures,
            audited,
            shrunk_rates(failures, audited, prior),
            z=z,
            level=level,
            min_audits=min_audits,
            previous=None if previous_snapshot is None else previous_snapshot.rows.get(lvl),
            fdr=fdr,
        )
    return Snapshot(
        period=period,
        dimension=dimension,
        rows=tables,
        quartiles={lvl: quartiles(np.array([r.fair_score for r in tables[lvl]])) for lvl in LEVELS},
        shoppers=_shoppers(fit, data, z),
        variance_components=_components(fit, data),
        settings={
            "min_audits": min_audits,
            "interval_level": level,
            "fdr": fdr,
            "draws": draws,
            "seed": seed,
            "window_audits": int(data.y.size - data.in_period),
            "previous_period": None if previous_snapshot is None else previous_snapshot.period,
            "critical_prior": priors,
        },
    )


def lay_out(
    records: Iterable[AuditRecord],
    *,
    period: str,
    shopper_window_records: Iterable[AuditRecord] | None = None,
) -> PeriodLayout:
    """A period's records and its leniency window checked and coded once, for
    `build_snapshots(..., layout=...)` calls that each build some of its dimensions."""
    kind = parse_period(period).kind
    return _Layout.of(_unique(records), shopper_window_records, kind)


@dataclass(frozen=True, eq=False)
class _Layout:
    """A period's records and its window's other audits, coded once for every dimension's fit.

    Records are the period's, then the window audits outside it (`in_period` of the first).
    A period audit's branch is coded among the period's branch ids (sorted); a window audit's
    branch gets an effect of its own per branch and period, its key `(branch id, period
    label)`, coded in order of first appearance; shoppers are coded among all shopper ids
    (sorted). Each dimension's fit keeps the codes of the audits it scores (`_Data.collect`).
    """

    records: list[AuditRecord]
    in_period: int
    period_branch: np.ndarray  # per period record: index into period_branch_ids
    period_branch_ids: list[object]
    window_key: np.ndarray  # per window record: index into window_keys
    window_keys: list[tuple[object, str]]
    shopper: np.ndarray  # per record: index into shopper_ids
    shopper_ids: list[object]
    audits: np.ndarray  # per period branch: its audits, scored or not
    failures: np.ndarray  # per period branch: its audits with a critical failure
    kind: str  # the period kind the window audits are labelled by

    @classmethod
    def of(cls, period_records: list[AuditRecord], window_records, kind: str) -> _Layout:
        seen = {r.audit_id for r in period_records}
        extra = [r for r in _unique(window_records or ()) if r.audit_id not in seen]
        records = period_records + extra
        period_branch_ids = sorted({r.branch_id for r in period_records})
        branch_codes = {b: i for i, b in enumerate(period_branch_ids)}
        period_branch = np.array(
            [branch_codes[r.branch_id] for r in period_records], dtype=np.int64
        )
        # Window audits fall on a few hundred distinct days: label each day once, not each audit.
        labels: dict[date, str] = {}
        key_codes: dict[tuple[object, str], int] = {}
        window_key = np.empty(len(extra), dtype=np.int64)
        for i, r in enumerate(extra):
            label = labels.get(r.visited_on)
            if label is None:
                label = labels[r.visited_on] = period_of(r.visited_on, kind).key
            window_key[i] = key_codes.setdefault((r.branch_id, label), len(key_codes))
        shopper_ids = sorted({r.shopper_id for r in records})
        shopper_codes = {s: i for i, s in enumerate(shopper_ids)}
        q = len(period_branch_ids)
        failed = np.array([bool(r.critical_failure) for r in period_records], dtype=float)
        return cls(
            records=records,
            in_period=len(period_records),
            period_branch=period_branch,
            period_branch_ids=period_branch_ids,
            window_key=window_key,
            window_keys=list(key_codes),
            shopper=np.array([shopper_codes[r.shopper_id] for r in records], dtype=np.int64),
            shopper_ids=shopper_ids,
            audits=np.bincount(period_branch, minlength=q),
            failures=np.bincount(period_branch, failed, minlength=q).astype(np.int64),
            kind=kind,
        )


# What `lay_out` gives: opaque to callers, who pass it back to `build_snapshots`.
PeriodLayout = _Layout


@dataclass(frozen=True, eq=False)
class _Data:
    """The fit's input: scores, branch and shopper codes; the period's branches come first."""

    y: np.ndarray
    branch: np.ndarray
    shopper: np.ndarray
    branch_ids: list[str]  # this period's branches, codes 0..len-1
    branch_keys: list[object]  # all branch codes, including per-period window branches
    shopper_ids: list[str]
    in_period: int
    period_branches: np.ndarray  # each of branch_ids as an index into the layout's

    @classmethod
    def collect(cls, layout: _Layout, dimension: str) -> _Data:
        """One dimension's fit input: the layout's audits that score it, recoded densely in
        the layout's orders. The one pass in Python reads the values; the rest is numpy."""
        read = AuditRecord.reader(dimension)
        values = [read(r) for r in layout.records]
        present = np.array([v is not None for v in values], dtype=bool)
        y = np.array(values, dtype=float)[present]  # a None, not scored, reads as NaN: dropped
        finite = np.isfinite(y)
        if not finite.all():
            bad = layout.records[int(np.flatnonzero(present)[int(np.argmin(finite))])]
            raise ValueError(f"audit {bad.audit_id}: score is not finite")
        head = layout.in_period

        period = layout.period_branch[present[:head]]
        used = np.unique(period)  # sorted codes, so the ids stay sorted
        branch_ids = [layout.period_branch_ids[i] for i in used]
        window = layout.window_key[present[head:]]
        keys, first = np.unique(window, return_index=True)
        window_used = keys[np.argsort(first, kind="stable")]  # in order of first appearance
        branch = np.concatenate(
            [
                _recode(period, used, len(layout.period_branch_ids)),
                used.size + _recode(window, window_used, len(layout.window_keys)),
            ]
        )
        shoppers = layout.shopper[present]
        shoppers_used = np.unique(shoppers)
        return cls(
            y=y,
            branch=branch,
            shopper=_recode(shoppers, shoppers_used, len(layout.shopper_ids)),
            branch_ids=branch_ids,
            branch_keys=[*branch_ids, *(layout.window_keys[i] for i in window_used)],
            shopper_ids=[layout.shopper_ids[i] for i in shoppers_used],
            in_period=int(period.size),
            period_branches=used,
        )


def _recode(codes: np.ndarray, used: np.ndarray, size: int) -> np.ndarray:
    """`codes` renumbered 0..len(used)-1 in the order of `used` (which holds each of them)."""
    lookup = np.full(size, -1, dtype=np.int64)
    lookup[used] = np.arange(used.size, dtype=np.int64)
    return lookup[codes]


@dataclass(frozen=True, eq=False)
class _Counts:
    """Per period branch (codes 0..len-1): scored audits, their sum, all audits, failures."""

    scored: np.ndarray
    sums: np.ndarray
    audits: np.ndarray
    failures: np.ndarray

    @classmethod
    def collect(cls, layout: _Layout, data: _Data) -> _Counts:
        q = len(data.branch_ids)
        head = slice(0, data.in_period)
        return cls(
            scored=np.bincount(data.branch[head], minlength=q),
            sums=np.bincount(data.branch[head], data.y[head], minlength=q),
            audits=layout.audits[data.period_branches],
            failures=layout.failures[data.period_branches],
        )


def _rows(
    lvl,
    groups,
    fair,
    variance,
    level_draws,
    counts,
    unit_map,
    failures,
    audited,
    rates,
    *,
    z,
    level,
    min_audits,
    previous,
    fdr,
) -> tuple[LeagueRow, ...]:
    counts_n, sums = counts.scored, counts.sums
    ids = [gid for gid, _, _ in groups]
    se = np.sqrt(np.maximum(variance, 0.0))
    pct = percentiles(fair)
    low, high = percentile_intervals(level_draws, pct, level)
    rank = ranks(fair, ids)
    changes = {}
    if previous:
        before = {row.id: (row.fair_score, row.fair_se) for row in previous}
        now = {gid: (float(fair[i]), float(se[i])) for i, gid in enumerate(ids)}
        changes = change_tests(now, before, fdr)
    regional = _regional(lvl, groups, fair, level_draws, ids, unit_map, level)
    rows = []
    for i, (gid, name, members) in enumerate(groups):
        n = int(counts_n[members].sum())
        info = unit_map.get(gid) if lvl == BRANCH else None
        change = changes.get(gid)
        region = regional.get(i)
        rows.append(
            LeagueRow(
                level=lvl,
                id=gid,
                name=name,
                n=n,
                raw_mean=float(sums[members].sum() / n),
                fair_score=float(fair[i]),
                fair_se=float(se[i]),
                interval=score_interval(float(fair[i]), float(z * se[i])),
                percentile=float(pct[i]),
                percentile_interval=(float(low[i]), float(high[i])),
                rank=int(rank[i]),
                few_audits=n < min_audits,
                critical_failures=int(failures[i]),
                critical_failure_rate=float(rates[i]),
                critical_audits=int(audited[i]),
                change=None if change is None else change.change,
                change_p_value=None if change is None else change.p_value,
                change_significant=False if change is None else change.significant,
                region_id=None if info is None else info.region_id,
                franchisee_id=None if info is None else info.franchisee_id,
                region_percentile=None if region is None else region[0],
                region_percentile_interval=None if region is None else region[1],
                region_rank=None if region is None else region[2],
                members=len(members),
            )
        )
    rows.sort(key=lambda row: (row.rank, row.id))
    return tuple(rows)


def score_interval(centre: float, half_width: float) -> tuple[float, float]:
    """A fair score's interval, clipped to the 0-100 a score can take.

    The normal approximation is symmetric, so near the ends it reaches past them (a branch at
    97 with few audits showed [89.07, 104.01]); no score lies outside 0-100, so neither may
    the plausible range shown for it. The fair score itself is never moved.
    """
    return (max(SCORE_MIN, centre - half_width), min(SCORE_MAX, centre + half_width))


def _regional(lvl, groups, fair, level_draws, ids, unit_map, level) -> dict[int, tuple]:
    """Percentile, its interval and rank of each branch among the branches of its region."""
    if lvl != BRANCH:
        return {}
    by_region: dict[str, list[int]] = {}
    for i, gid in enumerate(ids):
        info = unit_map.get(gid)
        if info is not None and info.region_id is not None:
            by_region.setdefault(info.region_id, []).append(i)
    out = {}
    for members in by_region.values():
        idx = np.array(members)
        pct = percentiles(fair[idx])
        low, high = percentile_intervals(level_draws[idx], pct, level)
        rank = ranks(fair[idx], [ids[i] for i in members])
        for j, i in enumerate(members):
            out[i] = (float(pct[j]), (float(low[j]), float(high[j])), int(rank[j]))
    return out


def _groups(lvl, branch_ids, unit_map) -> list[tuple[str, str, np.ndarray]]:
    """(id, name, member branch codes) of each unit of level `lvl` with audited branches."""
    if lvl == BRANCH:
        return [
            (b, unit_map[b].name if b in unit_map else b, np.array([i]))
            for i, b in enumerate(branch_ids)
        ]
    members: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for i, b in enumerate(branch_ids):
        info = unit_map.get(b)
        if info is None:
            continue
        gid = info.franchisee_id if lvl == FRANCHISEE else info.region_id
        if gid is None:
            continue
        members.setdefault(gid, []).append(i)
        name = info.franchisee_name if lvl == FRANCHISEE else info.region_name
        names.setdefault(gid, name or gid)
    return [(gid, names[gid], np.array(members[gid])) for gid in sorted(members)]


def _shoppers(fit: CrossedFit, data: _Data, z: float) -> tuple[ShopperCalibration, ...]:
    out = []
    for k, shopper in enumerate(data.shopper_ids):
        effect = float(fit.shopper_effects[k])
        half = z * math.sqrt(max(float(fit.shopper_effect_var[k]), 0.0))
        out.append(
            ShopperCalibration(
                shopper=shopper,
                leniency=effect,
                interval=(effect - half, effect + half),
                n=int(fit.shopper_counts[k]),
            )
        )
    out.sort(key=lambda s: (-s.leniency, s.shopper))
    return tuple(out)


def _components(fit: CrossedFit, data: _Data) -> VarianceComponents:
    return VarianceComponents(
        brand_mean=float(fit.intercept),
        brand_mean_se=math.sqrt(max(fit.intercept_var, 0.0)),
        branch=fit.sigma2_branch,
        shopper=fit.sigma2_shopper,
        residual=fit.sigma2_residual,
        n_audits=int(data.y.size),
        n_branches=len(data.branch_ids),
        n_shoppers=len(data.shopper_ids),
        reml_deviance=fit.deviance,
        notes=fit.notes,
    )


def _empty_snapshot(period, dimension, min_audits, level, fdr, draws, seed) -> Snapshot:
    return Snapshot(
        period=period,
        dimension=dimension,
        rows={lvl: () for lvl in LEVELS},
        quartiles={lvl: None for lvl in LEVELS},
        shoppers=(),
        variance_components=VarianceComponents(
            brand_mean=0.0,
            brand_mean_se=0.0,
            branch=0.0,
            shopper=0.0,
            residual=0.0,
            n_audits=0,
            n_branches=0,
            n_shoppers=0,
            reml_deviance=0.0,
            notes=("no audits with a score for this dimension",),
        ),
        settings={
            "min_audits": min_audits,
            "interval_level": level,
            "fdr": fdr,
            "draws": draws,
            "seed": seed,
            "window_audits": 0,
            "previous_period": None,
            "critical_prior": {},
        },
    )


def _unique(records: Iterable[AuditRecord]) -> list[AuditRecord]:
    out, seen = [], set()
    for record in records:
        if record.audit_id in seen:
            raise ValueError(f"audit {record.audit_id} is listed twice")
        seen.add(record.audit_id)
        out.append(record)
    return out


def _unit_map(units) -> dict[str, UnitInfo]:
    if isinstance(units, Mapping):
        return dict(units)
    return {u.branch_id: u for u in units}


def _as_snapshot(previous) -> Snapshot | None:
    if previous is None or isinstance(previous, Snapshot):
        return previous
    return Snapshot.from_dict(dict(previous))
