import numpy as np
import pytest
from scipy.stats import false_discovery_control

from scoring.benchmark import benjamini_hochberg, change_tests


def step_up(p_values, q):
    """Benjamini-Hochberg by its definition: reject the k smallest, k the largest with
    p_(k) <= k q / m (the hand-written version this project used before SciPy's)."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    rejected = np.zeros(m, dtype=bool)
    order = np.argsort(p, kind="stable")
    below = p[order] <= q * np.arange(1, m + 1) / m
    if below.any():
        rejected[order[: int(np.nonzero(below)[0].max()) + 1]] = True
    return rejected


def test_benjamini_hochberg_small_example_by_hand():
    # m = 4. Sorted: 0.005, 0.01, 0.03, 0.04; m p_(k) / k = 0.02, 0.02, 0.04, 0.04, already
    # non-decreasing, so those are the adjusted p-values. At q = 0.03 the two smallest are
    # rejected (0.01 <= 2 * 0.03 / 4 = 0.015, 0.03 > 3 * 0.03 / 4 = 0.0225); at q = 0.04 all.
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert false_discovery_control(p, method="bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert benjamini_hochberg(p, 0.03).tolist() == [True, False, False, True]
    assert benjamini_hochberg(p, 0.04).tolist() == [True, True, True, True]
    assert benjamini_hochberg(p, 0.019).tolist() == [False] * 4


def test_benjamini_hochberg_rejects_a_p_value_on_its_threshold():
    # m = 4, q = 0.1: the smallest p-value's threshold is 0.025, and "<=" rejects it.
    assert benjamini_hochberg(np.array([0.025, 0.5, 0.6, 0.7]), 0.1).tolist() == [
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("q", [0.01, 0.05, 0.1, 0.2])
def test_benjamini_hochberg_agrees_with_the_step_up_definition(q):
    rng = np.random.default_rng(7)
    for m in [1, 2, 5, 30, 400]:
        for _ in range(20):
            # A mixture of true effects (tiny p-values) and nulls, with some ties.
            p = np.where(rng.random(m) < 0.3, rng.beta(0.2, 20, m), rng.random(m))
            p[rng.random(m) < 0.1] = p[0]
            assert benjamini_hochberg(p, q).tolist() == step_up(p, q).tolist()


def test_benjamini_hochberg_steps_up_past_a_failing_p_value():
    # m = 4, q = 0.1: thresholds 0.025, 0.05, 0.075, 0.1. The second p-value (0.06) misses its
    # threshold, but the third (0.07 <= 0.075) passes, so the three smallest are rejected.
    p = np.array([0.07, 0.9, 0.01, 0.06])
    assert benjamini_hochberg(p, 0.1).tolist() == [True, False, True, True]


def test_benjamini_hochberg_textbook_example():
    # m = 8, q = 0.05: thresholds k/160; only 0.001 <= 0.00625 and 0.008 <= 0.0125 pass.
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True] + [False] * 6


def test_benjamini_hochberg_rejects_nothing_without_evidence():
    assert not benjamini_hochberg(np.array([0.5, 0.2, 0.9]), 0.1).any()
    assert benjamini_hochberg(np.array([]), 0.1).size == 0


def test_change_is_a_z_test_on_the_difference_of_fair_scores():
    # 80 +- 3 now against 70 +- 4 before: z = 10 / 5 = 2, p = 0.0455; a change of 1 point with
    # the same errors has p = 0.841. With m = 2, 0.0455 <= 0.1 * 1/2 is rejected.
    current = {"a": (80.0, 3.0), "b": (71.0, 3.0), "new": (60.0, 1.0)}
    previous = {"a": (70.0, 4.0), "b": (70.0, 4.0), "gone": (50.0, 1.0)}
    result = change_tests(current, previous, q=0.1)
    assert set(result) == {"a", "b"}
    assert result["a"].change == pytest.approx(10.0)
    assert result["a"].p_value == pytest.approx(0.0455003, abs=1e-6)
    assert result["a"].significant
    assert result["b"].p_value == pytest.approx(0.8414806, abs=1e-6)
    assert not result["b"].significant


def test_no_change_is_never_significant_even_with_zero_error():
    result = change_tests({"a": (70.0, 0.0)}, {"a": (70.0, 0.0)})
    assert result["a"].p_value == 1.0
    assert not result["a"].significant
