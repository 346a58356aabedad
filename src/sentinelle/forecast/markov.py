"""A Markov model of conflict states: where units in a unit's state were ``h`` months later.

After Randahl & Vegelius's challenge entry, in a direct multi-step form. A unit's state
at month ``t`` is the pair (intensity class of its fatalities at ``t``, intensity class
of its largest month over the last 12), with classes ``0``, ``1-10``, ``11-100``,
``101-1000`` and ``> 1000``. For each horizon ``h`` the model counts, over every unit
and every month ``t`` with ``t + h`` at or before the origin, how often state ``s`` at
``t`` was followed by class ``c`` at ``t + h`` (plus half a count per cell, so no
transition has probability zero). A draw picks a class from the unit's state's row,
then a count in that class: one of the unit's own months in the class if it has at least
``min_own`` of them, otherwise one of all units' months in the class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sentinelle.errors import ForecastError
from sentinelle.forecast.base import History, RowForecaster, UnitRows, horizon_index
from sentinelle.forecast.features import trailing

__all__ = ["MarkovModel", "intensity_class"]

FloatArray = npt.NDArray[np.float64]
# Upper bounds of the intensity classes 0, 1-10, 11-100, 101-1000 (the last is open).
_EDGES = np.array([0.5, 10.5, 100.5, 1000.5])
N_CLASSES = _EDGES.size + 1
_MEMORY = 12
_PRIOR = 0.5


def intensity_class(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Class 0..4 of each count (``0``, ``1-10``, ``11-100``, ``101-1000``, ``> 1000``).

    Examples
    --------
    >>> intensity_class([0, 1, 10, 11, 5000]).tolist()
    [0, 1, 1, 2, 4]
    """
    return np.searchsorted(_EDGES, np.asarray(values, dtype=np.float64)).astype(np.int64)


class MarkovModel(RowForecaster):
    """Direct ``h``-step transitions between intensity states, sizes from observed months.

    Parameters
    ----------
    horizons : sequence of int
        Horizons the model is fitted for and can sample.
    min_own : int
        Months a unit needs in a class to draw sizes from its own months.
    """

    name = "markov"
    _transitions: FloatArray
    _state: npt.NDArray[np.int64]
    _own: list[list[FloatArray]]
    _pooled: list[FloatArray]

    def __init__(self, horizons: Sequence[int] = tuple(range(1, 37)), min_own: int = 5) -> None:
        self.horizons = np.asarray(sorted(set(horizons)), dtype=np.int64)
        self.min_own = min_own

    def _fit(self, history: History) -> None:
        y = history.y
        observed = np.isfinite(y)
        peak = trailing(y.T, _MEMORY, "max").T
        state = np.where(
            observed,
            intensity_class(np.nan_to_num(y)) * N_CLASSES + intensity_class(np.nan_to_num(peak)),
            -1,
        )
        n_states = N_CLASSES * N_CLASSES
        n_months = y.shape[1]
        self._transitions = np.full((self.horizons.size, n_states, N_CLASSES), _PRIOR)
        future_class = intensity_class(np.nan_to_num(y))
        for i, h in enumerate(self.horizons):
            if h >= n_months:
                continue
            before, after = state[:, : n_months - h], future_class[:, h:]
            valid = (before >= 0) & observed[:, h:]
            np.add.at(self._transitions[i], (before[valid], after[valid]), 1.0)
        self._transitions /= self._transitions.sum(axis=2, keepdims=True)
        if not observed[:, -1].any():
            raise ForecastError(f"no unit is observed at the origin month {history.origin}")
        # A unit unobserved at the origin starts from the quietest state.
        self._state = np.maximum(state[:, -1], 0)

        classes = np.where(observed, future_class, -1)
        values = np.nan_to_num(y)
        self._pooled = [values[classes == c] for c in range(N_CLASSES)]
        self._own = [
            [row[cls == c] for c in range(N_CLASSES)]
            for row, cls in zip(values, classes, strict=True)
        ]

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        steps = horizon_index(self.horizons, horizons)
        state = self._state[rows]
        units = np.arange(self._state.size)[rows]
        n_units = state.size
        draws = np.zeros((n_units, horizons.size, n_draws), dtype=np.int64)
        # Class per draw by inverse CDF on each unit's transition row.
        cdf = np.cumsum(self._transitions[steps][:, state], axis=2)  # [H, U, C]
        u = rng.uniform(size=(horizons.size, n_units, n_draws))
        chosen = (u[..., None] > cdf[:, :, None, :-1]).sum(axis=3).transpose(1, 0, 2)
        for row, unit in enumerate(units):
            for c in range(1, N_CLASSES):
                where = chosen[row] == c
                if not where.any():
                    continue
                own = self._own[unit][c]
                pool = own if own.size >= self.min_own else self._pooled[c]
                if pool.size == 0:  # a class nobody reached: its lower bound
                    pool = np.array([_EDGES[c - 1] + 0.5])
                draws[row][where] = rng.choice(pool, size=int(where.sum()))
        return draws
