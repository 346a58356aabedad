"""Ignorance (base-2 log) score of sample draws on the VIEWS challenge's fatality bins."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sentinelle.errors import UsageError
from sentinelle.scoring._arrays import FloatArray, row_chunks, validate

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
    y, x = validate(obs, draws)
    if np.any(y < 0) or np.any(x < 0):
        raise UsageError("ignorance score needs non-negative counts")
    inner = np.asarray(bin_edges[1:-1])
    n_bins = len(bin_edges) - 1
    obs_bin = np.searchsorted(inner, y, side="right")
    hits = np.zeros(y.shape[0], dtype=np.int64)
    for rows in row_chunks(y.shape[0]):
        draw_bin = np.searchsorted(inner, x[rows], side="right")
        hits[rows] = (draw_bin == obs_bin[rows, None]).sum(axis=1)
    prob = (hits + 1) / (x.shape[1] + n_bins)
    bits: FloatArray = -np.log2(prob)
    return bits
