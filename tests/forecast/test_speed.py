"""The PRIO-GRID speed path: exact shortcuts, the unit-subset draws, and its CRPS.

Decision 0010's size provision: panels of more than ``base.GRID_UNITS`` units score
the ensemble's validation forecasts on a sample of quiet units, use fewer validation
origins, and train LightGBM on sampled rows. Smaller panels (cm, admin units) take the
all-unit path. The CRPS check runs the real models on a small panel with
``GRID_UNITS`` lowered, against the same ensemble with the provisions off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import ForecastError
from sentinelle.forecast import base
from sentinelle.forecast.analogue import AnalogueModel
from sentinelle.forecast.base import History
from sentinelle.forecast.benchmarks import ConflictologyModel, ZeroModel
from sentinelle.forecast.counts import HurdleModel, NegBinModel
from sentinelle.forecast.ensemble import EnsembleModel, mean_abs_differences
from sentinelle.forecast.features import feature_cube, trailing
from sentinelle.forecast.gbm import LightGBMModel
from sentinelle.forecast.markov import MarkovModel
from sentinelle.scoring import crps_ensemble, expected_abs_difference
from tests.forecast.panels import synthetic_panel

HORIZONS = list(range(1, 13))


def _pairwise(draws, observed, weight):
    y = observed[:, None]
    error = [(expected_abs_difference(d, y) * weight).sum() / weight.sum() for d in draws]
    spread = [
        [(expected_abs_difference(a, b) * weight).sum() / weight.sum() for b in draws]
        for a in draws
    ]
    return np.array(error), np.array(spread)


@pytest.mark.parametrize("scale", [0.0, 3.0, 60.0, 3000.0])
def test_mean_abs_differences_equal_the_pairwise_means(scale):
    rng = np.random.default_rng(1)
    rows = 40
    # Zero rows, small counts (integer grid) and large ones (sorted union), mixed.
    means = scale * rng.exponential(size=(rows, 1)) * (rng.uniform(size=(rows, 1)) < 0.7)
    draws = [rng.poisson(means * f, size=(rows, d)) for f, d in ((1, 30), (2, 30), (0.5, 17))]
    observed = rng.poisson(means[:, 0]).astype(float)
    weight = rng.uniform(0.5, 3.0, size=rows)
    error, spread = mean_abs_differences(draws, observed, weight)
    want_error, want_spread = _pairwise(draws, observed, weight)
    np.testing.assert_allclose(error, want_error, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(spread, want_spread, rtol=1e-10, atol=1e-12)


def test_mean_abs_differences_fall_back_on_non_integer_observations():
    rng = np.random.default_rng(2)
    draws = [rng.poisson(3.0, size=(10, 8)) for _ in range(2)]
    observed = rng.uniform(0, 5, size=10)
    weight = np.ones(10)
    error, spread = mean_abs_differences(draws, observed, weight)
    want_error, want_spread = _pairwise(draws, observed, weight)
    np.testing.assert_allclose(error, want_error)
    np.testing.assert_allclose(spread, want_spread)


def test_trailing_statistics_equal_pandas_on_every_column():
    rng = np.random.default_rng(3)
    values = rng.poisson(0.3, size=(30, 12)).astype(float)
    values[:, :4] = 0.0  # all-zero units are not rolled
    values[5, 6] = np.nan
    for how in ("mean", "max"):
        want = pd.DataFrame(values).rolling(6, min_periods=1).agg(how).to_numpy()
        np.testing.assert_array_equal(trailing(values, 6, how), want)


def test_analogues_with_many_quiet_trajectories_equal_a_brute_force_search():
    rng = np.random.default_rng(4)
    library = np.log1p(rng.poisson(2.0, size=(300, 6)) * (rng.uniform(size=(300, 1)) < 0.2))
    rows = np.vstack([np.zeros((1, 6)), library[rng.integers(0, 300, 5)], np.log1p(np.eye(6))])
    model = AnalogueModel(horizons=[1], window=6, k=10)
    found = model._nearest(library, rows)
    norms = (library**2).sum(axis=1)
    for row, got in zip(rows, found, strict=True):
        distance = norms - 2.0 * library @ row + row @ row
        kth = np.partition(distance, 9)[9]
        np.testing.assert_array_equal(got, np.flatnonzero(distance <= kth + 1e-6))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel(n_units=300, n_months=72, active_share=0.1, seed=5)


MEMBERS = {
    "negbin": lambda: NegBinModel(window=6),
    "hurdle": lambda: HurdleModel(window=12),
    "conflictology": ConflictologyModel,
    "analogue": lambda: AnalogueModel(horizons=HORIZONS),
    "markov": lambda: MarkovModel(horizons=HORIZONS),
    "lightgbm": lambda: LightGBMModel(horizons=HORIZONS, n_estimators=30),
    "zero": ZeroModel,  # the base class's default subset draws
}


@pytest.mark.parametrize("name", list(MEMBERS))
def test_drawing_every_unit_by_id_is_the_full_draw(panel, name):
    model = MEMBERS[name]().fit(panel, int(panel["month_id"].max()))
    ids = model.history.unit_ids
    full = model.sample(HORIZONS, 20, np.random.default_rng(0))
    by_id = model.sample(HORIZONS, 20, np.random.default_rng(0), units=ids)
    np.testing.assert_array_equal(full.draws, by_id.draws)
    some = model.sample(HORIZONS, 20, np.random.default_rng(0), units=ids[::7])
    assert some.draws.shape == (ids[::7].size, len(HORIZONS), 20)
    np.testing.assert_array_equal(some.unit_ids, ids[::7])
    with pytest.raises(ForecastError, match="unit ids"):
        model.sample(HORIZONS, 5, np.random.default_rng(0), units=[ids[-1] + 1])


def test_cm_sized_panels_take_the_all_unit_path():
    assert not base.is_grid_scale(191)
    assert base.is_grid_scale(10_000)


def test_grid_lightgbm_sizes_train_on_every_positive_row(panel, monkeypatch):
    monkeypatch.setattr(base, "GRID_UNITS", 100)
    history = History.from_panel(panel, int(panel["month_id"].max()) - 12, "ged_sb")
    model = LightGBMModel(horizons=[1, 2, 3], grid_train_rows=2000, grid_size_rounds=5)
    cube, model.feature_names = feature_cube(history)
    (x, y, weight), (x_size, y_size) = model._grid_rows(cube, history.y)
    u, t, h = model._candidate_rows(history.y)
    outcome = history.y[u, t + h]
    # The classifier's rows are sampled and up-weighted to stand for all of them ...
    assert len(y) < outcome.size / 2
    assert weight.sum() == pytest.approx(outcome.size, rel=0.1)
    # ... the size regressions see every positive row, each once.
    np.testing.assert_array_equal(y_size, outcome[outcome > 0])
    assert x_size.shape == (int((outcome > 0).sum()), x.shape[1])
    fitted = model.fit_history(history)
    assert all(booster.current_iteration() == 5 for booster in fitted._regressors)
    draws = fitted.sample([1, 2, 3], 50, np.random.default_rng(0)).draws
    active = np.nan_to_num(history.y[:, -12:]).max(axis=1) > 0
    assert (draws[active] > 0).mean() > (draws[~active] > 0).mean()


def _ensemble() -> EnsembleModel:
    members = [
        ("negbin_6", lambda: NegBinModel(window=6)),
        ("hurdle_12", lambda: HurdleModel(window=12)),
        (
            "lightgbm",
            lambda: LightGBMModel(horizons=HORIZONS, n_estimators=15, grid_train_rows=4000),
        ),
        ("analogue", lambda: AnalogueModel(horizons=HORIZONS)),
        ("markov", lambda: MarkovModel(horizons=HORIZONS)),
        ("conflictology", ConflictologyModel),
    ]
    return EnsembleModel(
        members, validation_horizons=HORIZONS, n_windows=2, quiet_sample=60, grid_windows=1
    )


def _held_out_crps(
    panel: pd.DataFrame, grid_units: int, monkeypatch
) -> tuple[float, EnsembleModel]:
    monkeypatch.setattr(base, "GRID_UNITS", grid_units)
    origin = int(panel["month_id"].max()) - len(HORIZONS)
    model = _ensemble().fit(panel, origin)
    forecast = model.sample(HORIZONS, 200, np.random.default_rng(0))
    actual = panel.pivot(index="unit_id", columns="month_id", values="ged_sb")
    observed = actual.loc[forecast.unit_ids, forecast.month_ids].to_numpy()
    draws = forecast.draws.reshape(-1, forecast.n_draws)
    return float(crps_ensemble(observed.ravel(), draws).mean()), model


# The grid path may lose at most this share of CRPS to the reference path on the
# held-out year (sampling noise of the quiet units, two validation origins, sampled rows).
CRPS_TOLERANCE = 0.05


def test_grid_path_crps_is_no_worse_than_the_reference_path(panel, monkeypatch):
    fast, fast_model = _held_out_crps(panel, grid_units=100, monkeypatch=monkeypatch)
    reference, reference_model = _held_out_crps(panel, grid_units=10**6, monkeypatch=monkeypatch)
    # The provisions did apply to one fit and not to the other.
    assert fast_model.n_validation_windows == 1
    assert reference_model.n_validation_windows == 2
    assert fast <= reference * (1 + CRPS_TOLERANCE), (fast, reference)
