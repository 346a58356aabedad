"""Forecast and evaluation jobs: draws from a stored panel, and backtests of every model.

Models come from :data:`sentinelle.forecast.MODELS`, so a registered plug-in is
forecast with and backtested like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from sentinelle.errors import NoDataError, UsageError
from sentinelle.evaluate.backtest import BacktestResult, run_backtest, run_panel_backtest
from sentinelle.forecast import (
    MODELS,
    RECOMMENDED_MODEL,
    BaseClosure,
    Forecast,
    apply_scenario,
    make_forecast,
    store_forecast,
    write_views_parquet,
)
from sentinelle.forecast.export import write_forecast_tables
from sentinelle.forecast.subnational import ADMIN_UNITS, unit_panel
from sentinelle.geo import month_id_from_str, month_string
from sentinelle.i18n import Lang, translator
from sentinelle.impact import base_timeline, latest_impact, scenario_effect
from sentinelle.panel import read_panel
from sentinelle.steps import Step, no_step
from sentinelle.store.currency import (
    Coverage,
    currency_line,
    ingest_hint,
    panel_currency,
)


@dataclass(frozen=True)
class ForecastRun:
    """A forecast made, stored under ``run_id`` and written to ``path``."""

    model: str
    target: str
    origin: int
    run_id: int
    path: Path
    # CSV and XLSX tables written beside the Parquet file (admin units).
    tables: tuple[Path, ...] = ()


def run_forecast(
    con: duckdb.DuckDBPyConnection,
    origin: str | None,
    out: Path,
    *,
    unit: str = "cm",
    horizon: int = 12,
    draws: int = 1000,
    target: str | None = None,
    model: str | None = None,
    scenario: str | None = None,
    mission: str | None = None,
    source: str | None = None,
    country: str | None = None,
    lang: Lang = "en",
    step: Step = no_step,
) -> ForecastRun:
    """Forecast ``horizon`` months after ``origin`` from the stored ``unit`` panel.

    ``origin`` is the last month of data used (``YYYY-MM``; None: the last month of
    data behind the panel, see :func:`sentinelle.store.currency.panel_currency`). An
    origin after that month is refused with
    :class:`~sentinelle.errors.NoDataError`, whose message (in ``lang``) says how far
    the data goes and what to ingest: a forecast from months without data would be
    one of zeros. It is a missing-data error, not a :class:`ForecastError`, so the
    main job skips the stage with that reason instead of stopping.

    With ``scenario`` (``BASE@YYYY-MM,...``), the cells around those bases of
    ``mission`` get the effect of a closure that the stored impact estimate gives. The
    draws are stored and written to ``out`` in the VIEWS challenge layout.

    Admin units (``admin1``/``admin2``, e.g. from ``acled-hdx``): the stored panel must be
    of ``source`` and of ``country`` alone when they are given (see
    :func:`sentinelle.forecast.subnational.unit_panel`); ``target`` defaults to the
    panel's ``fatalities``; the forecast records each unit's P-code and name, and a
    summary (CSV, XLSX) and the draws (CSV) are written beside ``out``.

    Examples
    --------
    >>> run_forecast(con, "2023-10", Path("cm.parquet"), horizon=36).run_id  # doctest: +SKIP
    """
    name = model or RECOMMENDED_MODEL
    step("reading the panel")
    chosen = None
    if unit in ADMIN_UNITS or source or country:
        chosen = unit_panel(con, unit, source=source, country=country, target=target)
        panel, target = chosen.panel, chosen.target
    else:
        panel = read_panel(con, unit)
    target = target or "ged_sb"
    coverage = panel_currency(con, unit) or Coverage(
        unit, "panel", int(panel["month_id"].min()), int(panel["month_id"].max())
    )
    first = int(month_id_from_str(origin)) if origin else coverage.last_month
    if first > coverage.last_month:
        raise NoDataError(_after_the_data(first, unit, coverage, lang))
    step(f"fitting and sampling {draws} draws")
    result = make_forecast(
        panel, first, range(1, horizon + 1), model=name, n_draws=draws, target=target
    )
    if chosen is not None:
        result = replace(result, meta={**result.meta, **chosen.meta()})
    if scenario:
        step(f"applying the scenario {scenario}")
        result = _as_if(con, result, scenario, mission)
    step("storing the draws")
    run_id = store_forecast(con, result, unit=unit)
    path = write_views_parquet(result, out, unit=unit)
    tables: tuple[Path, ...] = ()
    if unit in ADMIN_UNITS:
        step("writing the CSV and XLSX tables")
        tables = tuple(write_forecast_tables(result, out, unit=unit))
    return ForecastRun(name, target, first, run_id, path, tables)


def _after_the_data(origin: int, unit: str, coverage: Coverage, lang: Lang) -> str:
    """The one-line refusal of a forecast origin after the last month of data."""
    t = translator(lang)
    hint = ingest_hint([coverage.source]).replace(" or ", " " + t.gettext("or") + " ")
    if coverage.source != "views-cm":
        hint += " " + t.gettext("then `sentinelle panel build --unit %(unit)s`") % {"unit": unit}
    return t.gettext(
        "The forecast origin %(origin)s is after the last month of data of the %(unit)s "
        "panel (%(currency)s): choose --origin %(last)s or earlier, or ingest newer "
        "data: %(hint)s."
    ) % {
        "origin": month_string(origin),
        "unit": unit,
        "currency": currency_line([coverage], lang),
        "last": month_string(coverage.last_month),
        "hint": hint,
    }


def _as_if(
    con: duckdb.DuckDBPyConnection, forecast: Forecast, scenario: str, mission: str | None
) -> Forecast:
    """``forecast`` as if the bases of ``scenario`` (``BASE@YYYY-MM,...``) close."""
    if not mission:
        raise UsageError("--scenario needs --mission (whose impact estimate to use)")
    # The effects are per ring in km around a base: only a cell design's apply to cells.
    stored = latest_impact(con, mission, unit="pgm")
    if stored is None:
        raise NoDataError(
            f"no cell-level (pgm) impact estimate for {mission} in the store: run "
            f"`sentinelle impact --mission {mission}` (cells)"
        )
    timeline = base_timeline(con, mission)
    bases: dict[str, tuple[float, float]] = {
        str(base): (float(lat), float(lon))
        for base, lat, lon in timeline[["base", "latitude", "longitude"]].to_numpy().tolist()
    }
    closures = []
    for item in scenario.split(","):
        name, _, month = item.strip().partition("@")
        if name not in bases:
            raise UsageError(f"{name!r} is not a {mission} base; bases: {', '.join(bases)}")
        closures.append(BaseClosure(name, *bases[name], month_id_from_str(month)))
    return apply_scenario(forecast, closures, scenario_effect(stored))


@dataclass(frozen=True)
class Evaluation:
    """A backtest run, and the tables and plots written to ``out``."""

    result: BacktestResult
    files: list[Path]
    out: Path


def run_evaluate(
    con: duckdb.DuckDBPyConnection,
    data: Path,
    years: Sequence[int],
    out: Path,
    *,
    draws: int = 1000,
    unit: str = "cm",
    source: str | None = None,
    country: str | None = None,
    target: str | None = None,
    models: Sequence[str] | None = None,
    step: Step = no_step,
) -> Evaluation:
    """Backtest every model on the VIEWS challenge windows ``years`` against the stored cm panel.

    ``data`` is the views-cm folder (its ``actuals/`` and ``benchmarks/``); the models
    are those registered when the job runs, plug-ins included (or ``models``).

    Another ``unit`` (admin units of ``source`` for ``country``, see
    :func:`sentinelle.forecast.subnational.unit_panel`) is backtested on the same windows
    against its own values, beside ``zero``, ``conflictology`` and ``boot_240`` fitted on
    the same units (:func:`sentinelle.evaluate.backtest.run_panel_backtest`); ``data``
    is then not read.
    """
    names = list(models) if models else list(MODELS)
    if unit != "cm":
        step(f"reading the {unit} panel")
        chosen = unit_panel(con, unit, source=source, country=country, target=target)
        step(f"backtesting {', '.join(str(y) for y in years)}")
        result = run_panel_backtest(
            chosen.panel,
            list(years),
            models=names,
            n_draws=draws,
            target=chosen.target,
            unit_names=chosen.unit_names(),
        )
        return Evaluation(result, result.write(out), out)
    step("reading the cm panel")
    panel = read_panel(con, "cm")
    step(f"backtesting {', '.join(str(y) for y in years)}")
    result = run_backtest(panel, data, list(years), models=names, n_draws=draws)
    return Evaluation(result, result.write(out), out)
