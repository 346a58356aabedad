"""The forecasting interface every model implements, and the forecast it returns.

A model is fitted on a unit-month panel up to an origin month and then samples future
draws: ``model.fit(panel, origin, target).sample(horizons, n_draws, rng)``. The base
class cuts the panel at the origin *before* any model code sees it, so no model can
read data after its origin; subclasses implement ``_fit`` on the resulting
``History`` and ``_sample`` returning an array ``[units, horizons, draws]``.

Month ids follow VIEWS: 1 is January 1980, 457 January 2018 (``sentinelle.geo.months``
converts them from and to ``YYYY-MM``).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.errors import ForecastError, UsageError

__all__ = [
    "GRID_UNITS",
    "KEYS",
    "TARGETS",
    "Forecast",
    "Forecaster",
    "History",
    "RowForecaster",
    "UnitRows",
    "horizon_index",
    "is_grid_scale",
    "panel_version",
]

KEYS = ("unit_id", "month_id")
# Outcomes a model may be asked to forecast: state-based, non-state and one-sided
# fatalities (UCDP GED best) and civilian deaths; on panels of a publisher's admin-unit
# aggregates (ACLED's HDX series), fatalities of political violence and of civilian
# targeting.
TARGETS = ("ged_sb", "ged_ns", "ged_os", "civ_deaths", "fatalities", "civ_fatalities")
_MAX_DRAW = np.iinfo(np.int32).max
# Panels with more units than this are PRIO-GRID scale (decision 0010's size
# provision): the ensemble scores its validation forecasts on a sample of the quiet
# units and LightGBM samples its classifier's rows. The cm panel has 191 units and the
# admin panels at most a few dozen, so their results do not depend on it.
GRID_UNITS = 2_000


def is_grid_scale(n_units: int) -> bool:
    """Whether a panel of ``n_units`` units takes the PRIO-GRID provisions."""
    return n_units > GRID_UNITS


# Positions of the units a model draws for: all of them (``slice(None)``) or some.
UnitRows = slice | npt.NDArray[np.int64]


def panel_version(panel: pd.DataFrame) -> str:
    """Data version recorded with forecasts: ``panel.attrs['data_version']`` if set.

    Loaders set it (a hash of their input files); otherwise a content hash of the
    panel's keys and outcome columns identifies the data. It names the whole panel
    (a data release), not only the rows before an origin: provenance, not model input.
    """
    version = panel.attrs.get("data_version")
    if version:
        return str(version)
    cols = [c for c in (*KEYS, *TARGETS) if c in panel.columns]
    hashes = pd.util.hash_pandas_object(panel[cols], index=False).to_numpy()
    digest = hashlib.sha256(hashes.tobytes())
    return "sha256:" + digest.hexdigest()[:16]


def horizon_index(
    fitted: npt.NDArray[np.int64], asked: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Positions of the ``asked`` horizons among the sorted ``fitted`` ones.

    For models fitted for given horizons (LightGBM, analogues, Markov transitions);
    raises ``ForecastError`` naming the horizons the model was not fitted for.
    """
    unknown = np.setdiff1d(asked, fitted)
    if unknown.size:
        raise ForecastError(f"model was not fitted for horizons {unknown.tolist()}")
    return np.searchsorted(fitted, asked)


