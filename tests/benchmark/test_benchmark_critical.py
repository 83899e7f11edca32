import math

import numpy as np
import pytest

from scoring.benchmark import fit_beta_prior, shrunk_rates


def test_method_of_moments_prior_by_hand():
    # k = 0, 2, 6 failures in 10 audits each: N = 30, m = 8/30 = 0.266667.
    # S = 10 (0.266667^2 + 0.066667^2 + 0.333333^2) = 1.866667; m(1 - m) = 0.195556.
    # rho = (1.866667 / 0.195556 - 2) / (3 x (1 - 1/3) x 9) = 7.545455 / 18 = 0.419192,
    # so alpha + beta = 1/rho - 1 = 1.385542, alpha = 0.369478, beta = 1.016064.
    prior = fit_beta_prior(np.array([0, 2, 6]), np.array([10, 10, 10]))
    assert prior.mean == pytest.approx(0.266667, abs=1e-6)
    assert prior.concentration == pytest.approx(1.385542, abs=1e-6)
    assert prior.alpha == pytest.approx(0.369478, abs=1e-6)
    assert prior.beta == pytest.approx(1.016064, abs=1e-6)
    rates = shrunk_rates(np.array([0, 2, 6]), np.array([10, 10, 10]), prior)
    # 0.369478 / 11.385542, 2.369478 / 11.385542, 6.369478 / 11.385542
    np.testing.assert_allclose(rates, [0.032451, 0.208113, 0.559436], atol=1e-6)


def test_units_that_do_not_differ_all_get_the_brand_rate():
    prior = fit_beta_prior(np.array([1, 1, 1, 1]), np.array([10, 10, 10, 10]))
    assert math.isinf(prior.concentration)
    assert prior.to_dict() == {"mean": 0.1, "concentration": None}
    np.testing.assert_allclose(shrunk_rates([0, 3], [2, 5], prior), [0.1, 0.1])


def test_no_failures_anywhere_is_a_zero_rate():
    prior = fit_beta_prior(np.zeros(5), np.full(5, 3))
    assert prior.mean == 0.0
    assert shrunk_rates(np.zeros(5), np.full(5, 3), prior).tolist() == [0.0] * 5


def test_few_audits_are_pulled_harder_towards_the_brand_rate():
    failures = np.array([0, 1, 5, 20, 1])
    audits = np.array([10, 2, 10, 40, 1])
    prior = fit_beta_prior(failures, audits)
    rates = shrunk_rates(failures, audits, prior)
    raw = failures / audits
    pull = np.abs(rates - raw) / np.abs(prior.mean - raw)
    assert pull[4] > pull[1] > pull[3]
    assert np.all((rates >= 0) & (rates <= 1))
