"""The VIEWS 2023/24 prediction challenge's benchmark models, reimplemented.

- ``zero``: every draw is 0.
- ``last``: Poisson draws around the unit's value at the origin month.
- ``conflictology``: draws from the unit's own last 12 months.
- ``boot_240``: draws from the pooled values of all units over the last 240 months.

They mirror the challenge's benchmark files (``views-cm/benchmarks``), which are
made the same way. Our panels may hold less history than the challenge's (the VIEWS cm
files used here reach back to February 2016 only), in which case ``boot_240`` pools
every month available.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sentinelle.errors import ForecastError
from sentinelle.forecast.base import Forecaster, History, RowForecaster, UnitRows

__all__ = ["Boot240Model", "ConflictologyModel", "LastModel", "ZeroModel"]


class ZeroModel(Forecaster):
    """All draws are zero: the challenge's ``zero`` benchmark."""

    name = "zero"

    def _fit(self, history: History) -> None:
        """Nothing to estimate."""

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        return np.zeros((self.history.unit_ids.size, horizons.size, n_draws), dtype=np.int64)


class LastModel(Forecaster):
    """Poisson draws with mean equal to the unit's value at the origin month."""

    name = "last"
    _rate: npt.NDArray[np.float64]

    def _fit(self, history: History) -> None:
        # A unit with no value at the origin (a gap in the panel) gets rate 0, as the
        # challenge's benchmark clips non-positive values to 0.
        self._rate = np.nan_to_num(history.y[:, -1], nan=0.0)

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        shape = (self._rate.size, horizons.size, n_draws)
        return rng.poisson(np.broadcast_to(self._rate[:, None, None], shape))


class ConflictologyModel(RowForecaster):
    """Draws from the unit's last ``window`` monthly values, equally often each.

    Parameters
    ----------
    window : int
        Months of history the draws come from (12 in the challenge).
    """

    name = "conflictology"
    _pool: npt.NDArray[np.float64]

    def __init__(self, window: int = 12) -> None:
        self.window = window

    def _fit(self, history: History) -> None:
        self._pool = history.recent(self.window)

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        pool = self._pool[rows]
        n_units, width = pool.shape
        # Cycle through the window from a random start per unit-month, so that each
        # past month is used floor or ceil(n_draws / width) times: the challenge file's
        # "one draw per past month", at any ensemble size, without resampling noise.
        start = rng.integers(0, width, size=(n_units, horizons.size, 1))
        idx = (start + np.arange(n_draws)) % width
        draws = np.take_along_axis(
            np.broadcast_to(pool[:, None, :], (n_units, horizons.size, width)), idx, axis=2
        )
        # Missing months (panel gaps) count as no fatalities.
        return np.nan_to_num(draws, nan=0.0).astype(np.int64)


class Boot240Model(Forecaster):
    """Draws from all units' values over the last ``window`` months, pooled.

    Parameters
    ----------
    window : int
        Months pooled (240 in the challenge; fewer if the history is shorter).
    """

    name = "boot_240"
    _pool: npt.NDArray[np.float64]

    def __init__(self, window: int = 240) -> None:
        self.window = window

    def _fit(self, history: History) -> None:
        values = history.recent(self.window).ravel()
        self._pool = values[np.isfinite(values)]
        if self._pool.size == 0:
            raise ForecastError("no observed values to bootstrap from")

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        shape = (self.history.unit_ids.size, horizons.size, n_draws)
        return rng.choice(self._pool, size=shape).astype(np.int64)