@dataclass(frozen=True)
class History:
    """A panel cut at the origin, with the target as a dense ``[unit, month]`` matrix.

    Attributes
    ----------
    panel : pandas.DataFrame
        Rows with ``month_id <= origin`` only, sorted by unit and month.
    origin : int
        Last month whose data may be used.
    target : str
        Outcome column being forecast.
    unit_ids : numpy.ndarray
        Units forecast, in the row order of ``y`` and of the draws.
    months : numpy.ndarray
        Consecutive month ids from the first panel month to ``origin``.
    y : numpy.ndarray
        Target values ``[unit, month]``; NaN where the panel has no value.
    data_version : str
        Version of the data the panel came from.
    """

    panel: pd.DataFrame
    origin: int
    target: str
    unit_ids: npt.NDArray[np.int64]
    months: npt.NDArray[np.int64]
    y: npt.NDArray[np.float64]
    data_version: str

    @classmethod
    def from_panel(cls, panel: pd.DataFrame, origin: int, target: str) -> History:
        """Cut ``panel`` at ``origin`` and build the target matrix."""
        missing = [c for c in (*KEYS, target) if c not in panel.columns]
        if missing:
            raise ForecastError(f"panel lacks columns {missing}")
        past = panel.loc[panel["month_id"] <= origin]
        if past.empty:
            raise ForecastError(f"panel has no rows at or before origin month {origin}")
        past = past.sort_values(list(KEYS), kind="stable").reset_index(drop=True)
        if past.duplicated(list(KEYS)).any():
            raise ForecastError("panel has duplicate (unit_id, month_id) rows")
        unit_ids = np.unique(past["unit_id"].to_numpy(np.int64))
        months = np.arange(int(past["month_id"].min()), origin + 1, dtype=np.int64)
        y = np.full((unit_ids.size, months.size), np.nan)
        rows = np.searchsorted(unit_ids, past["unit_id"].to_numpy(np.int64))
        cols = past["month_id"].to_numpy(np.int64) - months[0]
        y[rows, cols] = past[target].to_numpy(np.float64)
        if np.nanmin(y, initial=0.0) < 0:
            raise ForecastError(f"negative values in {target}")
        return cls(past, origin, target, unit_ids, months, y, panel_version(panel))

    def recent(self, window: int) -> npt.NDArray[np.float64]:
        """The last ``window`` months of the target (fewer if the panel is shorter)."""
        return self.y[:, -window:]


@dataclass(frozen=True)
class Forecast:
    """Sample draws of one target per unit and forecast month.

    Attributes
    ----------
    model : str
        Registry name of the model that produced the draws.
    target : str
        Outcome column forecast.
    origin : int
        Month id of the last data used; forecast month = ``origin + horizon``.
    unit_ids : numpy.ndarray, shape (U,)
    horizons : numpy.ndarray, shape (H,)
    draws : numpy.ndarray, shape (U, H, D)
        Non-negative integer draws (int32, the challenge files' type).
    data_version : str
        Version of the panel the model was fitted on.
    meta : dict of str to str
        Model-specific provenance (e.g. the ensemble's weights).
    """

    model: str
    target: str
    origin: int
    unit_ids: npt.NDArray[np.int64]
    horizons: npt.NDArray[np.int64]
    draws: npt.NDArray[np.int32]
    data_version: str = "unknown"
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        expected = (self.unit_ids.size, self.horizons.size)
        if self.draws.ndim != 3 or self.draws.shape[:2] != expected:
            raise UsageError(f"draws shape {self.draws.shape} does not match {expected} x D")

    @property
    def month_ids(self) -> npt.NDArray[np.int64]:
        """Forecast month of each horizon."""
        return self.origin + self.horizons

    @property
    def n_draws(self) -> int:
        """Number of draws per unit-month."""
        return int(self.draws.shape[2])

    def to_frame(self) -> pd.DataFrame:
        """Tidy draws: columns ``month_id, unit_id, draw, outcome``, sorted in that order."""
        n_units, n_h, n_d = self.draws.shape
        return pd.DataFrame(
            {
                "month_id": np.repeat(self.month_ids, n_units * n_d),
                "unit_id": np.tile(np.repeat(self.unit_ids, n_d), n_h),
                "draw": np.tile(np.arange(n_d), n_units * n_h),
                "outcome": self.draws.transpose(1, 0, 2).reshape(-1),
            }
        )

    def for_months(
        self, unit_ids: npt.ArrayLike, month_ids: npt.ArrayLike
    ) -> npt.NDArray[np.int32]:
        """Draws ``[len(unit_ids) * len(month_ids), D]`` in month-major, unit-minor order.

        Raises ``KeyError`` if a requested unit or month was not forecast.
        """
        u_index = pd.Index(self.unit_ids).get_indexer(pd.Index(np.asarray(unit_ids)))
        h_index = pd.Index(self.month_ids).get_indexer(pd.Index(np.asarray(month_ids)))
        if (u_index < 0).any() or (h_index < 0).any():
            raise KeyError("forecast does not cover every requested unit and month")
        return self.draws[u_index][:, h_index].transpose(1, 0, 2).reshape(-1, self.n_draws)


