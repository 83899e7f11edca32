"""Critical-failure rates shrunk by a beta-binomial model.

A critical ("kill") item failing is its own yes/no outcome, kept beside the score rather than
zeroing it. One failure in three visits is a 33% raw rate, which says little; so each unit's
rate is the posterior mean under a Beta(alpha, beta) prior fitted to the brand's units of the
same level, (failures + alpha) / (audits + alpha + beta): a unit with few audits is pulled
towards the brand rate, one with many keeps its own.

The prior is fitted by Kleinman's method of moments (audit-weighted), which needs no iteration
and can be checked by hand; the formulas are in docs/benchmarking.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BetaPrior:
    """Prior mean rate and concentration alpha + beta (infinite: rates do not vary by unit)."""

    mean: float
    concentration: float

    @property
    def alpha(self) -> float:
        return self.mean * self.concentration

    @property
    def beta(self) -> float:
        return (1.0 - self.mean) * self.concentration

    def to_dict(self) -> dict:
        finite = math.isfinite(self.concentration)
        return {"mean": self.mean, "concentration": self.concentration if finite else None}


def fit_beta_prior(failures: np.ndarray, audits: np.ndarray) -> BetaPrior:
    """Method-of-moments Beta prior for per-unit failure probabilities.

    With p_j = k_j / n_j, N = sum n_j and m = sum k_j / N, the audit-weighted spread
    S = sum n_j (p_j - m)^2 has expectation m (1 - m) [(J - 1) + rho sum (1 - n_j/N)(n_j - 1)],
    where rho = 1 / (alpha + beta + 1) is the intra-unit correlation. Solving for rho, clipped
    to [0, 1), gives the concentration 1/rho - 1 (infinite when rho = 0).
    """
    k = np.asarray(failures, dtype=float)
    n = np.asarray(audits, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if n.size == 0:
        return BetaPrior(mean=0.0, concentration=math.inf)
    total = float(n.sum())
    mean = float(k.sum() / total)
    if n.size < 2 or mean <= 0.0 or mean >= 1.0:
        return BetaPrior(mean=mean, concentration=math.inf)
    spread = float(np.sum(n * (k / n - mean) ** 2))
    slope = float(np.sum((1.0 - n / total) * (n - 1.0)))
    if slope <= 0.0:
        return BetaPrior(mean=mean, concentration=math.inf)
    rho = (spread / (mean * (1.0 - mean)) - (n.size - 1)) / slope
    if rho <= 0.0:
        return BetaPrior(mean=mean, concentration=math.inf)
    rho = min(rho, 1.0 - 1e-9)
    return BetaPrior(mean=mean, concentration=1.0 / rho - 1.0)


def shrunk_rates(failures: np.ndarray, audits: np.ndarray, prior: BetaPrior) -> np.ndarray:
    """Posterior mean failure rate of each unit: (k + alpha) / (n + alpha + beta)."""
    k = np.asarray(failures, dtype=float)
    n = np.asarray(audits, dtype=float)
    if not math.isfinite(prior.concentration):
        return np.full(k.shape, prior.mean)
    return (k + prior.alpha) / (n + prior.concentration)
