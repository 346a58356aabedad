"""LightGBM hurdle model producing a full predictive distribution of fatalities.

One set of boosted trees serves every horizon (the horizon is a feature). Training rows
pair the features of a unit at month ``t`` (see ``features.feature_cube``) with its
outcome at ``t + h``, for every ``t + h <= origin`` within the last ``train_months``
months (features still use all the history before ``t``):

- a classifier gives ``P(y > 0)``;
- quantile regressions of ``log1p(y)`` on the positive rows give the size distribution
  at fixed levels (quantiles commute with the monotone ``log1p``, so these are the
  quantiles of the count itself).

A draw is zero with probability ``1 - P(y > 0)``, else the quantile function
(piecewise-linear between the fitted levels, linearly extrapolated beyond them) at a
uniform level, back-transformed and rounded, at least 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from lightgbm import LGBMClassifier, LGBMRegressor

from sentinelle.errors import ForecastError, UsageError
from sentinelle.forecast.base import (
    History,
    RowForecaster,
    UnitRows,
    horizon_index,
    is_grid_scale,
)
from sentinelle.forecast.features import DEFAULT_COVARIATES, feature_cube

__all__ = ["LightGBMModel"]

_MIN_POSITIVE_ROWS = 30
_LOG_ONE = float(np.log1p(1.0))
# Draws generated per chunk when sampling (a few hundred MB of float temporaries).
_SAMPLE_CHUNK = 5_000_000
# A size quantile model: the scikit-learn wrapper, or at PRIO-GRID scale a bare booster.
SizeModel = LGBMRegressor | lgb.Booster


class LightGBMModel(RowForecaster):
    """Hurdle LightGBM: zero/non-zero classifier and quantile regressions of the size.

    Parameters
    ----------
    horizons : sequence of int
        Horizons (months after the origin) the model is trained for and can sample.
    quantiles : sequence of float
        Levels of the size quantile regressions, strictly inside (0, 1).
    n_estimators, learning_rate, num_leaves, min_child_samples : int or float
        LightGBM settings shared by all the boosted models.
    covariates : sequence of str
        Panel columns used as features besides the outcome history.
    train_months : int
        Months of outcomes (the ``t + h``) the trees are trained on, the latest ones.
        Five years keep a fit on the 1990-2023 cm history near its cost on the 2016-2023
        panel (all 34 years took 60 s, ten years 21 s) and close to recent dynamics.
    max_train_rows : int
        Cap on training rows: rows of units quiet for the last 12 months are
        subsampled (and up-weighted) to stay under it, as they are the bulk of a panel.
    grid_train_rows : int
        Classifier rows expected on a panel of more than ``base.GRID_UNITS`` units
        (PRIO-GRID scale, decision 0010's size provision), instead of the cap above:
        active rows are sampled to at most three quarters of it, quiet ones fill the
        rest, each up-weighted by its inverse sampling rate. At that scale the active
        cells alone give hundreds of thousands of rows, and eight boosters trained on
        them at each of six origins took most of the ensemble's 16 minutes.
    grid_size_rounds, grid_size_learning_rate : int, float
        At PRIO-GRID scale the size quantile regressions train on every positive row
        (unweighted: every one is kept) in this many boosting rounds at this learning
        rate, all from one binned LightGBM dataset. The sizes are what sampled rows
        lost most on (a held-out synthetic year's CRPS 1.151 with the positives of
        20,000 sampled rows, 1.129 with all of them); few rounds keep it affordable.
    n_jobs : int
        LightGBM threads. One by default: on a shared two-core machine two OpenMP
        threads that spin-wait for each other made a fit 60 times slower (97 s vs 1.4 s).
    seed : int
        Seed of LightGBM's bagging and of the row subsampling.
    """

    name = "lightgbm"
    feature_names: list[str]
    _cube_at_origin: npt.NDArray[np.float32]
    _classifier: LGBMClassifier
    _regressors: list[SizeModel]

    def __init__(
        self,
        horizons: Sequence[int] = tuple(range(1, 37)),
        quantiles: Sequence[float] = (0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98),
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        covariates: Sequence[str] = DEFAULT_COVARIATES,
        train_months: int = 60,
        max_train_rows: int = 300_000,
        grid_train_rows: int = 20_000,
        grid_size_rounds: int = 30,
        grid_size_learning_rate: float = 0.25,
        n_jobs: int = 1,
        seed: int = 0,
    ) -> None:
        levels = np.asarray(quantiles, dtype=np.float64)
        if levels.size < 2 or np.any(np.diff(levels) <= 0) or levels[0] <= 0 or levels[-1] >= 1:
            raise UsageError("quantiles must be >= 2 increasing levels inside (0, 1)")
        self.horizons = np.asarray(sorted(set(horizons)), dtype=np.int64)
        self.quantiles = levels
        self.params: dict[str, Any] = {
            "n_estimators": n_estimators,
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_child_samples": min_child_samples,
            "subsample": 0.8,
            "subsample_freq": 1,
            "colsample_bytree": 0.8,
            "n_jobs": n_jobs,
            "random_state": seed,
            "verbose": -1,
        }
        self.covariates = tuple(covariates)
        self.train_months = train_months
        self.max_train_rows = max_train_rows
        self.grid_train_rows = grid_train_rows
        self.grid_size_rounds = grid_size_rounds
        self.grid_size_learning_rate = grid_size_learning_rate
        self.seed = seed

    def _fit(self, history: History) -> None:
        cube, self.feature_names = feature_cube(history, self.covariates)
        self._cube_at_origin = cube[:, -1, :]
        grid = is_grid_scale(history.y.shape[0])
        if grid:
            (x, y, weight), (x_size, y_size) = self._grid_rows(cube, history.y)
        else:
            x, y, weight = self._training_rows(cube, history.y)
        positive = y > 0
        if positive.sum() < _MIN_POSITIVE_ROWS or positive.all():
            raise ForecastError(
                f"too few zero and positive outcomes before month {history.origin} to train"
            )
        self._classifier = LGBMClassifier(objective="binary", **self.params)
        self._classifier.fit(x, positive, sample_weight=weight)
        if grid:
            self._regressors = self._grid_size_models(x_size, np.log1p(y_size))
            return
        log_size = np.log1p(y[positive])
        self._regressors = [
            LGBMRegressor(objective="quantile", alpha=float(q), **self.params).fit(
                x[positive], log_size, sample_weight=weight[positive]
            )
            for q in self.quantiles
        ]

    def _grid_size_models(
        self, x: npt.NDArray[np.float32], log_size: npt.NDArray[np.float64]
    ) -> list[SizeModel]:
        """PRIO-GRID scale: the size quantile boosters, all on one binned dataset."""
        params = {**self.params, "learning_rate": self.grid_size_learning_rate}
        del params["n_estimators"]
        data = lgb.Dataset(x, log_size, params=params, free_raw_data=False)
        return [
            lgb.train(
                {**params, "objective": "quantile", "alpha": float(q)},
                data,
                num_boost_round=self.grid_size_rounds,
            )
            for q in self.quantiles
        ]

    def _candidate_rows(
        self, y: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Unit, month ``t`` and horizon of every row whose outcome ``t + h`` is known."""
        n_months = y.shape[1]
        units, months, horizons = [], [], []
        for h in self.horizons:
            if h >= n_months:
                continue
            recent = np.isfinite(y[:, h:])
            recent[:, : max(n_months - h - self.train_months, 0)] = False
            u, t = np.nonzero(recent)
            units.append(u)
            months.append(t)
            horizons.append(np.full(u.size, h))
        if not units:
            raise ForecastError("history is shorter than the smallest horizon")
        return np.concatenate(units), np.concatenate(months), np.concatenate(horizons)

    def _training_rows(
        self, cube: npt.NDArray[np.float32], y: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Rows (features at t, horizon) -> outcome at t + h, with sampling weights."""
        u, t, h = self._candidate_rows(y)
        weight = np.ones(u.size)
        quiet = ~(cube[u, t, self.feature_names.index("log_max_12")] > 0)
        n_active = int((~quiet).sum())
        if u.size > self.max_train_rows and quiet.any():
            rate = max(self.max_train_rows - n_active, 1) / quiet.sum()
            rng = np.random.default_rng(self.seed)
            keep = ~quiet | (rng.uniform(size=u.size) < rate)
            weight = np.where(quiet, 1.0 / rate, 1.0)[keep]
            u, t, h = u[keep], t[keep], h[keep]
        x = np.column_stack([cube[u, t], h.astype(np.float32)])
        return x, y[u, t + h], weight

    def _grid_rows(
        self, cube: npt.NDArray[np.float32], y: npt.NDArray[np.float64]
    ) -> tuple[
        tuple[npt.NDArray[np.float32], npt.NDArray[np.float64], npt.NDArray[np.float64]],
        tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]],
    ]:
        """PRIO-GRID scale: sampled, weighted classifier rows; every positive row."""
        u, t, h = self._candidate_rows(y)
        outcome = y[u, t + h]
        quiet = ~(cube[u, t, self.feature_names.index("log_max_12")] > 0)
        n_active = int((~quiet).sum())
        rng = np.random.default_rng([self.seed, 1])
        active_rate = min(1.0, 0.75 * self.grid_train_rows / max(n_active, 1))
        room = self.grid_train_rows - active_rate * n_active
        quiet_rate = min(1.0, room / max(int(quiet.sum()), 1))
        rate = np.where(quiet, quiet_rate, active_rate)
        keep = rng.uniform(size=u.size) < rate
        sampled = np.flatnonzero(keep)
        classifier = (self._rows_x(cube, u, t, h, sampled), outcome[sampled], 1.0 / rate[sampled])
        positive = np.flatnonzero(outcome > 0)
        return classifier, (self._rows_x(cube, u, t, h, positive), outcome[positive])

    @staticmethod
    def _rows_x(
        cube: npt.NDArray[np.float32],
        u: npt.NDArray[np.int64],
        t: npt.NDArray[np.int64],
        h: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.float32]:
        """Features at ``t`` and the horizon of the candidate rows at ``rows``."""
        return np.column_stack([cube[u[rows], t[rows]], h[rows].astype(np.float32)])

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        horizon_index(self.horizons, horizons)
        at_origin = self._cube_at_origin[rows]
        n_units = at_origin.shape[0]
        x = np.column_stack(
            [
                np.repeat(at_origin, horizons.size, axis=0),
                np.tile(horizons, n_units).astype(np.float32),
            ]
        )
        p_event = np.asarray(self._classifier.predict_proba(x))[:, 1]
        knots = np.sort(np.column_stack([m.predict(x) for m in self._regressors]), axis=1)
        levels, values = _extend_quantile_knots(self.quantiles, np.maximum(knots, _LOG_ONE))
        draws = np.empty((x.shape[0], n_draws), dtype=np.int64)
        # Rows are sampled in chunks to bound the float temporaries at PRIO-GRID scale.
        step = max(1, _SAMPLE_CHUNK // n_draws)
        for start in range(0, x.shape[0], step):
            rows = slice(start, start + step)
            draws[rows] = _sample_rows(p_event[rows], levels, values[rows], n_draws, rng)
        return draws.reshape(n_units, horizons.size, n_draws)


def _sample_rows(
    p_event: npt.NDArray[np.float64],
    levels: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    n_draws: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """Hurdle draws: zero w.p. ``1 - p_event``, else the size quantile function at ``U(0, 1)``."""
    shape = (p_event.size, n_draws)
    u = rng.uniform(size=shape)
    segment = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, levels.size - 2)
    left = np.take_along_axis(values, segment, axis=1)
    right = np.take_along_axis(values, segment + 1, axis=1)
    frac = (u - levels[segment]) / (levels[segment + 1] - levels[segment])
    size = np.maximum(np.rint(np.expm1(left + frac * (right - left))), 1.0)
    event = rng.uniform(size=shape) < p_event[:, None]
    return np.where(event, size, 0.0).astype(np.int64)


def _extend_quantile_knots(
    levels: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Add knots at levels 0 and 1 by extending the end segments' slopes.

    The lower end is floored at ``log1p(1)``: sizes are at least one fatality.
    """
    low_slope = (values[:, 1] - values[:, 0]) / (levels[1] - levels[0])
    high_slope = (values[:, -1] - values[:, -2]) / (levels[-1] - levels[-2])
    at_zero = np.maximum(values[:, 0] - low_slope * levels[0], _LOG_ONE)
    at_one = values[:, -1] + high_slope * (1 - levels[-1])
    full_levels = np.concatenate([[0.0], levels, [1.0]])
    return full_levels, np.column_stack([at_zero, values, at_one])
