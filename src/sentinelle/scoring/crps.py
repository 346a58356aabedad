"""Continuous ranked probability score of sample draws, and the ``E|X - Z|`` it is built of."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scoringrules as sr

from sentinelle.errors import UsageError
from sentinelle.scoring._arrays import FloatArray, row_chunks, validate


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
    y, x = validate(obs, draws)
    out = np.empty(y.shape[0])
    for rows in row_chunks(y.shape[0]):
        # "qd" is scoringrules' exact form of the empirical-distribution CRPS, the one
        # properscoring and xskillscore compute.
        out[rows] = sr.crps_ensemble(y[rows], x[rows], estimator="qd")
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
        raise UsageError(f"expected (n, m) and (n, k) arrays; got {xa.shape} and {za.shape}")
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
    mean: FloatArray = dist.mean(axis=1) / k
    return mean
