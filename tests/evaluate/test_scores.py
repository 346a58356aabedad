"""Scoring rules: hand-computable cases and agreement with properscoring / scoringrules."""

from __future__ import annotations

from collections import Counter

import numpy as np
import properscoring as ps
import pytest
import scoringrules as sr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sentinelle.evaluate import scores
from sentinelle.evaluate.scores import (
    IGN_BIN_EDGES,
    average_precision,
    brier_score,
    coverage,
    crps_ensemble,
    event_probability,
    expected_abs_difference,
    ignorance_score,
    interval_bounds,
    interval_score,
    randomized_pit,
)

counts = st.integers(min_value=0, max_value=3000)


@st.composite
def obs_and_draws(draw: st.DrawFn, max_rows: int = 6, max_members: int = 25) -> tuple:
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_members))
    obs = draw(arrays(np.int64, n, elements=counts))
    ens = draw(arrays(np.int64, (n, m), elements=counts))
    return obs.astype(float), ens.astype(float)


# --- CRPS -------------------------------------------------------------------


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


def test_crps_chunking_does_not_change_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    obs = rng.poisson(5, 11).astype(float)
    ens = rng.poisson(5, (11, 30)).astype(float)
    whole_crps, whole_ign = crps_ensemble(obs, ens), ignorance_score(obs, ens)
    monkeypatch.setattr(scores, "_CHUNK_ROWS", 3)
    np.testing.assert_array_equal(crps_ensemble(obs, ens), whole_crps)
    np.testing.assert_array_equal(ignorance_score(obs, ens), whole_ign)


def test_scores_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="expected obs"):
        crps_ensemble([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="at least one member"):
        crps_ensemble([1.0], np.zeros((1, 0)))


# --- expected |X - Z| --------------------------------------------------------


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


# --- Ignorance ----------------------------------------------------------------


def views_reference_ignorance(obs: np.ndarray, ens: np.ndarray) -> np.ndarray:
    """The challenge's ensemble_ignorance_score, restated as a plain loop.

    prio-data/prediction_competition_2023, evaluation/IgnoranceScore.py: bin with
    ``np.digitize(x, bins) - 1`` on the edges 0 ... 1000.5, append one member of each bin
    to every ensemble, and take ``-log2(count / n)`` of the observed bin.
    """
    edges = list(IGN_BIN_EDGES[:-1])
    out = np.empty(obs.size)
    for i in range(obs.size):
        binned = list(np.digitize(ens[i], edges) - 1) + list(range(len(edges)))
        observed = int(np.digitize(obs[i], edges) - 1)
        out[i] = -np.log2(Counter(binned)[observed] / len(binned))
    return out


def test_ignorance_hand_cases() -> None:
    # 9 zero draws, 11 bins: P(bin 0) = (9 + 1) / (9 + 11) = 1/2 -> 1 bit.
    assert ignorance_score([0], [[0] * 9]) == pytest.approx([1.0])
    # Observed 30 (bin 26-50) that no draw hit: 1 / 20.
    assert ignorance_score([30], [[0] * 9]) == pytest.approx([np.log2(20)])
    # 1 and 2 share a bin, 3 starts the next; above 1000 is one open bin.
    assert ignorance_score([2], [[1] * 9]) == pytest.approx([-np.log2(10 / 20)])
    assert ignorance_score([3], [[1] * 9]) == pytest.approx([np.log2(20)])
    assert ignorance_score([5000], [[1001] * 9]) == pytest.approx([1.0])


@settings(max_examples=60, deadline=None)
@given(obs_and_draws())
def test_ignorance_matches_the_challenge_implementation(case: tuple) -> None:
    obs, ens = case
    np.testing.assert_allclose(ignorance_score(obs, ens), views_reference_ignorance(obs, ens))


def test_ignorance_is_the_log_score_of_the_smoothed_bin_probability() -> None:
    rng = np.random.default_rng(4)
    obs = rng.negative_binomial(0.5, 0.02, 30).astype(float)
    ens = rng.negative_binomial(0.5, 0.02, (30, 200)).astype(float)
    inner = np.asarray(IGN_BIN_EDGES[1:-1])
    hits = (
        np.searchsorted(inner, ens, side="right") == np.searchsorted(inner, obs, "right")[:, None]
    )
    prob = (hits.sum(axis=1) + 1) / (200 + 11)
    # scoringrules' log score is in nats: ignorance (bits) = LS / ln 2.
    np.testing.assert_allclose(
        ignorance_score(obs, ens), sr.log_score(np.ones(30), prob) / np.log(2), rtol=1e-12
    )


def test_ignorance_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        ignorance_score([-1], [[0, 1]])


# --- Interval score and coverage -----------------------------------------------


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


# --- Event probability, Brier and AP -------------------------------------------------


def test_brier_and_event_probability() -> None:
    ens = [[0, 10, 25, 100], [0, 0, 0, 0]]
    np.testing.assert_allclose(event_probability(ens), [0.5, 0.0])
    np.testing.assert_allclose(brier_score([30, 30], ens), [0.25, 1.0])
    np.testing.assert_allclose(
        brier_score([30, 0], ens), sr.brier_score(np.array([1.0, 0.0]), np.array([0.5, 0.0]))
    )


def test_average_precision_hand_case() -> None:
    # Ranked 0.9 (event), 0.5 (no), 0.1 (event): precision 1 at recall 1/2, 2/3 at 1.
    assert average_precision([True, False, True], [0.9, 0.5, 0.1]) == pytest.approx(5 / 6)
    assert np.isnan(average_precision([False, False], [0.3, 0.2]))


# --- Randomized PIT ---------------------------------------------------------------------


def test_randomized_pit_lies_between_the_cdf_steps() -> None:
    rng = np.random.default_rng(5)
    ens = np.array([[0, 0, 1, 3]] * 3)
    pit = randomized_pit([0, 1, 5], ens, rng)
    assert 0 <= pit[0] <= 0.5
    assert 0.5 <= pit[1] <= 0.75
    assert pit[2] == 1.0


def test_randomized_pit_is_uniform_for_a_calibrated_count_forecast() -> None:
    rng = np.random.default_rng(6)
    mean = rng.choice([0.05, 0.5, 3.0, 40.0], 4000)
    obs = rng.poisson(mean)
    ens = rng.poisson(mean[:, None], (4000, 2000))
    histogram = np.histogram(randomized_pit(obs, ens, rng), bins=10, range=(0, 1))[0]
    # Each decile holds ~400 of the 4000 values despite 60% zeros.
    assert histogram.min() > 320
    assert histogram.max() < 480
