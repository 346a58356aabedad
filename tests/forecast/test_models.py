"""Every model: interface, no data after the origin, and each family's distribution."""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from sentinelle.forecast import MODELS, Forecast, Forecaster, get_model, make_forecast
from sentinelle.forecast.analogue import AnalogueModel
from sentinelle.forecast.base import History
from sentinelle.forecast.benchmarks import Boot240Model, ConflictologyModel, LastModel
from sentinelle.forecast.counts import (
    HurdleModel,
    NegBinModel,
    sample_negbin,
    truncated_negbin_params,
)
from sentinelle.forecast.ensemble import EnsembleModel, mixture_weights
from sentinelle.forecast.features import feature_cube
from sentinelle.forecast.gbm import LightGBMModel
from sentinelle.forecast.markov import MarkovModel, intensity_class
from tests.forecast.panels import synthetic_panel

PANEL = synthetic_panel()
ORIGIN = 455  # 56 months of history, 16 months after it in the panel
HORIZONS = [1, 2, 3, 6]


def small(name: str) -> object:
    """Registry model; the ensemble and LightGBM with fewer validation windows and trees."""
    model = get_model(name, HORIZONS)
    if isinstance(model, LightGBMModel):
        model.params["n_estimators"] = 30
    if isinstance(model, EnsembleModel):
        model.n_windows = 1
        model.validation_draws = 50
    return model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_samples_non_negative_integer_draws_for_every_unit(name: str) -> None:
    model = small(name)
    forecast = model.fit(PANEL, ORIGIN).sample(HORIZONS, 40, np.random.default_rng(0))
    assert isinstance(forecast, Forecast)
    assert forecast.draws.shape == (PANEL["unit_id"].nunique(), len(HORIZONS), 40)
    assert forecast.draws.dtype == np.int32
    assert (forecast.draws >= 0).all()
    assert forecast.model == name
    assert forecast.origin == ORIGIN
    assert list(forecast.month_ids) == [ORIGIN + h for h in HORIZONS]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_no_model_reads_data_after_its_origin(name: str) -> None:
    """Scrambling or deleting every row after the origin leaves the draws unchanged."""
    future = PANEL["month_id"] > ORIGIN
    scrambled = PANEL.copy()
    rng = np.random.default_rng(99)
    for column in ("ged_sb", "ged_os", "wdi_sp_pop_totl"):
        scrambled.loc[future, column] = rng.permutation(scrambled.loc[future, column].to_numpy())
    scrambled.loc[future, "ged_sb"] *= 1000
    panels = [PANEL, scrambled, PANEL.loc[~future]]
    draws = [
        small(name).fit(p, ORIGIN).sample(HORIZONS, 30, np.random.default_rng(7)).draws
        for p in panels
    ]
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0], draws[2])


def test_history_holds_nothing_after_the_origin() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    assert history.panel["month_id"].max() == ORIGIN
    assert history.months[-1] == ORIGIN
    assert history.y.shape == (40, ORIGIN - 400 + 1)


def test_fit_rejects_unknown_targets_and_empty_history() -> None:
    with pytest.raises(ValueError, match="unknown target"):
        LastModel().fit(PANEL, ORIGIN, "deaths")
    with pytest.raises(ValueError, match="no rows"):
        LastModel().fit(PANEL, 100)
    with pytest.raises(ValueError, match="lacks columns"):
        LastModel().fit(PANEL, ORIGIN, "civ_deaths")


