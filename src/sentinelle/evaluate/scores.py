"""Scoring rules for sample (ensemble) forecasts of fatality counts.

Every function takes observations of shape ``(n,)`` and draws of shape ``(n, m)`` (one
row of ``m`` sample draws per unit-month) and returns one score per row, so that
callers can average over whatever grouping they need. The conventions are those of the
VIEWS 2023/24 prediction challenge (Hegre et al. 2025):

- CRPS on raw counts, with the empirical distribution of the draws (the ``qd`` /
  ``nrg`` form, identical to ``properscoring.crps_ensemble`` and to the
  ``xskillscore.crps_ensemble`` the challenge used; not the "fair" estimator);
- ignorance score (base-2 log score) on the fatality bins ``IGN_BIN_EDGES``, with one
  pseudo-draw added to every bin so that no bin has probability zero;
- mean interval score (MIS) of the central ``1 - alpha`` interval given by the draws'
  quantiles (NumPy's default linear interpolation, as in the challenge code);
- coverage of that interval, and Brier score / average precision for the event
  "at least ``EVENT_THRESHOLD`` fatalities".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scoringrules as sr
from sklearn.metrics import average_precision_score

__all__ = [
    "EVENT_THRESHOLD",
    "IGN_BIN_EDGES",
    "average_precision",
    "brier_score",
    "coverage",
    "crps_ensemble",
    "event_probability",
    "expected_abs_difference",
    "ignorance_score",
    "interval_bounds",
    "interval_score",
    "randomized_pit",
]

FloatArray = npt.NDArray[np.float64]

# Bin edges of the challenge's ignorance score: bins [0, 0.5), [0.5, 2.5), ...,
# [1000.5, inf), i.e. 0, 1-2, 3-5, 6-10, 11-25, 26-50, 51-100, 101-250, 251-500,
# 501-1000 and more than 1000 fatalities.
IGN_BIN_EDGES: tuple[float, ...] = (
    0.0,
    0.5,
    2.5,
    5.5,
    10.5,
    25.5,
    50.5,
    100.5,
    250.5,
    500.5,
    1000.5,
    np.inf,
)

EVENT_THRESHOLD = 25

# Rows scored per chunk: bounds the memory of the sorted copy scoringrules makes
# (rows x draws float64) for PRIO-GRID-sized inputs.
_CHUNK_ROWS = 20_000


def _validate(obs: npt.ArrayLike, draws: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return ``obs`` as ``(n,)`` and ``draws`` as ``(n, m)`` float arrays, checking shapes."""
    y = np.asarray(obs, dtype=np.float64)
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"expected obs (n,) and draws (n, m); got {y.shape} and {x.shape}")
    if x.shape[1] == 0:
        raise ValueError("draws must have at least one member per row")
    return y, x


def crps_ensemble(obs: npt.ArrayLike, draws: npt.ArrayLike) -> FloatArray:
    """Continuous ranked probability score of each row's empirical draw distribution.

    Parameters
    ----------
    obs : array_like, shape (n,)
        Observed counts.
    draws : array_like, shape (n, m)
        Sample draws, one row per observation.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``E|X - y| - E|X - X'| / 2`` under the empirical distribution of the draws.

    Examples
    --------
    >>> crps_ensemble([0.0], [[0.0, 2.0]])
    array([0.5])
    """
    y, x = _validate(obs, draws)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], _CHUNK_ROWS):
        stop = start + _CHUNK_ROWS
        # "qd" is scoringrules' exact form of the empirical-distribution CRPS, the one
        # properscoring and xskillscore compute.
        out[start:stop] = sr.crps_ensemble(y[start:stop], x[start:stop], estimator="qd")
    return out


