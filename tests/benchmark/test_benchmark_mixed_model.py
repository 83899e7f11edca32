"""The crossed fit against brute-force Henderson equations, closed forms and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.benchmark import fit_crossed
from scoring.benchmark import mixed_model as mm
from support.benchmark_data import crossed_data


def _henderson(y, branch, shopper, gamma_b, gamma_s):
    """Dense Henderson equations C [mu; u] = [X'y; Z'y], solved and inverted directly."""
    q_b, q_s = branch.max() + 1, shopper.max() + 1
    w = np.hstack([np.ones((y.size, 1)), np.eye(q_b)[branch], np.eye(q_s)[shopper]])
    c = w.T @ w + np.diag(np.r_[0.0, np.full(q_b, 1 / gamma_b), np.full(q_s, 1 / gamma_s)])
    solution = np.linalg.solve(c, w.T @ y)
    sigma2 = (y @ y - solution @ (w.T @ y)) / (y.size - 1)
    return solution, sigma2 * np.linalg.inv(c), q_b


@pytest.mark.parametrize("dense_limit", [4000, 1])
@pytest.mark.parametrize("shape", [(20, 8, 4), (6, 30, 5)])
def test_fit_with_given_ratios_solves_hendersons_equations(shape, dense_limit):
    branches, shoppers, per_branch = shape
    y, branch, shopper = crossed_data(branches, shoppers, per_branch, seed=7)
    fit = fit_crossed(y, branch, shopper, ratios=(0.4, 0.15), dense_limit=dense_limit)
    solution, cov, q_b = _henderson(y, branch, shopper, 0.4, 0.15)
    assert fit.intercept == pytest.approx(solution[0], abs=1e-9)
    np.testing.assert_allclose(fit.branch_effects, solution[1 : 1 + q_b], atol=1e-8)
    np.testing.assert_allclose(fit.shopper_effects, solution[1 + q_b :], atol=1e-8)
    assert fit.intercept_var == pytest.approx(cov[0, 0], rel=1e-8)
    np.testing.assert_allclose(fit.branch_effect_var, np.diag(cov)[1 : 1 + q_b], rtol=1e-7)
    np.testing.assert_allclose(fit.shopper_effect_var, np.diag(cov)[1 + q_b :], rtol=1e-7)
    fair_var = cov[0, 0] + np.diag(cov)[1 : 1 + q_b] + 2 * cov[0, 1 : 1 + q_b]
    np.testing.assert_allclose(fit.fair_var, fair_var, rtol=1e-7)
    # The mean of branches 0-2 plus the brand mean: a franchisee-style combination.
    weights = np.zeros((q_b, 1))
    weights[:3] = 1 / 3
    c = np.r_[1.0, weights[:, 0], np.zeros(shoppers)]
    got = fit.contrast_variance(sp.csc_matrix(weights), None, np.ones(1))
    assert got[0] == pytest.approx(c @ cov @ c, rel=1e-7)


def test_posterior_draws_have_the_fitted_mean_and_variance():
    y, branch, shopper = crossed_data(15, 10, 3, seed=4)
    fit = fit_crossed(y, branch, shopper)
    draws = fit.draw_fair(np.arange(15), 8000, np.random.default_rng(0))
    se = np.sqrt(fit.fair_var)
    assert np.all(np.abs(draws.mean(axis=1) - fit.fair_scores) < 4 * se / np.sqrt(8000))
    np.testing.assert_allclose(draws.var(axis=1), fit.fair_var, rtol=0.1)


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=12), min_size=3, max_size=10),
    gamma_b=st.floats(min_value=0.05, max_value=5.0),
    gamma_s=st.floats(min_value=0.0, max_value=2.0),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_shrinkage_is_the_closed_form_and_grows_with_the_number_of_audits(
    counts, gamma_b, gamma_s, seed
):
    # Every audit by a different shopper: a branch's audits are iid with variance
    # sigma2 (1 + gamma_s) around mu + b, so b_hat = n gamma_b / (1 + gamma_s + n gamma_b)
    # (mean_j - mu_hat), a factor that rises with n.
    rng = np.random.default_rng(seed)
    branch = np.repeat(np.arange(len(counts)), counts)
    shopper = np.arange(branch.size)
    y = rng.normal(70, 5, len(counts))[branch] + rng.normal(0, 3, branch.size)
    fit = fit_crossed(y, branch, shopper, ratios=(gamma_b, gamma_s))
    n = np.array(counts, dtype=float)
    means = np.bincount(branch, y) / n
    factor = n * gamma_b / (1 + gamma_s + n * gamma_b)
    np.testing.assert_allclose(fit.branch_effects, factor * (means - fit.intercept), atol=1e-8)
    order = np.argsort(n)
    assert np.all(np.diff(factor[order]) >= 0)
    # More audits, less posterior variance of the branch effect.
    assert np.all(np.diff(fit.branch_effect_var[order]) <= 1e-12)


def _finite(fit):
    values = [fit.intercept, fit.intercept_var, fit.sigma2_branch, fit.sigma2_shopper]
    arrays = [fit.branch_effects, fit.shopper_effects, fit.fair_var, fit.shopper_effect_var]
    return all(np.isfinite(values)) and all(np.all(np.isfinite(a)) for a in arrays)


def test_one_branch_fixes_the_branch_variance_at_zero():
    rng = np.random.default_rng(0)
    shopper = np.repeat(np.arange(6), 3)
    y = rng.normal(70, 3, 6)[shopper] + rng.normal(0, 2, 18)
    fit = fit_crossed(y, np.zeros(18, dtype=int), shopper)
    assert fit.sigma2_branch == 0.0
    assert fit.sigma2_shopper > 0.0
    assert any("branch variance fixed at 0" in note for note in fit.notes)
    assert fit.fair_scores[0] == pytest.approx(fit.intercept)
    assert _finite(fit)


def test_one_audit_is_its_own_fair_score():
    fit = fit_crossed(np.array([82.5]), np.array([0]), np.array([0]))
    assert fit.fair_scores.tolist() == [82.5]
    assert fit.fair_var.tolist() == [0.0]
    assert "one audit: no variance can be estimated" in fit.notes
    assert _finite(fit)


def test_all_shoppers_distinct_leaves_leniency_to_the_noise():
    y, branch, _ = crossed_data(20, 1, 3, seed=5)
    fit = fit_crossed(y, branch, np.arange(y.size))
    assert fit.sigma2_shopper == 0.0
    assert np.all(fit.shopper_effects == 0.0)
    assert any("cannot be told from noise" in note for note in fit.notes)
    assert fit.sigma2_branch > 0.0
    assert _finite(fit)


def test_no_branch_differences_estimates_zero_variance_on_the_boundary():
    # Every branch gets the same three scores from three shoppers: branches do not differ.
    branch = np.repeat(np.arange(10), 3)
    shopper = np.tile(np.arange(3), 10)
    y = np.tile([70.0, 75.0, 83.0], 10) + np.random.default_rng(1).normal(0, 1e-3, 30)
    fit = fit_crossed(y, branch, shopper)
    assert fit.sigma2_branch < 1e-6
    np.testing.assert_allclose(fit.fair_scores, fit.intercept, atol=1e-3)
    assert _finite(fit)


def test_identical_scores_give_zero_variances_and_no_nan():
    fit = fit_crossed(np.full(12, 90.0), np.repeat(np.arange(4), 3), np.tile(np.arange(3), 4))
    assert (fit.sigma2_branch, fit.sigma2_shopper, fit.sigma2_residual) == (0.0, 0.0, 0.0)
    np.testing.assert_allclose(fit.fair_scores, 90.0, rtol=1e-12)
    assert _finite(fit)


def test_levels_without_audits_keep_the_prior():
    y, branch, shopper = crossed_data(10, 5, 3, seed=2)
    fit = fit_crossed(y, branch, shopper, n_branches=12, n_shoppers=6)
    assert fit.branch_effects[10:].tolist() == [0.0, 0.0]
    assert fit.branch_effect_var[11] == pytest.approx(fit.sigma2_branch)
    assert fit.shopper_counts[5] == 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        fit_crossed(np.array([1.0, np.nan]), np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(ValueError):
        fit_crossed(np.array([]), np.array([], dtype=int), np.array([], dtype=int))
    with pytest.raises(ValueError):
        fit_crossed(np.array([1.0]), np.array([0, 1]), np.array([0]))


@pytest.mark.parametrize("shape", [(20, 8, 4), (6, 30, 5)])
def test_reml_gradient_matches_finite_differences(shape):
    # The optimiser trusts `_gradient` (d deviance / d log lambda, from S^-1 by LAPACK potri);
    # a wrong trace or sign would stop it early at the wrong variances.
    branches, shoppers, per_branch = shape
    y, branch, shopper = crossed_data(branches, shoppers, per_branch, seed=9)
    system = mm._System.build(y, branch, shopper, branches, shoppers, mm.DENSE_LIMIT)
    log_lam = np.log([0.7, 0.4])

    def deviance(x):
        return mm._deviance(system, mm._factorise(system, np.exp(x)))

    grad = mm._gradient(system, mm._factorise(system, np.exp(log_lam)))
    h = 1e-5
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        numeric = (deviance(log_lam + step) - deviance(log_lam - step)) / (2 * h)
        assert grad[k] == pytest.approx(numeric, rel=1e-5, abs=1e-6)


@settings(max_examples=20, deadline=None)
@given(
    branches=st.integers(min_value=2, max_value=40),
    shoppers=st.integers(min_value=2, max_value=40),
    per_branch=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_variances_through_the_inverse_are_those_of_whitening(branches, shoppers, per_branch, seed):
    """The dense path computes a2' S^-1 a2 from S^-1 with sparse contrasts; whitening each
    contrast (R^-T a2, the sparse-LU path's way) must give the same variances."""
    y, branch, shopper = crossed_data(branches, shoppers, per_branch, seed=seed)
    fit = fit_crossed(y, branch, shopper)
    posterior = fit.posterior
    if posterior.factor.chol is None or posterior.sigma2 == 0.0:
        return
    q_b, q_s = fit.branch_counts.size, fit.shopper_counts.size
    weights = sp.random(q_b, 3, density=0.5, random_state=seed, format="csc")
    cases = [
        (sp.identity(q_b, format="csc"), None, np.zeros(q_b)),
        (None, sp.identity(q_s, format="csc"), np.zeros(q_s)),
        (None, None, np.ones(1)),
        (weights, None, np.ones(3)),
    ]
    for contrast in cases:
        for with_mean in (False, True):
            dense = posterior._variances_dense(*contrast, with_mean=with_mean)
            whitened = posterior._variances_whitened(*contrast, with_mean=with_mean)
            for got, expected in zip(dense, whitened, strict=True):
                if expected is None:
                    assert got is None
                else:
                    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
