import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from scoring.benchmark import percentile_intervals, percentiles
from scoring.benchmark.ranking import quartiles, ranks


def test_percentiles_run_from_bottom_to_top_with_ties_counting_half():
    np.testing.assert_allclose(percentiles(np.array([3.0, 1.0, 2.0])), [100.0, 0.0, 50.0])
    np.testing.assert_allclose(percentiles(np.array([1.0, 2.0, 2.0])), [0.0, 75.0, 75.0])
    assert percentiles(np.array([5.0])).tolist() == [50.0]


def test_ranks_put_the_best_first_and_break_ties_by_id():
    assert ranks(np.array([1.0, 3.0, 3.0]), ["c", "b", "a"]).tolist() == [3, 2, 1]


def test_quartiles_of_the_peer_distribution():
    q = quartiles(np.arange(1.0, 6.0))
    assert (q.min, q.q1, q.median, q.q3, q.max) == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert quartiles(np.array([])) is None


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=2, max_value=30),
    st.floats(min_value=0.01, max_value=5.0),
    st.integers(min_value=0, max_value=10_000),
)
def test_percentile_interval_contains_the_point_percentile(units, spread, seed):
    rng = np.random.default_rng(seed)
    point = rng.normal(0, 1, units)
    draws = point[:, None] + spread * rng.standard_normal((units, 200))
    pct = percentiles(point)
    low, high = percentile_intervals(draws, pct, 0.9)
    assert np.all((low <= pct) & (pct <= high))
    assert np.all((low >= 0) & (high <= 100))


def test_precise_estimates_give_narrow_percentile_intervals():
    rng = np.random.default_rng(0)
    point = np.linspace(0, 10, 11)
    pct = percentiles(point)
    narrow = percentile_intervals(point[:, None] + 0.01 * rng.standard_normal((11, 500)), pct)
    wide = percentile_intervals(point[:, None] + 5.0 * rng.standard_normal((11, 500)), pct)
    assert np.all(narrow[1] - narrow[0] < 1e-9)
    assert np.mean(wide[1] - wide[0]) > 30


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=2, max_value=40),
    st.integers(min_value=1, max_value=60),
    st.booleans(),
    st.integers(min_value=0, max_value=10_000),
)
def test_percentile_intervals_match_ranking_every_draw_with_rankdata(units, draws, ties, seed):
    # The fast path (argsort and scatter) must give what ranking each draw with ties counting
    # half gives; rounded draws exercise the tie fallback.
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, (units, draws))
    if ties:
        values = np.round(values, 0)
    point = percentiles(values.mean(axis=1))
    pct = (rankdata(values, axis=0) - 1.0) / (units - 1) * 100.0
    low, high = np.quantile(pct, [0.05, 0.95], axis=1)
    got_low, got_high = percentile_intervals(values, point, 0.9)
    np.testing.assert_allclose(got_low, np.minimum(low, point), atol=1e-9)
    np.testing.assert_allclose(got_high, np.maximum(high, point), atol=1e-9)
