"""Deployment scenarios: a PRIO-GRID forecast "as if" peacekeeping bases close.

The withdrawal-impact analysis (``sentinelle.impact``) estimates how much the
outcome of a cell changes per month, by distance ring, once a nearby base has
closed (``scenario_effect``). :func:`apply_scenario` carries that estimate into a
forecast: from a base's closure month on, every draw of every cell in one of its
rings is shifted by the ring's effect. The effect is itself uncertain, so each draw
takes its own effect from a normal distribution with the estimate's standard error;
a positive effect adds a Poisson count with that mean, a negative one removes one
(never below zero). A base that stays adds nothing: the forecast's own history
already includes its presence. A cell in the rings of several closing bases takes
the nearest base's ring only, as the estimates were made per nearest closed base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sentinelle.errors import ForecastError, UsageError
from sentinelle.forecast.base import Forecast
from sentinelle.geo import centroid, haversine_km, month_string

__all__ = ["BaseClosure", "apply_scenario"]

# Impact outcomes and the forecast targets that count the same deaths.
_OUTCOME_TARGETS = {"civilian_deaths": "civ_deaths", "one_sided": "ged_os"}


@dataclass(frozen=True)
class BaseClosure:
    """One base closing in a scenario: where, and the first month without it."""

    base: str
    latitude: float
    longitude: float
    month_id: int


def apply_scenario(
    forecast: Forecast,
    closures: Sequence[BaseClosure],
    effects: pd.DataFrame,
    seed: int = 0,
) -> Forecast:
    """Draws of ``forecast`` as if ``closures`` happen, using the estimated ``effects``.

    Parameters
    ----------
    forecast : Forecast
        A PRIO-GRID forecast (``unit_id`` = gid) of the outcome the effects measure.
    closures : sequence of BaseClosure
        Bases that close, each from its ``month_id``.
    effects : pandas.DataFrame
        ``ring_lo_km, ring_hi_km, effect, se`` and ``outcome``, as returned by
        ``sentinelle.impact.scenario_effect``.
    seed : int
        Seed of the effect and count draws.

    Returns
    -------
    Forecast
        Same units, months and draw count; ``model`` names the scenario and ``meta``
        records it.

    Raises
    ------
    sentinelle.errors.ForecastError
        If the effects measure another outcome than the forecast target.
    sentinelle.errors.UsageError
        If no closure is given.

    Examples
    --------
    >>> kidal = BaseClosure("Kidal", 18.44, 1.41, month_id=527)          # doctest: +SKIP
    >>> as_if = apply_scenario(forecast, [kidal], scenario_effect(result))  # doctest: +SKIP
    """
    if not closures:
        raise UsageError("a scenario needs at least one closing base")
    outcomes = set(effects["outcome"])
    targets = {_OUTCOME_TARGETS.get(o) for o in outcomes}
    if targets != {forecast.target}:
        raise ForecastError(
            f"the effects measure {', '.join(sorted(outcomes))}, the forecast {forecast.target}: "
            "forecast the same outcome (civilian_deaths -> civ_deaths, one_sided -> ged_os)"
        )
    lat, lon = centroid(forecast.unit_ids)
    dist = np.stack([haversine_km(lat, lon, c.latitude, c.longitude) for c in closures])
    nearest = dist.argmin(axis=0)
    nearest_km = dist.min(axis=0)
    rng = np.random.default_rng(seed)
    draws = forecast.draws.astype(np.int64)
    n_draws = draws.shape[2]
    rings = effects[["ring_lo_km", "ring_hi_km", "effect", "se"]].to_numpy(np.float64)
    for lo, hi, mean, se in rings:
        in_ring = (nearest_km >= lo) & (nearest_km < hi)
        for u in np.flatnonzero(in_ring):
            after = forecast.month_ids >= closures[nearest[u]].month_id
            if not after.any():
                continue
            effect = rng.normal(mean, se if np.isfinite(se) else 0.0, size=n_draws)
            shift = rng.poisson(np.abs(effect), size=(int(after.sum()), n_draws))
            signed = np.where(effect >= 0, shift, -shift)
            draws[u, after] = np.maximum(draws[u, after] + signed, 0)
    label = ",".join(f"{c.base}@{month_string(c.month_id)}" for c in closures)
    return replace(
        forecast,
        model=f"{forecast.model}+close:{label}",
        draws=draws.astype(np.int32),
        meta={**forecast.meta, "scenario": f"close {label}", "scenario_seed": str(seed)},
    )
