"""Analogue forecasts: what followed the past trajectories most like a unit's recent one.

The idea of the challenge's best entry (PaCE's ShapeFinder), in its simplest form. The
library holds every fully observed ``window``-month trajectory of every unit (on the
``log1p`` scale) whose next ``max(horizons)`` months are also at or before the origin.
A unit's analogues are the ``k`` library trajectories nearest to its last ``window``
months (Euclidean distance; every trajectory tied with the ``k``-th is kept, so a quiet
unit draws from all quiet spells, not from an arbitrary few). A draw picks an analogue
at random and takes its value ``h`` months after the trajectory, shifted by the
difference of the two trajectories' mean levels (on the ``log1p`` scale): the shape of
what followed, at the unit's own level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sentinelle.errors import ForecastError, UsageError
from sentinelle.forecast.base import History, RowForecaster, UnitRows, horizon_index

__all__ = ["AnalogueModel"]

FloatArray = npt.NDArray[np.float64]
# Squared distances this close count as ties (rounding of the dot-product form).
_TIE = 1e-6
# Units whose distances to the library are computed at once (bounds the memory).
_ROWS = 16


class AnalogueModel(RowForecaster):
    """Draws from what followed the ``k`` nearest past trajectories of ``window`` months.

    Parameters
    ----------
    horizons : sequence of int
        Horizons the model can sample; library trajectories need all of them observed.
    window : int
        Months in a trajectory.
    k : int
        Analogues per unit (more when trajectories tie with the ``k``-th).
    """

    name = "analogue"
    _neighbours: list[npt.NDArray[np.int32]]
    _shift: FloatArray
    _futures: FloatArray

    def __init__(
        self, horizons: Sequence[int] = tuple(range(1, 37)), window: int = 12, k: int = 50
    ):
        if window < 1 or k < 1:
            raise UsageError("window and k must be >= 1")
        self.horizons = np.asarray(sorted(set(horizons)), dtype=np.int64)
        self.window = window
        self.k = k

    def _fit(self, history: History) -> None:
        logged = np.log1p(history.y)
        n_months = logged.shape[1]
        reach = int(self.horizons.max())
        ends = np.arange(self.window - 1, n_months - reach)
        if ends.size == 0:
            raise ForecastError(f"history before month {history.origin} is too short for analogues")
        # Trajectories [unit, end, month-in-window] and what followed [unit, end, horizon].
        offsets = np.arange(-self.window + 1, 1)
        shapes = logged[:, ends[:, None] + offsets]
        futures = logged[:, ends[:, None] + self.horizons]
        usable = np.isfinite(shapes).all(axis=2) & np.isfinite(futures).all(axis=2)
        if not usable.any():
            raise ForecastError(f"no fully observed trajectory before month {history.origin}")
        library = shapes[usable]
        levels = library.mean(axis=1)
        self._futures = futures[usable] - levels[:, None]

        current = logged[:, -self.window :]
        # A unit with unobserved recent months is matched on its observed ones as zeros.
        current = np.nan_to_num(current, nan=0.0)
        self._shift = current.mean(axis=1)
        # Units with the same recent trajectory (at PRIO-GRID scale, the thousands of
        # quiet cells) share one search and one array of analogues.
        distinct, inverse = np.unique(current, axis=0, return_inverse=True)
        found = self._nearest(library, distinct)
        self._neighbours = [found[i] for i in inverse.ravel()]

    def _nearest(self, library: FloatArray, rows: FloatArray) -> list[npt.NDArray[np.int32]]:
        """Per row, the library trajectories at most as far from it as its k-th nearest.

        The all-zero trajectories (most of a PRIO-GRID library) are one point: their
        common distance is computed once and counted as many times as they occur.
        """
        k = min(self.k, library.shape[0]) - 1
        zero = ~library.any(axis=1)
        n_zero = int(zero.sum())
        zeros = np.flatnonzero(zero).astype(np.int32)
        others = np.flatnonzero(~zero).astype(np.int32)
        # The zero trajectory, if any, as the first candidate; the others after it.
        candidates = np.concatenate([np.zeros((1, library.shape[1])), library[others]])
        if n_zero == 0:
            candidates = candidates[1:]
        norms = (candidates**2).sum(axis=1)
        nearest: list[npt.NDArray[np.int32]] = []
        for start in range(0, rows.shape[0], _ROWS):
            block = rows[start : start + _ROWS]
            distance = norms - 2.0 * block @ candidates.T + (block**2).sum(axis=1)[:, None]
            if n_zero == 0:
                threshold = np.partition(distance, k, axis=1)[:, k]
                for d, t in zip(distance, threshold, strict=True):
                    nearest.append(others[d <= t + _TIE])
                continue
            for d in distance:
                kth = _kth_with_repeats(d[1:], float(d[0]), n_zero, k)
                chosen = others[d[1:] <= kth + _TIE]
                if d[0] <= kth + _TIE:
                    chosen = np.sort(np.concatenate([zeros, chosen]))
                nearest.append(chosen)
        return nearest

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        columns = horizon_index(self.horizons, horizons)
        units = np.arange(len(self._neighbours))[rows]
        draws = np.empty((units.size, horizons.size, n_draws), dtype=np.int64)
        for row, unit in enumerate(units):
            neighbours = self._neighbours[unit]
            picked = neighbours[rng.integers(0, neighbours.size, size=(horizons.size, n_draws))]
            values = self._futures[picked, columns[:, None]] + self._shift[unit]
            draws[row] = np.rint(np.expm1(np.maximum(values, 0.0)))
        return draws


def _kth_with_repeats(distance: FloatArray, repeated: float, count: int, k: int) -> float:
    """The ``k``-th smallest (from 0) of ``distance`` with ``repeated`` added ``count`` times."""
    below = int((distance < repeated).sum())
    if k < below:
        return float(np.partition(distance, k)[k])
    if k < below + count:
        return repeated
    return float(np.partition(distance, k - count)[k - count])
