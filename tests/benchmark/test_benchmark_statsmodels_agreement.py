"""The REML fit agrees with statsmodels' MixedLM (variance-components form) on simulated data.

Tolerance: variance components within 0.1% relative, the brand mean within 1e-4 points, BLUPs
within 1e-3 score points. Both maximise the same REML criterion; what is left is each
optimiser's stopping rule (the differences seen are about 2e-5 relative).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from scoring.benchmark import fit_crossed
from support.benchmark_data import crossed_data

if os.environ.get("CI") == "true":
    import statsmodels.regression.mixed_linear_model as mlm  # CI must run this test
else:
    mlm = pytest.importorskip(
        "statsmodels.regression.mixed_linear_model",
        reason="statsmodels is not installed (pip install statsmodels); CI always runs this",
    )


def _statsmodels_fit(y, branch, shopper):
    n = y.size
    q_b, q_s = branch.max() + 1, shopper.max() + 1
    exog_vc = {"branch": {1: np.eye(q_b)[branch]}, "shopper": {1: np.eye(q_s)[shopper]}}
    with warnings.catch_warnings():
        # The dict form of exog_vc is the documented crossed-effects recipe; it warns as legacy.
        warnings.simplefilter("ignore")
        model = mlm.MixedLM(y, np.ones((n, 1)), groups=np.ones(n), exog_vc=exog_vc)
        result = model.fit(reml=True)
    names = model.exog_vc.names
    vcomp = dict(zip(names, result.vcomp, strict=True))
    effects = result.random_effects[1]
    return (
        vcomp,
        float(result.scale),
        float(result.fe_params[0]),
        effects.values[:q_b],
        effects.values[q_b:],
    )


@pytest.mark.parametrize(
    "shape",
    [
        {"branches": 30, "shoppers": 12, "per_branch": 4, "seed": 1},
        {"branches": 12, "shoppers": 40, "per_branch": 6, "seed": 2},
        {"branches": 25, "shoppers": 15, "per_branch": 3, "shopper_sd": 4.0, "seed": 3},
    ],
)
def test_variance_components_and_blups_match_statsmodels(shape):
    y, branch, shopper = crossed_data(**shape)
    vcomp, scale, mean, branch_blups, shopper_blups = _statsmodels_fit(y, branch, shopper)
    fit = fit_crossed(y, branch, shopper)
    assert fit.sigma2_branch == pytest.approx(vcomp["branch"], rel=1e-3)
    assert fit.sigma2_shopper == pytest.approx(vcomp["shopper"], rel=1e-3)
    assert fit.sigma2_residual == pytest.approx(scale, rel=1e-3)
    assert fit.intercept == pytest.approx(mean, abs=1e-4)
    np.testing.assert_allclose(fit.branch_effects, branch_blups, atol=1e-3)
    np.testing.assert_allclose(fit.shopper_effects, shopper_blups, atol=1e-3)
