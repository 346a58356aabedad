"""The binary event "at least ``EVENT_THRESHOLD`` fatalities": its probability under the
draws, the Brier score of that probability and the average precision of a ranking."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score

from sentinelle.errors import UsageError
from sentinelle.scoring._arrays import FloatArray, validate

EVENT_THRESHOLD = 25


def event_probability(draws: npt.ArrayLike, threshold: float = EVENT_THRESHOLD) -> FloatArray:
    """Share of each row's draws at or above ``threshold``."""
    x = np.asarray(draws, dtype=np.float64)
    share: FloatArray = (x >= threshold).mean(axis=-1)
    return share


def brier_score(
    obs: npt.ArrayLike, draws: npt.ArrayLike, threshold: float = EVENT_THRESHOLD
) -> FloatArray:
    """Brier score of the draws' probability of the event ``y >= threshold``."""
    y, x = validate(obs, draws)
    event = (y >= threshold).astype(np.float64)
    return (event_probability(x, threshold) - event) ** 2


def average_precision(event: npt.ArrayLike, prob: npt.ArrayLike) -> float:
    """Average precision of event probabilities (e.g. ``event_probability(draws)``).

    A ranking summary over all rows, not a per-row score, so it takes the probabilities
    rather than draws; NaN when no row has the event.

    Examples
    --------
    >>> average_precision([True, False, True], [0.9, 0.5, 0.1])
    0.8333333333333333
    """
    e = np.asarray(event, dtype=bool)
    p = np.asarray(prob, dtype=np.float64)
    if e.shape != p.shape or e.ndim != 1:
        raise UsageError(f"expected two (n,) arrays; got {e.shape} and {p.shape}")
    if not e.any():
        return float("nan")
    return float(average_precision_score(e, p))
