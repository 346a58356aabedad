"""Ignorance score: hand cases, the challenge's implementation and scoringrules' log score."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import scoringrules as sr
from hypothesis import given, settings

from sentinelle.scoring import IGN_BIN_EDGES, ignorance_score
from tests.scoring.draws import obs_and_draws


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