def test_sample_validates_its_arguments() -> None:
    model = LastModel().fit(PANEL, ORIGIN)
    with pytest.raises(ValueError, match="horizons"):
        model.sample([0, 1], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_draws"):
        model.sample([1], 0, np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="not fitted"):
        LastModel().sample([1], 10, np.random.default_rng(0))


def test_other_targets_are_forecast_from_their_own_column() -> None:
    panel = PANEL.assign(ged_os=0.0)
    forecast = make_forecast(panel, ORIGIN, [1, 2], model="negbin", n_draws=20, target="ged_os")
    assert forecast.target == "ged_os"
    assert (forecast.draws == 0).all()


# --- Benchmarks -------------------------------------------------------------------------


def test_last_is_poisson_around_the_origin_value() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    draws = LastModel().fit(PANEL, ORIGIN).sample([1], 4000, np.random.default_rng(0)).draws
    last = history.y[:, -1]
    np.testing.assert_allclose(draws[:, 0].mean(axis=1), last, rtol=0.1, atol=0.2)


def test_conflictology_uses_each_of_the_last_twelve_months_equally() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    draws = ConflictologyModel().fit(PANEL, ORIGIN).sample([1, 5], 1000, np.random.default_rng(1))
    for unit in (1, 4, 17):
        window = history.y[unit, -12:]
        got = value_counts(draws.draws[unit, 1])
        expected = value_counts(np.repeat(window, 1000 // 12))
        # Each month is used 83 or 84 times (1000 = 12 * 83 + 4).
        for value, n in expected.items():
            assert n <= got[value] <= n + 4 * (window == value).sum()


def value_counts(values: np.ndarray) -> dict[float, int]:
    uniques, counts = np.unique(values, return_counts=True)
    return dict(zip(uniques.tolist(), counts.tolist(), strict=True))


def test_boot_240_draws_from_the_pooled_recent_values() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    draws = Boot240Model(window=24).fit(PANEL, ORIGIN).sample([1], 200, np.random.default_rng(2))
    assert set(np.unique(draws.draws)) <= set(np.unique(history.y[:, -24:]))
    # Same distribution for every unit: the share of zeros is alike across units.
    zero_share = (draws.draws == 0).mean(axis=(1, 2))
    assert zero_share.std() < 0.06


# --- Count models ------------------------------------------------------------------------


def test_negbin_matches_the_window_moments() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    model = NegBinModel(window=12).fit(PANEL, ORIGIN)
    draws = model.sample([1], 20000, np.random.default_rng(3)).draws[:, 0].astype(float)
    window = history.y[:, -12:]
    busy = window.mean(axis=1) > 1
    np.testing.assert_allclose(draws.mean(axis=1)[busy], window.mean(axis=1)[busy], rtol=0.08)
    assert (draws[window.max(axis=1) == 0] == 0).all()


def test_sample_negbin_is_poisson_for_infinite_size_and_zero_for_zero_mean() -> None:
    rng = np.random.default_rng(4)
    mean, size = np.array([[0.0], [5.0], [5.0]]), np.array([[1.0], [np.inf], [0.5]])
    draws = sample_negbin(mean, size, (3, 50000), rng)
    assert (draws[0] == 0).all()
    assert draws[1].var() == pytest.approx(5.0, rel=0.05)
    assert draws[2].var() == pytest.approx(5.0 + 25.0 / 0.5, rel=0.08)


def test_truncated_negbin_params_reproduce_the_truncated_moments() -> None:
    mu_true, size_true = np.array([0.8, 3.0, 50.0]), np.array([0.7, 2.0, 0.4])
    p0 = (size_true / (size_true + mu_true)) ** size_true
    pos_mean = mu_true / (1 - p0)
    second = (mu_true + mu_true**2 * (1 + 1 / size_true)) / (1 - p0)
    mu, size = truncated_negbin_params(pos_mean, second - pos_mean**2, iterations=500)
    np.testing.assert_allclose(mu, mu_true, rtol=1e-4)
    np.testing.assert_allclose(size, size_true, rtol=1e-4)


def test_hurdle_draws_respect_the_zero_part_and_truncation() -> None:
    model = HurdleModel(window=12).fit(PANEL, ORIGIN)
    draws = model.sample([1], 20000, np.random.default_rng(5)).draws[:, 0]
    np.testing.assert_allclose((draws > 0).mean(axis=1), model._p_event, atol=0.015)
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    quiet = np.nansum(history.y[:, -12:], axis=1) == 0
    # Quiet units keep a small, shrunk chance of fatalities, busy ones a large one.
    assert model._p_event[quiet].max() < 0.2
    assert model._p_event[~quiet].mean() > 0.5


# --- LightGBM ----------------------------------------------------------------------------


def test_lightgbm_forecasts_more_for_units_with_more_recent_violence() -> None:
    model = LightGBMModel(horizons=[1, 3], n_estimators=40).fit(PANEL, ORIGIN)
    draws = model.sample([1, 3], 500, np.random.default_rng(6)).draws
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    recent = history.y[:, -6:].mean(axis=1)
    median = np.median(draws[:, 0], axis=1)
    assert np.corrcoef(np.log1p(recent), np.log1p(median))[0, 1] > 0.8
    quiet = history.y[:, -24:].max(axis=1) == 0
    assert (draws[quiet] == 0).mean() > 0.9
    assert (draws[recent > 10] == 0).mean() < 0.2


def test_lightgbm_refuses_untrained_horizons_and_degenerate_data() -> None:
    model = LightGBMModel(horizons=[1, 2], n_estimators=10).fit(PANEL, ORIGIN)
    with pytest.raises(ValueError, match="not fitted for horizons"):
        model.sample([3], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="too few"):
        LightGBMModel(horizons=[1]).fit(PANEL.assign(ged_sb=0.0), ORIGIN)
    with pytest.raises(ValueError, match="quantiles"):
        LightGBMModel(quantiles=(0.5, 0.2))


def test_lightgbm_subsamples_quiet_rows_with_compensating_weights() -> None:
    history = History.from_panel(PANEL, ORIGIN, "ged_sb")
    cube, names = feature_cube(history)
    rows = {}
    for cap in (10**6, 4500):
        model = LightGBMModel(horizons=[1, 2, 3], max_train_rows=cap)
        model.feature_names = names
        rows[cap] = model._training_rows(cube, history.y)
    n_all = len(rows[10**6][1])
    assert n_all == 40 * (3 * 56 - 1 - 2 - 3)
    _, y, weight = rows[4500]
    assert len(y) < n_all
    assert set(np.unique(weight)) == {1.0, weight.max()}
    # Up-weighting keeps the quiet rows' total weight: the sample stays unbiased.
    assert weight.sum() == pytest.approx(n_all, rel=0.1)


# --- Ensemble ----------------------------------------------------------------------------


def test_mixture_weights_pick_the_better_member_and_split_equals() -> None:
    # No spread (point forecasts): the CRPS is linear in w, all weight on the lower error.
    np.testing.assert_allclose(mixture_weights(np.array([1.0, 2.0]), np.zeros((2, 2))), [1, 0])
    spread = np.array([[1.0, 3.0], [3.0, 1.0]])
    np.testing.assert_allclose(mixture_weights(np.array([2.0, 2.0]), spread), [0.5, 0.5], atol=1e-6)


class ThousandModel(Forecaster):
    """A deliberately bad member: 1000 fatalities everywhere, always."""

    name = "thousand"

    def _fit(self, history: History) -> None:
        """Nothing to estimate."""

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        return np.full((self.history.unit_ids.size, horizons.size, n_draws), 1000)


def test_ensemble_learns_weights_only_from_validation_windows_before_the_origin() -> None:
    model = EnsembleModel(
        [("thousand", ThousandModel), ("negbin", lambda: NegBinModel(6))],
        validation_horizons=[1, 2, 3],
        n_windows=2,
        validation_draws=100,
    ).fit(PANEL, ORIGIN)
    history = model.history
    origins = model.validation_origins(history)
    assert origins == [ORIGIN - 3, ORIGIN - 15]
    assert all(o + 3 <= ORIGIN for o in origins)
    assert model.weights[1] > 0.99
    forecast = model.sample([1], 100, np.random.default_rng(0))
    assert json.loads(forecast.meta["weights"]) == pytest.approx(
        {"thousand": model.weights[0], "negbin": model.weights[1]}, abs=1e-4
    )
    # The scores behind the choice are recorded with it.
    assert json.loads(forecast.meta["validation_origins"]) == origins
    scores = json.loads(forecast.meta["validation_crps"])
    assert scores["negbin"] < scores["thousand"]
    assert scores["thousand"] > 900  # 1000 draws against counts in the tens


def test_selection_weights_and_scores_ignore_data_after_the_origin() -> None:
    """The selection step reads nothing after its origin: same weights, same scores."""
    future = PANEL["month_id"] > ORIGIN
    scrambled = PANEL.copy()
    scrambled.loc[future, "ged_sb"] = 10_000.0
    fitted = [
        EnsembleModel(
            [("negbin", lambda: NegBinModel(6)), ("analogue", lambda: AnalogueModel([1, 2]))],
            validation_horizons=[1, 2],
            n_windows=2,
            validation_draws=60,
        ).fit(panel, ORIGIN)
        for panel in (PANEL, scrambled, PANEL.loc[~future])
    ]
    for other in fitted[1:]:
        np.testing.assert_array_equal(other.weights, fitted[0].weights)
        np.testing.assert_array_equal(other.validation_crps, fitted[0].validation_crps)


def test_ensemble_without_enough_history_weights_members_equally() -> None:
    short = PANEL.loc[PANEL["month_id"] >= ORIGIN - 10]
    model = EnsembleModel(
        [("last", LastModel), ("negbin", lambda: NegBinModel(6))], validation_horizons=[1, 2]
    ).fit(short, ORIGIN)
    assert model.n_validation_windows == 0
    np.testing.assert_allclose(model.weights, [0.5, 0.5])


def test_ensemble_mixes_draws_in_proportion_to_the_weights() -> None:
    model = EnsembleModel(
        [("zero", lambda: get_model("zero", [1])), ("last", LastModel)],
        validation_horizons=[1],
        n_windows=0,
    ).fit(PANEL.assign(ged_sb=50.0), ORIGIN)
    model.weights = np.array([0.25, 0.75])
    draws = model.sample([1], 4000, np.random.default_rng(8)).draws
    assert (draws == 0).mean() == pytest.approx(0.25, abs=0.02)


# --- Analogues and the Markov model ------------------------------------------------------


def _panel_of(series: dict[int, npt.NDArray[np.float64]], first: int = 300) -> pd.DataFrame:
    return pd.concat(
        pd.DataFrame(
            {"unit_id": unit, "month_id": first + np.arange(values.size), "ged_sb": values}
        )
        for unit, values in series.items()
    )


def test_analogues_forecast_what_followed_the_same_trajectory() -> None:
    # A six-month cycle: every past 12-month trajectory ending in the same phase is an
    # exact analogue, so the forecast is the cycle's continuation, at every draw.
    cycle = np.tile([0.0, 5, 20, 60, 20, 5], 20)
    panel = _panel_of({1: cycle, 2: 3 * cycle})
    origin = 300 + 100
    model = AnalogueModel(horizons=[1, 2, 3], k=5).fit(panel, origin)
    draws = model.sample([1, 2, 3], 50, np.random.default_rng(0)).draws
    for row, unit in enumerate((1, 2)):
        truth = panel[panel["unit_id"] == unit].set_index("month_id")["ged_sb"]
        for col, h in enumerate((1, 2, 3)):
            assert np.unique(draws[row, col]).tolist() == [truth[origin + h]]


def test_analogues_of_a_quiet_unit_are_all_quiet_spells() -> None:
    quiet = np.zeros(60)
    panel = _panel_of({1: quiet, 2: np.r_[quiet[:30], np.full(30, 40.0)]})
    model = AnalogueModel(horizons=[1], k=3).fit(panel, 359)
    # Every all-zero trajectory of both units ties with the k-th: all are analogues.
    assert model._neighbours[0].size > 3


def test_intensity_classes_and_markov_states_follow_the_level() -> None:
    assert intensity_class([0, 1, 10, 11, 100, 101, 1000, 1001]).tolist() == [
        0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    rng = np.random.default_rng(3)
    panel = _panel_of(
        {unit: rng.poisson(400.0, 120).astype(float) for unit in range(1, 6)}
        | {unit: np.zeros(120) for unit in range(6, 11)}
    )
    draws = MarkovModel(horizons=[1, 6]).fit(panel, 419).sample([1, 6], 500, rng).draws
    war, peace = draws[:5], draws[5:]
    assert (intensity_class(war) == 3).mean() > 0.95
    assert (peace == 0).mean() > 0.95
    with pytest.raises(ValueError, match="not fitted for horizons"):
        MarkovModel(horizons=[1]).fit(panel, 419).sample([2], 5, rng)


def test_registry_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        get_model("prophet", [1])


def test_make_forecast_records_the_data_version() -> None:
    panel = PANEL.copy()
    panel.attrs["data_version"] = "test-v1"
    forecast = make_forecast(panel, ORIGIN, [1], model="zero", n_draws=5)
    assert forecast.data_version == "test-v1"
    unversioned = make_forecast(PANEL, ORIGIN, [1], model="zero", n_draws=5)
    assert unversioned.data_version.startswith("sha256:")
    changed = PANEL.assign(ged_sb=PANEL["ged_sb"] + 1)
    assert make_forecast(changed, ORIGIN, [1], "zero", 5).data_version != unversioned.data_version


def test_to_frame_is_tidy_and_matches_the_array() -> None:
    forecast = make_forecast(PANEL, ORIGIN, [2, 4], model="last", n_draws=3)
    frame = forecast.to_frame()
    assert list(frame.columns) == ["month_id", "unit_id", "draw", "outcome"]
    assert len(frame) == 40 * 2 * 3
    row = frame.loc[(frame["month_id"] == ORIGIN + 4) & (frame["unit_id"] == 5)]
    np.testing.assert_array_equal(row["outcome"], forecast.draws[4, 1])
    block = forecast.for_months([5, 6], [ORIGIN + 4])
    np.testing.assert_array_equal(block, forecast.draws[[4, 5], 1])
    with pytest.raises(KeyError):
        forecast.for_months([999], [ORIGIN + 4])


def test_units_present_only_in_earlier_months_are_still_forecast() -> None:
    panel = pd.concat([PANEL, pd.DataFrame({"unit_id": [99], "month_id": [420], "ged_sb": [3.0]})])
    forecast = make_forecast(panel, ORIGIN, [1], model="conflictology", n_draws=12)
    assert 99 in forecast.unit_ids
    assert (forecast.draws[forecast.unit_ids == 99] == 0).all()
