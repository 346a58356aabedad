"""Models by name, and the one function that fits a model and samples a forecast.

Every registered factory takes the horizons to forecast, because the LightGBM model
trains one set of trees for those horizons and the ensemble learns its weights for
them; the other models ignore them.

The recommended model is ``ensemble``, and its selection rule is fixed (decision 0010):
at every origin, CRPS-optimal mixture weights over the candidates below, learned on the
five validation origins one year apart whose forecast months (at the same horizons)
all lie at or before the origin, so no window's own outcomes enter the forecast scored
on it. The rule was fixed before any 2018-2023 window was scored with the 1990-2016
history; since it sees only the past, adding a candidate later is fair. Panels of
PRIO-GRID scale (more than ``base.GRID_UNITS`` units) use two validation origins and
score a sample of their quiet cells (the decision's size provision); the cm and admin
panels are far below that size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sentinelle.forecast.analogue import AnalogueModel
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
from sentinelle.forecast.markov import MarkovModel
from sentinelle.registry import Registry

__all__ = ["MODELS", "RECOMMENDED_MODEL", "ModelFactory", "get_model", "make_forecast"]

ModelFactory = Callable[[Sequence[int]], Forecaster]

RECOMMENDED_MODEL = "ensemble"
# Validation origins of the selection rule, one year apart (decision 0010).
VALIDATION_ORIGINS = 5
# On a PRIO-GRID-scale panel (``base.GRID_UNITS``), decision 0010's size provision:
# one validation year there holds more active unit-months than five at cm scale.
GRID_VALIDATION_ORIGINS = 2


def _ensemble(horizons: Sequence[int]) -> Forecaster:
    """The recommended mixture of every candidate, weighted on past validation origins."""
    members: list[tuple[str, Callable[[], Forecaster]]] = [
        ("negbin_6", lambda: NegBinModel(window=6)),
        ("negbin_12", lambda: NegBinModel(window=12)),
        ("hurdle_6", lambda: HurdleModel(window=6)),
        ("hurdle_12", lambda: HurdleModel(window=12)),
        ("lightgbm", lambda: LightGBMModel(horizons=horizons)),
        ("analogue", lambda: AnalogueModel(horizons=horizons)),
        ("markov", lambda: MarkovModel(horizons=horizons)),
        ("conflictology", ConflictologyModel),
    ]
    return EnsembleModel(
        members,
        validation_horizons=horizons,
        n_windows=VALIDATION_ORIGINS,
        grid_windows=GRID_VALIDATION_ORIGINS,
    )


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
        "analogue": lambda horizons: AnalogueModel(horizons=horizons),
        "markov": lambda horizons: MarkovModel(horizons=horizons),
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
