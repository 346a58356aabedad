"""Randomized PIT of count observations."""

from __future__ import annotations

import numpy as np

from sentinelle.scoring import randomized_pit


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
