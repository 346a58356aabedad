"""Interval score and coverage: a hand case and agreement with scoringrules."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.scoring import coverage, interval_bounds, interval_score, nonzero_coverage
from tests.scoring.draws import obs_and_draws


def test_interval_score_hand_case() -> None:
    # Draws 0 x10 and 10 x10: 5% quantile 0, 95% quantile 10.
    ens = [[0.0] * 10 + [10.0] * 10]
    assert interval_score([5.0], ens) == pytest.approx([10.0])
    assert interval_score([12.0], ens) == pytest.approx([10.0 + 20 * 2])
    assert coverage([5.0, 12.0], ens * 2) == pytest.approx([1.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(obs_and_draws(), st.sampled_from([0.1, 0.2, 0.5]))
def test_interval_score_matches_scoringrules(case: tuple, alpha: float) -> None:
    obs, ens = case
    lower, upper = interval_bounds(ens, alpha)
    np.testing.assert_allclose(
        interval_score(obs, ens, alpha), sr.interval_score(obs, lower, upper, alpha), rtol=1e-12
    )


def test_interval_bounds_use_linear_quantiles() -> None:
    lower, upper = interval_bounds(np.arange(21.0)[None, :], alpha=0.1)
    assert (lower[0], upper[0]) == pytest.approx((1.0, 19.0))
    with pytest.raises(ValueError):
        interval_bounds([[1.0]], alpha=1.0)


def test_nonzero_coverage_counts_only_months_with_deaths() -> None:
    # Draws 0..9 (90% interval [0.45, 8.55]): zeros fall below it, 3 inside, 20 above.
    ens = [list(range(10))] * 4
    obs = [0.0, 3.0, 20.0, 0.5]
    covered = coverage(obs, ens)
    assert covered.tolist() == [0.0, 1.0, 0.0, 1.0]
    # 0.5 is not a death: the months with deaths are the 3 (covered) and the 20 (missed).
    assert nonzero_coverage(obs, covered) == pytest.approx(0.5)
    # An interval from 0 covers every zero: high overall coverage, low on deaths.
    wide_zero = [[0.0] * 17 + [1.0] * 3] * 10  # 90% interval [0, 1]
    obs = [0.0] * 8 + [1.0, 40.0]
    covered = coverage(obs, wide_zero)
    assert covered.mean() == pytest.approx(0.9)
    assert nonzero_coverage(obs, covered) == pytest.approx(0.5)


def test_nonzero_coverage_is_nan_without_a_month_with_deaths() -> None:
    assert np.isnan(nonzero_coverage([0.0, 0.0], [1.0, 0.0]))
    assert np.isnan(nonzero_coverage([], []))
    with pytest.raises(ValueError, match="covered"):
        nonzero_coverage([1.0, 2.0], [1.0])
