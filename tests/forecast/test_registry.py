"""The model registry: plug-ins registered at run time, typos, and its lazy import."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from sentinelle.errors import UnknownNameError
from sentinelle.forecast import MODELS, Forecaster, History, get_model, make_forecast
from tests.forecast.panels import synthetic_panel

PANEL = synthetic_panel()
ORIGIN = 455


class SevenModel(Forecaster):
    """A plug-in forecasting seven fatalities everywhere."""

    name = "seven"

    def _fit(self, history: History) -> None:
        pass

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        return np.full((self.history.unit_ids.size, horizons.size, n_draws), 7)


@pytest.fixture
def plugged() -> Iterator[list[Sequence[int]]]:
    """Register the plug-in as ``seven``; yield the horizons its factory was called with."""
    calls: list[Sequence[int]] = []

    def factory(horizons: Sequence[int]) -> Forecaster:
        calls.append(horizons)
        return SevenModel()

    MODELS.register("seven", factory)
    try:
        yield calls
    finally:
        MODELS.unregister("seven")


def test_a_model_registered_at_run_time_is_used_by_make_forecast(
    plugged: list[Sequence[int]],
) -> None:
    forecast = make_forecast(PANEL, ORIGIN, [1, 3], model="seven", n_draws=4)
    assert plugged == [[1, 3]]
    assert forecast.model == "seven"
    assert (forecast.draws == 7).all()
    assert forecast.draws.shape == (PANEL["unit_id"].nunique(), 2, 4)


def test_a_typo_names_the_valid_models() -> None:
    with pytest.raises(UnknownNameError, match="unknown model 'ensembel'; choose from: zero, "):
        get_model("ensembel", [1])
    assert "seven" not in MODELS


def test_importing_the_package_does_not_load_lightgbm() -> None:
    # Readers of stored forecasts (alerts, briefings, the dashboard) import the package:
    # the registry, and with it LightGBM and scikit-learn, loads only when asked for.
    code = (
        "import sys, sentinelle.forecast as f\n"
        "assert 'lightgbm' not in sys.modules and 'sklearn' not in sys.modules\n"
        "f.MODELS\n"
        "assert 'lightgbm' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
