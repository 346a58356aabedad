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

**Large panels** (decision 0010's size provision). On a panel of more than
``base.GRID_UNITS`` units (PRIO-GRID cells) the registry's ensemble uses
``grid_windows`` validation origins, and when more than ``quiet_sample`` units have had
no fatality up to a validation origin, the members are still fitted on every unit but
scored on every unit with a fatality and a seeded random sample of ``quiet_sample``
quiet ones, each standing for ``quiet / quiet_sample`` quiet units in the means (an
unbiased estimate of the all-unit means). The terms are then computed for all members
at once from their empirical CDFs (``mean_abs_differences``). Smaller panels (the 191
countries, the Sahel's admin units) take the all-unit path unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from sentinelle.errors import UsageError
from sentinelle.forecast.base import Forecaster, History, is_grid_scale
from sentinelle.scoring import expected_abs_difference

__all__ = ["EnsembleModel", "mean_abs_differences", "mixture_weights"]

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


# CDF cells built at once in ``mean_abs_differences`` (bounds the memory).
_CDF_CELLS = 4_000_000
# Rows whose counts all stay below one of these are summed on the integer grid.
_GRIDS = (16, 128)


def mean_abs_differences(
    draws: Sequence[npt.NDArray[np.integer]],
    observed: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weighted means over rows of ``E|X_k - y|`` and ``E|X_k - X_l|``, all pairs at once.

    With ``F_k`` the empirical CDF of member ``k``'s draws in a row (and ``F_y`` the step
    at the observation), ``E|X_k - X_l| = sum_t dt (F_k + F_l - 2 F_k F_l)`` over the
    row's values: the pairwise mean of ``scoring.expected_abs_difference`` (equal up to
    rounding), for every pair from one pass. Rows of small counts use the integer grid
    ``0 .. 127`` (``dt = 1``), larger ones the sorted union of their values. Needs
    non-negative integer observations; others fall back to the pairwise computation.

    Parameters
    ----------
    draws : sequence of numpy.ndarray, each shape (rows, draws_k)
        Non-negative integer draws of each member.
    observed : numpy.ndarray, shape (rows,)
        Observed values.
    weight : numpy.ndarray, shape (rows,)
        Weight of each row in the means.

    Returns
    -------
    abs_error : numpy.ndarray, shape (K,)
    abs_spread : numpy.ndarray, shape (K, K)
    """
    n = len(draws)
    total = float(weight.sum())
    if not np.array_equal(observed, np.rint(observed)) or observed.min(initial=0.0) < 0:
        y = observed[:, None]
        error = [(expected_abs_difference(d, y) * weight).sum() / total for d in draws]
        spread = [
            [(expected_abs_difference(a, b) * weight).sum() / total for b in draws] for a in draws
        ]
        return np.array(error), np.array(spread)
    columns = [np.asarray(d, dtype=np.int64) for d in draws]
    values = np.concatenate([*columns, observed[:, None].astype(np.int64)], axis=1)
    label = np.concatenate([np.full(d.shape[1], k) for k, d in enumerate(columns)] + [[n]])
    share = np.array([1.0 / d.shape[1] for d in columns] + [1.0])
    level = np.zeros(n + 1)
    cross = np.zeros((n + 1, n + 1))
    peak = values.max(axis=1)
    # Rows by their largest value: 1 .. 15 on a grid of 16, 16 .. 127 on one of 128,
    # the rest on their sorted union. All-zero rows add nothing to any term.
    low = 1
    for grid in (*_GRIDS, None):
        chosen = (peak >= low) if grid is None else (peak >= low) & (peak < grid)
        low = grid if grid is not None else low
        if not chosen.any():
            continue
        part, part_weight = values[chosen], weight[chosen]
        cells = (n + 1) * (grid if grid is not None else values.shape[1])
        step = max(1, _CDF_CELLS // cells)
        for start in range(0, part.shape[0], step):
            rows = slice(start, start + step)
            if grid is None:
                cdf, gaps, row = _union_cdf(part[rows], label, share)
                weighted = cdf * (gaps * part_weight[rows][row])
            else:
                cdf = _grid_cdf(part[rows], label, share, grid)
                weighted = cdf * np.repeat(part_weight[rows], grid)
            level += weighted.sum(axis=1)
            cross += weighted @ cdf.T
    terms = (level[:, None] + level[None, :] - 2.0 * cross) / total
    return terms[:n, n], terms[:n, :n]


def _grid_cdf(
    values: npt.NDArray[np.int64],
    label: npt.NDArray[np.int64],
    share: npt.NDArray[np.float64],
    grid: int,
) -> npt.NDArray[np.float64]:
    """``F_k(t)`` for ``t = 0 .. grid - 1`` per row, as ``[k, row * grid + t]``."""
    n_rows, n_labels = values.shape[0], share.size
    index = (label[None, :] * n_rows + np.arange(n_rows)[:, None]) * grid + values
    counts = np.bincount(index.ravel(), minlength=n_labels * n_rows * grid)
    cdf = np.cumsum(counts.reshape(n_labels, n_rows, grid), axis=2) * share[:, None, None]
    return cdf.reshape(n_labels, -1)


def _union_cdf(
    values: npt.NDArray[np.int64], label: npt.NDArray[np.int64], share: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``F_k`` at each distinct value of each row's sorted union, the gap to the next
    value, and the row of each gap."""
    bits = int(share.size - 1).bit_length()
    block = np.sort((values << bits) | label, axis=1)  # sorts values, labels along
    labels = block & ((1 << bits) - 1)
    gaps = np.diff(block >> bits, axis=1)
    where = np.nonzero(gaps)
    # Running counts of several labels packed in one integer: one cumsum for them all.
    width = int(np.bincount(label).max()).bit_length()
    per_word = max(1, 63 // width)
    cdf = np.empty((share.size, where[0].size))
    for first in range(0, share.size, per_word):
        group = (labels >= first) & (labels < first + per_word)
        shift = np.where(group, width * (labels - first), 0)
        packed = np.cumsum(np.where(group, np.left_shift(1, shift), 0), axis=1)
        packed = packed[:, :-1][where]
        for k in range(first, min(first + per_word, share.size)):
            count = (packed >> (width * (k - first))) & ((1 << width) - 1)
            cdf[k] = count * share[k]
    return cdf, gaps[where].astype(np.float64), where[0]


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
    quiet_sample : int or None
        On a panel of more than ``base.GRID_UNITS`` units, quiet units (no fatality up
        to the validation origin) scored at a validation origin when there are more of
        them; ``None`` scores every unit.
    grid_windows : int or None
        Validation origins on a panel of more than ``base.GRID_UNITS`` units
        (``None``: ``n_windows``).
    seed : int
        Seed of the validation draws and of the quiet units' sample.
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
        quiet_sample: int | None = 500,
        grid_windows: int | None = None,
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
        if quiet_sample is not None and quiet_sample < 1:
            raise UsageError("quiet_sample must be >= 1 or None")
        self.quiet_sample = quiet_sample
        self.grid_windows = grid_windows
        self.seed = seed

    def validation_origins(self, history: History) -> list[int]:
        """Validation origins whose forecast months all lie at or before the origin.

        ``n_windows`` of them, or ``grid_windows`` on a panel of more than
        ``base.GRID_UNITS`` units when that is set.
        """
        first = int(history.months[0])
        latest = history.origin - int(self.validation_horizons.max())
        n_windows = self.n_windows
        if self.grid_windows is not None and is_grid_scale(history.unit_ids.size):
            n_windows = self.grid_windows
        origins = [latest - 12 * k for k in range(n_windows)]
        return [o for o in origins if o - first + 1 >= self.min_history]

    def _fit(self, history: History) -> None:
        origins = self.validation_origins(history)
        n = len(self.factories)
        if origins:
            abs_error = np.zeros(n)
            abs_spread = np.zeros((n, n))
            rng = np.random.default_rng(self.seed)
            for origin in origins:
                # One cut of the panel per origin, shared by every member.
                past = History.from_panel(history.panel, origin, history.target)
                err, spread = self._validate(history, past, rng)
                abs_error += err / len(origins)
                abs_spread += spread / len(origins)
            self.weights = mixture_weights(abs_error, abs_spread)
            self.validation_crps = abs_error - 0.5 * np.diag(abs_spread)
        else:
            self.weights = np.full(n, 1.0 / n)
            self.validation_crps = np.full(n, np.nan)
        self.n_validation_windows = len(origins)
        self.origins_used = origins
        self._members = [factory().fit_history(history) for factory in self.factories]

    def scored_units(
        self, history: History, past: History
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
        """Units scored at the validation origin of ``past``, and what each stands for.

        ``None`` (every unit, each for itself) unless more than ``quiet_sample`` units
        of ``history`` had no fatality up to that origin (or no row yet); then the
        positions in ``history.unit_ids`` of every unit with a fatality and of a seeded
        sample of ``quiet_sample`` quiet ones, each quiet one weighing ``quiet /
        quiet_sample``.
        """
        if self.quiet_sample is None or not is_grid_scale(history.unit_ids.size):
            return None
        event = np.zeros(history.unit_ids.size, dtype=bool)
        index = np.searchsorted(history.unit_ids, past.unit_ids)
        event[index] = (np.nan_to_num(past.y) > 0).any(axis=1)
        quiet = np.flatnonzero(~event)
        if quiet.size <= self.quiet_sample:
            return None
        sampler = np.random.default_rng([self.seed, past.origin])
        picked = sampler.choice(quiet, size=self.quiet_sample, replace=False)
        scored = np.sort(np.concatenate([np.flatnonzero(event), picked]))
        weight = np.where(event[scored], 1.0, quiet.size / self.quiet_sample)
        return scored, weight

    def _validate(
        self, history: History, past: History, rng: np.random.Generator
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Members' mean ``E|X_k - y|`` and ``E|X_k - X_l|`` for forecasts from ``past``."""
        columns = past.origin + self.validation_horizons - history.months[0]
        observed = history.y[:, columns]
        selection = self.scored_units(history, past)
        if selection is None:
            return self._validate_all(history, past, observed, rng)
        scored, unit_weight = selection
        observed = observed[scored]
        rows = np.isfinite(observed)
        # Units scored that the validation fit lacks (entering the panel later) get zeros.
        in_past = np.isin(history.unit_ids[scored], past.unit_ids)
        ask = history.unit_ids[scored][in_past]
        draws = []
        for factory in self.factories:
            member = factory().fit_history(past)
            forecast = member.sample(self.validation_horizons, self.validation_draws, rng, ask)
            full = np.zeros((scored.size, *forecast.draws.shape[1:]), dtype=np.int64)
            full[in_past] = forecast.draws
            draws.append(full[rows])
        weight = np.broadcast_to(unit_weight[:, None], observed.shape)[rows]
        return mean_abs_differences(draws, observed[rows], weight)

    def _validate_all(
        self,
        history: History,
        past: History,
        observed: npt.NDArray[np.float64],
        rng: np.random.Generator,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The all-unit validation: every unit scored, terms pair by pair."""
        rows = np.isfinite(observed)
        draws = []
        for factory in self.factories:
            member = factory().fit_history(past)
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
