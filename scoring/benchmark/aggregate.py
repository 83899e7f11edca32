"""Franchisee and region scores from their branches' fair scores.

A franchisee's (or region's) fair score is the plain mean of its member branches' fair scores:
each branch counts once, however often it was audited, because the question is how the
network's branches serve customers, and audit allocation is head office's choice, not a fact
about quality. (Precision weighting would let the most-audited branch dominate, and would weight
estimates that are already shrunk by their precision a second time.)

Its variance is that of the same linear combination under the joint posterior of the mean and
all effects, computed exactly from the model's factorisation: it includes the uncertainty of
the brand mean and the correlation that shared shoppers induce between branches, which a sum of
per-branch variances would miss.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from scoring.benchmark.mixed_model import CrossedFit


def mean_weights(members: list[np.ndarray], n_branches: int) -> sp.csc_matrix:
    """(n_branches x groups) matrix whose column g averages group g's member branch codes."""
    rows = np.concatenate([np.asarray(m, dtype=np.int64) for m in members]) if members else []
    cols = np.concatenate([np.full(len(m), g) for g, m in enumerate(members)]) if members else []
    data = np.concatenate([np.full(len(m), 1.0 / len(m)) for m in members]) if members else []
    return sp.csc_matrix((data, (rows, cols)), shape=(n_branches, len(members)))


def group_scores(fit: CrossedFit, weights: sp.csc_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Fair score and posterior variance of each group: mu + sum_j w_j b_j, with sum w = 1."""
    fair = fit.intercept + weights.T @ fit.branch_effects
    variance = fit.contrast_variance(weights, None, np.ones(weights.shape[1]))
    return np.asarray(fair, dtype=float), variance


def group_draws(branch_draws: np.ndarray, weights: sp.csc_matrix) -> np.ndarray:
    """Posterior draws of each group's score from draws of its branches' fair scores.

    `branch_draws` has a row per branch code 0..rows-1 that `weights` refers to.
    """
    rows = branch_draws.shape[0]
    return np.asarray(weights[:rows].T @ branch_draws)
