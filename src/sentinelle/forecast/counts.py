"""Count-distribution models whose parameters are moments of each unit's recent history.

- ``negbin``: a negative binomial with the mean and variance of the unit's last
  ``window`` months (Poisson when the months are not overdispersed), the model that
  did best among Bodentien & Rüter's 2023/24 challenge entries.
- ``hurdle``: a zero part (probability of any fatality: the unit's share of months
  with fatalities, shrunk towards a beta prior fitted across units) and a
  zero-truncated negative binomial for the size, moment-matched to the unit's
  positive months.

Both forecast the same distribution at every horizon: recent history is the forecast.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from sentinelle.errors import UsageError
from sentinelle.forecast.base import History, RowForecaster, UnitRows

__all__ = ["HurdleModel", "NegBinModel", "sample_negbin", "truncated_negbin_params"]

FloatArray = npt.NDArray[np.float64]

# Largest NB size treated as overdispersed; above it the NB is a Poisson for sampling.
_POISSON_SIZE = 1e6
# Rejection rounds for zero-truncated draws: after these, the few zeros left (only
# when the parent mean is tiny, where the truncated law is ~all ones) become 1.
_TRUNCATION_ROUNDS = 30


def _nb_size(mean: FloatArray, var: FloatArray) -> FloatArray:
    """NB size ``r`` with the given mean and variance (``inf`` if not overdispersed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(var > mean, mean**2 / (var - mean), np.inf)
    return np.where(size > _POISSON_SIZE, np.inf, size)


def sample_negbin(
    mean: FloatArray, size: FloatArray, shape: tuple[int, ...], rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Negative binomial draws as a gamma-Poisson mixture, broadcasting ``mean``/``size``.

    ``size = inf`` gives Poisson draws; ``mean = 0`` gives zeros.
    """
    mean_b = np.broadcast_to(mean, shape)
    size_b = np.broadcast_to(size, shape)
    finite = np.isfinite(size_b) & (mean_b > 0)
    rate = mean_b.astype(np.float64, copy=True)
    rate[finite] = rng.gamma(size_b[finite], mean_b[finite] / size_b[finite])
    return rng.poisson(rate)


def truncated_negbin_params(
    pos_mean: FloatArray, pos_var: FloatArray, iterations: int = 50
) -> tuple[FloatArray, FloatArray]:
    """Parent NB ``(mean, size)`` whose zero-truncation has the given mean and variance.

    Solved by fixed-point iteration on the truncated moments
    ``E[Y | Y > 0] = mu / (1 - p0)`` and ``E[Y^2 | Y > 0] = (mu + mu^2 (1 + 1/r)) / (1 - p0)``
    with ``p0 = (r / (r + mu))^r``.

    Parameters
    ----------
    pos_mean, pos_var : numpy.ndarray
        Mean (>= 1) and variance of the positive observations.
    iterations : int
        Fixed-point iterations (the map contracts quickly for realistic inputs).

    Returns
    -------
    mean, size : numpy.ndarray
        Parent NB parameters; ``size = inf`` is a Poisson parent.
    """
    second = pos_var + pos_mean**2
    mu = pos_mean.astype(np.float64, copy=True)
    size = _nb_size(pos_mean, pos_var)
    for _ in range(iterations):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            p0 = np.where(np.isfinite(size), (size / (size + mu)) ** size, np.exp(-mu))
        keep = 1.0 - p0
        mu = np.maximum(pos_mean * keep, 1e-6)
        size = _nb_size(mu, second * keep - mu**2)
    return mu, size


def _sample_truncated(
    mean: FloatArray, size: FloatArray, shape: tuple[int, ...], rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Zero-truncated NB draws by redrawing zeros (see ``_TRUNCATION_ROUNDS``)."""
    mean_b = np.broadcast_to(mean, shape)
    size_b = np.broadcast_to(size, shape)
    draws = sample_negbin(mean_b, size_b, shape, rng)
    for _ in range(_TRUNCATION_ROUNDS):
        zero = draws == 0
        if not zero.any():
            break
        draws[zero] = sample_negbin(mean_b[zero], size_b[zero], (int(zero.sum()),), rng)
    draws[draws == 0] = 1
    return draws


class NegBinModel(RowForecaster):
    """Negative binomial with the moments of the unit's last ``window`` months.

    Parameters
    ----------
    window : int
        Months of history the mean and variance come from.
    """

    name = "negbin"
    _mean: FloatArray
    _size: FloatArray

    def __init__(self, window: int = 12) -> None:
        if window < 2:
            raise UsageError("window must be >= 2 to estimate a variance")
        self.window = window

    def _fit(self, history: History) -> None:
        recent = history.recent(self.window)
        observed = np.isfinite(recent).sum(axis=1)
        with warnings.catch_warnings():
            # All-NaN rows (units with no data in the window) are handled below.
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(recent, axis=1)
            var = np.nanvar(recent, axis=1, ddof=1)
        # Units without two observed months carry no information: forecast zeros.
        self._mean = np.where(observed >= 2, mean, 0.0)
        self._size = _nb_size(self._mean, np.where(observed >= 2, var, 0.0))

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        mean, size = self._mean[rows], self._size[rows]
        shape = (mean.size, horizons.size, n_draws)
        return sample_negbin(mean[:, None, None], size[:, None, None], shape, rng)


class HurdleModel(RowForecaster):
    """Bernoulli zero part and zero-truncated NB size, both from the last ``window`` months.

    The probability of fatalities is the unit's share of positive months shrunk towards
    a beta prior whose parameters are moment-matched to all units' shares (so a unit
    with no recent fatalities keeps the small probability such units have across the
    panel). The size is a zero-truncated NB moment-matched to the unit's positive
    months; units with fewer than two positive months borrow the size distribution of
    all positive months of "sporadic" units (positive in at most a quarter of months).

    Parameters
    ----------
    window : int
        Months of history used.
    """

    name = "hurdle"
    _p_event: FloatArray
    _mean: FloatArray
    _size: FloatArray

    def __init__(self, window: int = 12) -> None:
        if window < 2:
            raise UsageError("window must be >= 2")
        self.window = window

    def _fit(self, history: History) -> None:
        recent = history.recent(self.window)
        observed = np.isfinite(recent)
        positive = np.where(observed, recent, 0.0) > 0
        n_obs = observed.sum(axis=1)
        n_pos = positive.sum(axis=1)
        self._p_event = _shrunk_share(n_pos, n_obs)

        values = np.where(positive, recent, np.nan)
        pooled = _pooled_positive_moments(values, n_pos, n_obs)
        with warnings.catch_warnings():
            # Units with fewer than two positive months are replaced by the pool below.
            warnings.simplefilter("ignore", RuntimeWarning)
            pos_mean = np.nanmean(values, axis=1)
            pos_var = np.nanvar(values, axis=1, ddof=1)
        own = n_pos >= 2
        pos_mean = np.where(own, pos_mean, pooled[0])
        pos_var = np.where(own, pos_var, pooled[1])
        self._mean, self._size = truncated_negbin_params(pos_mean, pos_var)

    def _draw(
        self,
        rows: UnitRows,
        horizons: npt.NDArray[np.int64],
        n_draws: int,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        p_event, mean, size = self._p_event[rows], self._mean[rows], self._size[rows]
        shape = (mean.size, horizons.size, n_draws)
        event = rng.uniform(size=shape) < p_event[:, None, None]
        unit_of_event = np.nonzero(event)[0]
        sizes = _sample_truncated(
            mean[unit_of_event], size[unit_of_event], unit_of_event.shape, rng
        )
        draws = np.zeros(shape, dtype=np.int64)
        draws[event] = sizes
        return draws


def _shrunk_share(n_pos: npt.NDArray[np.int64], n_obs: npt.NDArray[np.int64]) -> FloatArray:
    """Posterior mean share of positive months under a beta prior fitted across units."""
    has = n_obs > 0
    share = n_pos[has] / n_obs[has]
    mean = float(share.mean()) if share.size else 0.0
    var = float(share.var()) if share.size else 0.0
    # A degenerate spread (all units alike) gets a weak prior worth one month.
    fits = 0 < mean < 1 and 0 < var < mean * (1 - mean)
    strength = mean * (1 - mean) / var - 1 if fits else 1.0
    a, b = mean * strength, (1 - mean) * strength
    return (n_pos + a) / (n_obs + a + b)


def _pooled_positive_moments(
    values: FloatArray, n_pos: npt.NDArray[np.int64], n_obs: npt.NDArray[np.int64]
) -> tuple[float, float]:
    """Mean and variance of the positive months of sporadic units (all units if none)."""
    sporadic = (n_pos > 0) & (n_pos * 4 <= n_obs)
    chosen = values[sporadic] if sporadic.any() else values
    pooled = chosen[np.isfinite(chosen)]
    if pooled.size < 2:
        # No fatalities anywhere in the window: a single fatality is the least
        # informative size.
        return 1.0, 0.0
    return float(pooled.mean()), float(pooled.var(ddof=1))