def expected_abs_difference(x: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """``E|X - Z|`` for independent draws from two ensembles, row by row.

    With ``x = draws`` and ``z = obs[:, None]`` this is the first term of the CRPS; with
    two models' draws it is the cross term of the CRPS of their mixture, which is
    ``sum_k w_k E|X_k - y| - 1/2 sum_kl w_k w_l E|X_k - X_l|``. Exact, in
    ``O(m log m)`` per row: each ``x`` is placed among the sorted ``z`` and the
    distances to the ``z`` below and above it come from prefix sums.

    Parameters
    ----------
    x : array_like, shape (n, m)
    z : array_like, shape (n, k)

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> expected_abs_difference([[0.0, 2.0]], [[1.0]])
    array([1.])
    """
    xa = np.asarray(x, dtype=np.float64)
    za = np.sort(np.asarray(z, dtype=np.float64), axis=1)
    if xa.ndim != 2 or za.ndim != 2 or xa.shape[0] != za.shape[0]:
        raise ValueError(f"expected (n, m) and (n, k) arrays; got {xa.shape} and {za.shape}")
    n, k = za.shape
    # Shift every row into its own disjoint value range so that one flat searchsorted
    # places each x among the z of its own row only.
    base = min(xa.min(initial=0.0), za.min(initial=0.0))
    span = max(xa.max(initial=0.0), za.max(initial=0.0)) - base + 1.0
    offset = (np.arange(n) * span)[:, None] - base
    flat_z = (za + offset).ravel()
    position = np.searchsorted(flat_z, (xa + offset).ravel(), side="right").reshape(xa.shape)
    below = position - (np.arange(n) * k)[:, None]
    prefix = np.concatenate([np.zeros((n, 1)), np.cumsum(za, axis=1)], axis=1)
    sum_below = np.take_along_axis(prefix, below, axis=1)
    total = prefix[:, -1:]
    dist = xa * below - sum_below + (total - sum_below) - xa * (k - below)
    return dist.mean(axis=1) / k


def ignorance_score(
    obs: npt.ArrayLike,
    draws: npt.ArrayLike,
    bin_edges: tuple[float, ...] = IGN_BIN_EDGES,
) -> FloatArray:
    """Ignorance (base-2 log) score of the binned draw distribution, VIEWS-style.

    The probability of the observed bin is ``(k + 1) / (m + B)`` where ``k`` of the
    ``m`` draws fall in that bin and ``B`` is the number of bins: like the challenge's
    ``ensemble_ignorance_score`` (prio-data/prediction_competition_2023,
    ``evaluation/IgnoranceScore.py``), which appends one pseudo-draw per bin to every
    ensemble so that an unforecast bin costs a finite ``log2(m + B)`` bits. The score
    therefore depends on the ensemble size: compare models with equal ``m``.

    Parameters
    ----------
    obs : array_like, shape (n,)
        Observed non-negative counts.
    draws : array_like, shape (n, m)
        Sample draws, one row per observation.
    bin_edges : tuple of float
        Increasing bin edges starting at 0 and ending at ``inf``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``-log2`` of the smoothed probability of the observed bin.

    Examples
    --------
    With 9 zero draws and 11 bins, an observed 0 has probability (9 + 1) / (9 + 11):

    >>> ignorance_score([0], [[0] * 9])
    array([1.])
    """
    y, x = _validate(obs, draws)
    if np.any(y < 0) or np.any(x < 0):
        raise ValueError("ignorance score needs non-negative counts")
    inner = np.asarray(bin_edges[1:-1])
    n_bins = len(bin_edges) - 1
    obs_bin = np.searchsorted(inner, y, side="right")
    hits = np.zeros(y.shape[0], dtype=np.int64)
    for start in range(0, y.shape[0], _CHUNK_ROWS):
        stop = start + _CHUNK_ROWS
        draw_bin = np.searchsorted(inner, x[start:stop], side="right")
        hits[start:stop] = (draw_bin == obs_bin[start:stop, None]).sum(axis=1)
    prob = (hits + 1) / (x.shape[1] + n_bins)
    return -np.log2(prob)


def interval_bounds(draws: npt.ArrayLike, alpha: float = 0.1) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of the central ``1 - alpha`` interval of each row's draws.

    Quantiles use NumPy's default (linear) interpolation, as the challenge code does.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
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
    y, x = _validate(obs, draws)
    lower, upper = interval_bounds(x, alpha)
    below = np.clip(lower - y, 0, None)
    above = np.clip(y - upper, 0, None)
    return (upper - lower) + (2 / alpha) * (below + above)


def coverage(obs: npt.ArrayLike, draws: npt.ArrayLike, alpha: float = 0.1) -> FloatArray:
    """1.0 where the observation lies inside the central ``1 - alpha`` draw interval, else 0.0."""
    y, x = _validate(obs, draws)
    lower, upper = interval_bounds(x, alpha)
    return ((y >= lower) & (y <= upper)).astype(np.float64)


def event_probability(draws: npt.ArrayLike, threshold: float = EVENT_THRESHOLD) -> FloatArray:
    """Share of each row's draws at or above ``threshold``."""
    x = np.asarray(draws, dtype=np.float64)
    return (x >= threshold).mean(axis=-1)


def brier_score(
    obs: npt.ArrayLike, draws: npt.ArrayLike, threshold: float = EVENT_THRESHOLD
) -> FloatArray:
    """Brier score of the draws' probability of the event ``y >= threshold``."""
    y, x = _validate(obs, draws)
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
        raise ValueError(f"expected two (n,) arrays; got {e.shape} and {p.shape}")
    if not e.any():
        return float("nan")
    return float(average_precision_score(e, p))


def randomized_pit(
    obs: npt.ArrayLike, draws: npt.ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Randomized probability integral transform of count observations.

    For discrete outcomes the PIT is drawn uniformly between ``F(y-)`` and ``F(y)``
    (Czado, Gneiting & Held 2009), so that a calibrated forecast gives uniform values
    even with the mass at zero that dominates fatality counts.
    """
    y, x = _validate(obs, draws)
    below = (x < y[:, None]).mean(axis=1)
    at_or_below = (x <= y[:, None]).mean(axis=1)
    return below + rng.uniform(size=y.shape[0]) * (at_or_below - below)
