"""Interval score and coverage: a hand case and agreement with scoringrules."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.scoring import coverage, interval_bounds, interval_score
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
