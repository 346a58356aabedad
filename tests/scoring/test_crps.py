"""CRPS and E|X - Z|: hand-computable cases and agreement with properscoring / scoringrules."""

from __future__ import annotations

import numpy as np
import properscoring as ps
import pytest
import scoringrules as sr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sentinelle.scoring import crps_ensemble, expected_abs_difference
from tests.scoring.draws import counts, obs_and_draws


def test_crps_hand_cases() -> None:
    # One member at c: |c - y|. Two members {0, 2} at y = 0: E|X-y| = 1, E|X-X'| = 1.
    assert crps_ensemble([3.0, 0.0], [[7.0], [0.0]]) == pytest.approx([4.0, 0.0])
    assert crps_ensemble([0.0], [[0.0, 2.0]]) == pytest.approx([0.5])
    # All-zero forecast of a count y scores y: the "zero" benchmark's CRPS is the mean count.
    assert crps_ensemble([5.0, 120.0], np.zeros((2, 1000))) == pytest.approx([5.0, 120.0])


@settings(max_examples=60, deadline=None)
@given(obs_and_draws())
def test_crps_matches_properscoring_and_scoringrules(case: tuple) -> None:
    obs, ens = case
    ours = crps_ensemble(obs, ens)
    np.testing.assert_allclose(ours, ps.crps_ensemble(obs, ens), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(
        ours, sr.crps_ensemble(obs, ens, estimator="nrg"), rtol=1e-10, atol=1e-9
    )


def test_crps_on_challenge_sized_draws_matches_properscoring() -> None:
    rng = np.random.default_rng(1)
    obs = rng.negative_binomial(0.3, 0.01, 40).astype(float)
    ens = rng.negative_binomial(0.3, 0.01, (40, 1000)).astype(float)
    # properscoring's vectorised form is O(m^2) in memory: go row by row.
    reference = np.array([ps.crps_ensemble(obs[i], ens[i]) for i in range(40)])
    np.testing.assert_allclose(crps_ensemble(obs, ens), reference, rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_expected_abs_difference_matches_brute_force(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    x = data.draw(arrays(np.int64, (n, data.draw(st.integers(1, 20))), elements=counts))
    z = data.draw(arrays(np.int64, (n, data.draw(st.integers(1, 20))), elements=counts))
    brute = np.abs(x[:, :, None] - z[:, None, :]).mean(axis=(1, 2))
    np.testing.assert_allclose(expected_abs_difference(x, z), brute, rtol=1e-12, atol=1e-9)


def test_expected_abs_difference_with_disjoint_ranges_across_rows() -> None:
    # Each row's x far above every z: rows must not leak into each other's ranges.
    x = np.array([[1000.0, 1000.0], [5.0, 7.0], [0.0, 0.0]])
    z = np.array([[0.0, 50.0], [3000.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(expected_abs_difference(x, z), [975.0, 1499.5, 0.0])


def test_expected_abs_difference_gives_crps_of_a_mixture() -> None:
    # CRPS(mixture) = sum w_k E|X_k - y| - 1/2 sum w_k w_l E|X_k - X_l|; with equal
    # weights and equal sizes the mixture is the concatenated ensemble.
    rng = np.random.default_rng(3)
    y = rng.poisson(20, 8).astype(float)
    a = rng.poisson(10, (8, 50)).astype(float)
    b = rng.negative_binomial(1, 0.05, (8, 50)).astype(float)
    err = [expected_abs_difference(d, y[:, None]) for d in (a, b)]
    spread = [[expected_abs_difference(p, q) for q in (a, b)] for p in (a, b)]
    mixture = 0.5 * (err[0] + err[1]) - 0.125 * (
        spread[0][0] + spread[1][1] + spread[0][1] + spread[1][0]
    )
    np.testing.assert_allclose(mixture, crps_ensemble(y, np.hstack([a, b])), rtol=1e-10)
