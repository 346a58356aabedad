"""Probabilistic forecasts of fatalities as sample draws per unit-month.

Models share one interface (``Forecaster``): ``fit(panel, origin, target)`` on the
panel up to the origin month, then ``sample(horizons, n_draws, rng)``. ``MODELS`` holds
them by name: the VIEWS challenge benchmarks (``zero``, ``last``, ``conflictology``,
``boot_240``), count models (``negbin``, ``hurdle``), a LightGBM hurdle model
(``lightgbm``) and the recommended mixture of them (``ensemble``).

>>> from sentinelle.forecast import make_forecast, month_id
>>> # make_forecast(panel, origin=month_id("2023-10"), horizons=range(1, 37))
"""

from sentinelle.forecast.base import (
    TARGETS,
    Forecast,
    Forecaster,
    History,
    month_id,
    month_label,
)
from sentinelle.forecast.export import (
    load_forecast,
    save_forecast,
    to_views_frame,
    write_views_parquet,
)
from sentinelle.forecast.registry import MODELS, RECOMMENDED_MODEL, get_model, make_forecast
from sentinelle.forecast.views_data import load_views_cm

__all__ = [
    "MODELS",
    "RECOMMENDED_MODEL",
    "TARGETS",
    "Forecast",
    "Forecaster",
    "History",
    "get_model",
    "load_forecast",
    "load_views_cm",
    "make_forecast",
    "month_id",
    "month_label",
    "save_forecast",
    "to_views_frame",
    "write_views_parquet",
]
