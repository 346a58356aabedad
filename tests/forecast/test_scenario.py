"""Deployment scenarios: effects land on the right cells and months, with their uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sentinelle.forecast import BaseClosure, Forecast, apply_scenario
from sentinelle.geo import gid_from_latlon, haversine_km
from sentinelle.geo.priogrid import centroid

KIDAL = (18.44, 1.41)


def _forecast(gids: np.ndarray, n_draws: int = 4000) -> Forecast:
    rng = np.random.default_rng(0)
    return Forecast(
        model="negbin", target="civ_deaths", origin=520, unit_ids=gids,
        horizons=np.arange(1, 7), draws=rng.poisson(3.0, (gids.size, 6, n_draws)).astype(np.int32),
        data_version="v1",
    )  # fmt: skip


def _effects(effect: tuple[float, float], se: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"outcome": "civilian_deaths", "ring_lo_km": [0.0, 35.0], "ring_hi_km": [35.0, 80.0],
         "effect": list(effect), "se": se}
    )  # fmt: skip


def _cells() -> tuple[np.ndarray, np.ndarray]:
    """The cell of Kidal, cells around it, and their centroid distances to the base."""
    here = gid_from_latlon(*KIDAL)
    gids = np.array([here + d for d in (0, 1, -1, 720, 2, 4, 10)], dtype=np.int64)
    lat, lon = centroid(gids)
    return gids, haversine_km(lat, lon, *KIDAL)


def test_closure_shifts_ring_cells_after_the_closure_month_only() -> None:
    gids, dist = _cells()
    base = _forecast(gids)
    closes = BaseClosure("Kidal", *KIDAL, month_id=523)  # horizons 3..6 are after it
    as_if = apply_scenario(base, [closes], _effects((2.0, 1.0)))
    delta = as_if.draws.mean(axis=2) - base.draws.mean(axis=2)
    after = base.month_ids >= 523
    expected = np.select([dist < 35, dist < 80], [2.0, 1.0], 0.0)
    np.testing.assert_allclose(delta[:, ~after], 0.0)
    np.testing.assert_allclose(delta[:, after], np.repeat(expected[:, None], after.sum(), 1),
                               atol=0.12)  # fmt: skip
    assert (dist >= 80).any() and (dist < 35).any()
    assert as_if.model == "negbin+close:Kidal@2023-07"
    assert as_if.meta["scenario"] == "close Kidal@2023-07"


def test_negative_effects_reduce_but_never_below_zero_and_se_widens() -> None:
    gids, dist = _cells()
    base = _forecast(gids)
    closes = BaseClosure("Kidal", *KIDAL, month_id=521)
    fewer = apply_scenario(base, [closes], _effects((-5.0, 0.0)))
    core = dist < 35
    assert (fewer.draws >= 0).all()
    assert fewer.draws[core].mean() < 0.5 < base.draws[core].mean()
    sure = apply_scenario(base, [closes], _effects((2.0, 0.0)), seed=1)
    unsure = apply_scenario(base, [closes], _effects((2.0, 0.0), se=3.0), seed=1)
    assert unsure.draws[core].std() > sure.draws[core].std()


def test_refuses_other_outcomes_and_empty_scenarios() -> None:
    gids, _ = _cells()
    closes = BaseClosure("Kidal", *KIDAL, month_id=521)
    other = Forecast(**{**_forecast(gids).__dict__, "target": "ged_sb"})
    with pytest.raises(ValueError, match="forecast the same outcome"):
        apply_scenario(other, [closes], _effects((1.0, 1.0)))
    with pytest.raises(ValueError, match="at least one"):
        apply_scenario(_forecast(gids), [], _effects((1.0, 1.0)))