class Forecaster(ABC):
    """A probabilistic model: fit on a panel up to an origin, then sample the future.

    Subclasses set ``name`` and implement ``_fit`` and ``_sample``; they only ever see
    the ``History`` the base class built from rows at or before the origin.
    """

    name: ClassVar[str]

    _history: History | None = None

    def fit(self, panel: pd.DataFrame, origin: int, target: str = "ged_sb") -> Self:
        """Fit on ``panel`` rows with ``month_id <= origin``; later rows are never read."""
        if target not in TARGETS:
            raise ForecastError(f"unknown target {target!r}; expected one of {TARGETS}")
        return self.fit_history(History.from_panel(panel, origin, target))

    def fit_history(self, history: History) -> Self:
        """Fit on an already cut ``History`` (the ensemble shares one among its members).

        Models must not modify ``history``: its arrays are shared.
        """
        if history.target not in TARGETS:
            raise ForecastError(f"unknown target {history.target!r}; expected one of {TARGETS}")
        self._fit(history)
        self._history = history
        return self

    @property
    def history(self) -> History:
        """The history the model was fitted on."""
        if self._history is None:  # a caller's bug, not a forecast that cannot be made
            raise RuntimeError(f"{type(self).__name__} is not fitted")
        return self._history

    def sample(
        self,
        horizons: npt.ArrayLike,
        n_draws: int,
        rng: np.random.Generator,
        units: npt.ArrayLike | None = None,
    ) -> Forecast:
        """Draw ``n_draws`` samples for every unit and horizon (months after the origin).

        ``units`` (sorted unit ids of the history) restricts the draws to those units:
        the ensemble scores its candidates on a sample of units of a large panel.
        """
        h = np.asarray(horizons, dtype=np.int64)
        if h.ndim != 1 or h.size == 0 or (h < 1).any():
            raise ForecastError("horizons must be a non-empty sequence of integers >= 1")
        if n_draws < 1:
            raise ForecastError("n_draws must be >= 1")
        history = self.history
        unit_ids = history.unit_ids
        if units is None:
            draws = np.asarray(self._sample(h, n_draws, rng))
        else:
            wanted = np.asarray(units, dtype=np.int64)
            rows = np.searchsorted(unit_ids, wanted)
            known = (rows < unit_ids.size) & (
                unit_ids[np.minimum(rows, unit_ids.size - 1)] == wanted
            )
            if wanted.ndim != 1 or not known.all() or np.any(np.diff(wanted) <= 0):
                raise ForecastError("units must be sorted, distinct unit ids of the history")
            unit_ids = wanted
            draws = np.asarray(self._sample_units(rows, h, n_draws, rng))
        if draws.shape != (unit_ids.size, h.size, n_draws):  # a bug in the model
            raise RuntimeError(f"{self.name} returned draws of shape {draws.shape}")
        # Draws are stored as int32 like the challenge files; the clip guards the cast
        # against the rare astronomically large draw of a heavy-tailed model.
        draws = np.clip(draws, 0, _MAX_DRAW).astype(np.int32, copy=False)
        return Forecast(
            model=self.name,
            target=history.target,
            origin=history.origin,
            unit_ids=unit_ids,
            horizons=h,
            draws=draws,
            data_version=history.data_version,
            meta=self._meta(),
        )

    def _meta(self) -> dict[str, str]:
        """Model-specific provenance stored with each forecast (none by default)."""
        return {}

    @abstractmethod
    def _fit(self, history: History) -> None:
        """Estimate parameters from ``history``."""

    @abstractmethod
    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.integer] | npt.NDArray[np.floating]:
        """Return draws ``[units, horizons, draws]`` in ``history.unit_ids`` order."""

    def _sample_units(
        self,
        rows: npt.NDArray[np.int64],
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.integer] | npt.NDArray[np.floating]:
        """Draws ``[len(rows), horizons, draws]`` for the units at positions ``rows``.

        By default all units are drawn and the rows kept; models override it to draw
        only those units (same law, not the same random numbers as a full draw).
        """
        return np.asarray(self._sample(horizons, n_draws, rng))[rows]


class RowForecaster(Forecaster):
    """A model that draws any set of units the same way: ``_draw(rows, ...)``.

    ``rows`` is ``slice(None)`` for every unit or the positions asked for; both
    sampling paths of :class:`Forecaster` go through it.
    """

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.integer] | npt.NDArray[np.floating]:
        return self._draw(slice(None), horizons, n_draws, rng)

    def _sample_units(
        self,
        rows: npt.NDArray[np.int64],
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.integer] | npt.NDArray[np.floating]:
        return self._draw(rows, horizons, n_draws, rng)

    @abstractmethod
    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.integer] | npt.NDArray[np.floating]:
        """Draws ``[units at rows, horizons, draws]``."""
