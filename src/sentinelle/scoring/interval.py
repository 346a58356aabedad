"""Interval score (MIS when averaged) and coverage of the central interval of sample draws,
and that coverage on the rows with at least one death (:func:`nonzero_coverage`)."""

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


# Observations at or above this count are the "months with deaths" of ``nonzero_coverage``.
NONZERO_AT_LEAST = 1.0


def nonzero_coverage(obs: npt.ArrayLike, covered: npt.ArrayLike) -> float:
    """Mean coverage over the rows whose observation is at least one death.

    Most country-months have no deaths, and an interval whose lower end is 0 covers
    every one of them: the overall mean of :func:`coverage` can look comfortable while
    the months with deaths are missed. This is the mean over those months only.

    Parameters
    ----------
    obs : array_like, shape (n,)
        Observations.
    covered : array_like, shape (n,)
        Per-row coverage (1.0 or 0.0), as :func:`coverage` returns it.

    Returns
    -------
    float
        Share of the rows with ``obs >= NONZERO_AT_LEAST`` that are covered; NaN when
        no row has a death (the share of nothing is not a number).

    Examples
    --------
    >>> nonzero_coverage([0.0, 0.0, 3.0, 7.0], [1.0, 1.0, 1.0, 0.0])
    0.5
    >>> nonzero_coverage([0.0, 0.0], [1.0, 1.0])
    nan
    """
    y = np.asarray(obs, dtype=np.float64)
    c = np.asarray(covered, dtype=np.float64)
    if y.ndim != 1 or y.shape != c.shape:
        raise UsageError(f"expected obs (n,) and covered (n,); got {y.shape} and {c.shape}")
    deaths = y >= NONZERO_AT_LEAST
    if not deaths.any():
        return float("nan")
    return float(c[deaths].mean())
