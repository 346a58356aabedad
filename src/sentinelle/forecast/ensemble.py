"""Weighted mixture of several models' draws, with weights learned on past windows only.

At an origin ``o`` the ensemble replays the forecasting task on earlier *validation
origins* ``o - max(h) - 12 k`` (``k = 0, 1, ...``), whose forecast months all fall at or
before ``o``: each member is fitted at the validation origin on the history before it
and scored against the months that followed, all inside the data the ensemble was
given. The weights minimise the mean CRPS of the mixture over those forecasts, which is
a convex quadratic in the weights:
``sum_k w_k E|X_k - y| - 1/2 sum_kl w_k w_l E|X_k - X_l|``.
Without any validation origin that has ``min_history`` months behind it, the weights
are equal. The forecast then mixes the members' draws: each draw comes from member
``k`` with probability ``w_k``.

The forecast's ``meta`` records what the rule chose and the scores behind it: the
weights, the validation origins, and each member's mean validation CRPS
(``E|X_k - y| - E|X_k - X_k'| / 2`` over the same validation forecasts), so a reader of
a backtest can see the choice was made on months before the origin.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from sentinelle.errors import UsageError
from sentinelle.forecast.base import Forecaster, History
from sentinelle.scoring import expected_abs_difference

__all__ = ["EnsembleModel", "mixture_weights"]

MemberFactory = Callable[[], Forecaster]


def mixture_weights(
    abs_error: npt.NDArray[np.float64], abs_spread: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Simplex weights minimising ``w @ abs_error - w @ abs_spread @ w / 2``.

    Parameters
    ----------
    abs_error : numpy.ndarray, shape (K,)
        Mean ``E|X_k - y|`` of each member over the validation forecasts.
    abs_spread : numpy.ndarray, shape (K, K)
        Mean ``E|X_k - X_l|`` between members' draws.

    Returns
    -------
    numpy.ndarray, shape (K,)
        Non-negative weights summing to one.
    """
    n = abs_error.size
    scale = max(float(np.abs(abs_error).max()), 1e-12)
    a, b = abs_error / scale, abs_spread / scale

    def objective(w: npt.NDArray[np.float64]) -> float:
        return float(w @ a - 0.5 * w @ b @ w)

    def gradient(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return a - 0.5 * (b + b.T) @ w

    result = minimize(
        objective,
        np.full(n, 1.0 / n),
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
    )
    weights = np.clip(result.x, 0.0, None)
    normalised: npt.NDArray[np.float64] = weights / weights.sum()
    return normalised


class EnsembleModel(Forecaster):
    """Mixture of member models' draws, weighted by their past-window CRPS.

    Parameters
    ----------
    members : sequence of (str, callable)
        Member names and factories returning unfitted models.
    validation_horizons : sequence of int
        Horizons replayed at the validation origins (the task the weights are for).
    n_windows : int
        Most validation origins used, one year apart.
    min_history : int
        Months of data a validation origin needs behind it.
    validation_draws : int
        Draws per unit-month when scoring members on validation windows.
    seed : int
        Seed of the validation draws.
    """

    name = "ensemble"
    weights: npt.NDArray[np.float64]
    n_validation_windows: int
    origins_used: list[int]
    validation_crps: npt.NDArray[np.float64]
    _members: list[Forecaster]

    def __init__(
        self,
        members: Sequence[tuple[str, MemberFactory]],
        validation_horizons: Sequence[int] = tuple(range(3, 15)),
        n_windows: int = 3,
        min_history: int = 12,
        validation_draws: int = 250,
        seed: int = 0,
    ) -> None:
        if not members:
            raise UsageError("an ensemble needs at least one member")
        self.member_names = [name for name, _ in members]
        self.factories = [factory for _, factory in members]
        self.validation_horizons = np.asarray(validation_horizons, dtype=np.int64)
        self.n_windows = n_windows
        self.min_history = min_history
        self.validation_draws = validation_draws
        self.seed = seed

    def validation_origins(self, history: History) -> list[int]:
        """Validation origins whose forecast months all lie at or before the origin."""
        first = int(history.months[0])
        latest = history.origin - int(self.validation_horizons.max())
        origins = [latest - 12 * k for k in range(self.n_windows)]
        return [o for o in origins if o - first + 1 >= self.min_history]

    def _fit(self, history: History) -> None:
        origins = self.validation_origins(history)
        n = len(self.factories)
        if origins:
            abs_error = np.zeros(n)
            abs_spread = np.zeros((n, n))
            rng = np.random.default_rng(self.seed)
            for origin in origins:
                err, spread = self._validate(history, origin, rng)
                abs_error += err / len(origins)
                abs_spread += spread / len(origins)
            self.weights = mixture_weights(abs_error, abs_spread)
            self.validation_crps = abs_error - 0.5 * np.diag(abs_spread)
        else:
            self.weights = np.full(n, 1.0 / n)
            self.validation_crps = np.full(n, np.nan)
        self.n_validation_windows = len(origins)
        self.origins_used = origins
        self._members = [
            factory().fit(history.panel, history.origin, history.target)
            for factory in self.factories
        ]

    def _validate(
        self, history: History, origin: int, rng: np.random.Generator
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Members' mean ``E|X_k - y|`` and ``E|X_k - X_l|`` for forecasts from ``origin``."""
        columns = origin + self.validation_horizons - history.months[0]
        observed = history.y[:, columns]
        rows = np.isfinite(observed)
        draws = []
        for factory in self.factories:
            member = factory().fit(history.panel, origin, history.target)
            forecast = member.sample(self.validation_horizons, self.validation_draws, rng)
            # Units of the validation fit may be a subset (units entering the panel later).
            index = np.searchsorted(history.unit_ids, forecast.unit_ids)
            full = np.zeros((history.unit_ids.size, *forecast.draws.shape[1:]))
            full[index] = forecast.draws
            draws.append(full[rows])
        y = observed[rows][:, None]
        abs_error = np.array([expected_abs_difference(d, y).mean() for d in draws])
        n = len(draws)
        abs_spread = np.zeros((n, n))
        for i in range(n):
            for j in range(i, n):
                abs_spread[i, j] = abs_spread[j, i] = expected_abs_difference(
                    draws[i], draws[j]
                ).mean()
        return abs_error, abs_spread

    def _meta(self) -> dict[str, str]:
        def by_member(values: npt.NDArray[np.float64]) -> str:
            rounded = [None if np.isnan(v) else round(float(v), 4) for v in values]
            return json.dumps(dict(zip(self.member_names, rounded, strict=True)))

        return {
            "weights": by_member(self.weights),
            "validation_windows": str(self.n_validation_windows),
            "validation_origins": json.dumps(self.origins_used),
            "validation_crps": by_member(self.validation_crps),
        }

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        shape = (self.history.unit_ids.size, horizons.size, n_draws)
        choice = rng.choice(len(self._members), p=self.weights, size=shape).astype(np.uint8)
        # Members are sampled one at a time into the output, so memory stays at two
        # draw arrays whatever the number of members (this matters at PRIO-GRID scale).
        mixed = np.zeros(shape, dtype=np.int64)
        for k, member in enumerate(self._members):
            chosen = choice == k
            if chosen.any():
                mixed[chosen] = member.sample(horizons, n_draws, rng).draws[chosen]
        return mixed
