"""Randomized probability integral transform of count observations under sample draws."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sentinelle.scoring._arrays import FloatArray, validate


def randomized_pit(
    obs: npt.ArrayLike, draws: npt.ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Randomized probability integral transform of count observations.

    For discrete outcomes the PIT is drawn uniformly between ``F(y-)`` and ``F(y)``
    (Czado, Gneiting & Held 2009), so that a calibrated forecast gives uniform values
    even with the mass at zero that dominates fatality counts.
    """
    y, x = validate(obs, draws)
    below = (x < y[:, None]).mean(axis=1)
    at_or_below = (x <= y[:, None]).mean(axis=1)
    pit: FloatArray = below + rng.uniform(size=y.shape[0]) * (at_or_below - below)
    return pit
