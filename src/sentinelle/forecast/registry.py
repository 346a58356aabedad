"""Models by name, and the one function that fits a model and samples a forecast.

Every registered factory takes the horizons to forecast, because the LightGBM model
trains one set of trees for those horizons and the ensemble learns its weights for
them; the other models ignore them.

The recommended model is ``ensemble``. Its design was fixed looking only at the 2018
and 2019 challenge windows and then frozen (members below, NB/hurdle windows 6 and 12
months, up to three validation origins a year apart); its mixture weights are learned
anew at every origin from validation origins inside the data before that origin, so no
window's own outcomes enter the forecast scored on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sentinelle.forecast.base import Forecast, Forecaster
from sentinelle.forecast.benchmarks import (
    Boot240Model,
    ConflictologyModel,
    LastModel,
    ZeroModel,
)
from sentinelle.forecast.counts import HurdleModel, NegBinModel
from sentinelle.forecast.ensemble import EnsembleModel
from sentinelle.forecast.gbm import LightGBMModel
from sentinelle.registry import Registry

__all__ = ["MODELS", "RECOMMENDED_MODEL", "ModelFactory", "get_model", "make_forecast"]

ModelFactory = Callable[[Sequence[int]], Forecaster]

RECOMMENDED_MODEL = "ensemble"


def _ensemble(horizons: Sequence[int]) -> Forecaster:
    """The recommended mixture: count models at two memory lengths, LightGBM, conflictology."""
    members: list[tuple[str, Callable[[], Forecaster]]] = [
        ("negbin_6", lambda: NegBinModel(window=6)),
        ("negbin_12", lambda: NegBinModel(window=12)),
        ("hurdle_6", lambda: HurdleModel(window=6)),
        ("hurdle_12", lambda: HurdleModel(window=12)),
        ("lightgbm", lambda: LightGBMModel(horizons=horizons)),
        ("conflictology", ConflictologyModel),
    ]
    return EnsembleModel(members, validation_horizons=horizons)


MODELS: Registry[ModelFactory] = Registry(
    "model",
    {
        "zero": lambda horizons: ZeroModel(),
        "last": lambda horizons: LastModel(),
        "conflictology": lambda horizons: ConflictologyModel(),
        "boot_240": lambda horizons: Boot240Model(),
        # Six months of memory had the lower CRPS of 6 and 12 on the 2018-2019 windows.
        "negbin": lambda horizons: NegBinModel(window=6),
        "hurdle": lambda horizons: HurdleModel(window=6),
        "lightgbm": lambda horizons: LightGBMModel(horizons=horizons),
        RECOMMENDED_MODEL: _ensemble,
    },
)


def get_model(name: str, horizons: Sequence[int]) -> Forecaster:
    """A new, unfitted model from the registry.

    Parameters
    ----------
    name : str
        A name in ``MODELS``.
    horizons : sequence of int
        Horizons the model will be asked to sample.

    Raises
    ------
    sentinelle.errors.UnknownNameError
        If ``MODELS`` has no model ``name``; the message lists the valid names.

    Examples
    --------
    >>> get_model("zero", [1]).name
    'zero'
    """
    return MODELS[name](list(horizons))


def make_forecast(
    panel: pd.DataFrame,
    origin: int,
    horizons: Sequence[int],
    model: str = RECOMMENDED_MODEL,
    n_draws: int = 1000,
    target: str = "ged_sb",
    seed: int = 0,
) -> Forecast:
    """Fit ``model`` on ``panel`` up to ``origin`` and sample ``n_draws`` per unit-month.

    Parameters
    ----------
    panel : pandas.DataFrame
        Unit-month panel (``unit_id``, ``month_id``, outcome and feature columns).
    origin : int
        VIEWS month id of the last month of data used (see ``base.month_id``).
    horizons : sequence of int
        Months after the origin to forecast, e.g. ``range(1, 37)``.
    model : str
        A name in ``MODELS``; plug-ins add theirs with ``MODELS.register(name, factory)``.
    n_draws : int
        Sample draws per unit-month.
    target : str
        Outcome column: ``ged_sb``, ``ged_ns``, ``ged_os`` or ``civ_deaths``.
    seed : int
        Seed of the sampling.

    Returns
    -------
    Forecast
        Draws with the model name, target, origin and the panel's data version.
    """
    forecaster = get_model(model, horizons).fit(panel, origin, target)
    return forecaster.sample(horizons, n_draws, np.random.default_rng(seed))
