"""Probabilistic forecasts of fatalities as sample draws per unit-month.

Models share one interface (``Forecaster``): ``fit(panel, origin, target)`` on the
panel up to the origin month, then ``sample(horizons, n_draws, rng)``. ``MODELS`` holds
them by name: the VIEWS challenge benchmarks (``zero``, ``last``, ``conflictology``,
``boot_240``), count models (``negbin``, ``hurdle``), a LightGBM hurdle model
(``lightgbm``), analogue matching of recent trajectories (``analogue``), a Markov model
of intensity states (``markov``) and the recommended mixture of them (``ensemble``,
weighted at each origin on validation origins before it). It is a
:class:`~sentinelle.registry.Registry`: a plug-in adds its factory with
``MODELS.register(name, factory)`` and ``make_forecast(..., model=name)`` uses it.

Origins are VIEWS month ids (``sentinelle.geo.months.month_id_from_str("2023-10")``)::

    forecast = make_forecast(panel, origin=526, horizons=range(1, 37), n_draws=1000)
    save_forecast(forecast, "forecast.parquet", unit="cm")   # a file with provenance
    store_forecast(con, forecast, unit="cm")                  # the store, for readers

The model registry (``MODELS``, ``RECOMMENDED_MODEL``, ``get_model``,
``make_forecast``) is loaded on first use: it imports LightGBM and scikit-learn, seconds
that readers of stored forecasts (alerts, briefings, the dashboard) need not pay.
"""

from typing import TYPE_CHECKING, Any

from sentinelle.forecast.base import (
    TARGETS,
    Forecast,
    Forecaster,
    History,
)
from sentinelle.forecast.export import (
    load_forecast,
    save_forecast,
    to_views_frame,
    write_views_parquet,
)
from sentinelle.forecast.scenario import BaseClosure, apply_scenario
from sentinelle.forecast.store import forecast_summary, latest_forecast_run, store_forecast
from sentinelle.sources.views_data import load_views_cm

if TYPE_CHECKING:
    from sentinelle.forecast.registry import MODELS, RECOMMENDED_MODEL, get_model, make_forecast

_REGISTRY_NAMES = frozenset({"MODELS", "RECOMMENDED_MODEL", "get_model", "make_forecast"})


def __getattr__(name: str) -> Any:
    """The registry's names, imported when first asked for (PEP 562)."""
    if name in _REGISTRY_NAMES:
        from sentinelle.forecast import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODELS",
    "RECOMMENDED_MODEL",
    "TARGETS",
    "BaseClosure",
    "Forecast",
    "Forecaster",
    "History",
    "apply_scenario",
    "forecast_summary",
    "get_model",
    "latest_forecast_run",
    "load_forecast",
    "load_views_cm",
    "make_forecast",
    "save_forecast",
    "store_forecast",
    "to_views_frame",
    "write_views_parquet",
]
