"""Interval score (MIS when averaged) and coverage of the central interval of sample draws."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sentinelle.errors import UsageError
from sentinelle.scoring._arrays import FloatArray, validate


def interval_bounds(draws: npt.ArrayLike, alpha: float = 0.1) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of the central ``1 - alpha`` interval of each row's draws.

    Quantiles use NumPy's default (linear) interpolation, as the challenge code does.
    """
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}")
    x = np.asarray(draws, dtype=np.float64)
    bounds = np.quantile(x, [alpha / 2, 1 - alpha / 2], axis=-1)
    return bounds[0], bounds[1]


def interval_score(obs: npt.ArrayLike, draws: npt.ArrayLike, alpha: float = 0.1) -> FloatArray:
    """Interval score of the central ``1 - alpha`` draw interval (MIS when averaged).

    Parameters
    ----------
    obs : array_like, shape (n,)
        Observations.
    draws : array_like, shape (n, m)
        Sample draws.
    alpha : float
        Miscoverage level; 0.1 gives the challenge's 90% interval.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``(u - l) + 2/alpha * (l - y) 1{y < l} + 2/alpha * (y - u) 1{y > u}``.

    Examples
    --------
    >>> interval_score([12.0], [[0.0] * 10 + [10.0] * 10])
    array([50.])
    """
    y, x = validate(obs, draws)
    lower, upper = interval_bounds(x, alpha)
    below = np.clip(lower - y, 0, None)
    above = np.clip(y - upper, 0, None)
    return (upper - lower) + (2 / alpha) * (below + above)


def coverage(obs: npt.ArrayLike, draws: npt.ArrayLike, alpha: float = 0.1) -> FloatArray:
    """1.0 where the observation lies inside the central ``1 - alpha`` draw interval, else 0.0."""
    y, x = validate(obs, draws)
    lower, upper = interval_bounds(x, alpha)
    return ((y >= lower) & (y <= upper)).astype(np.float64)
