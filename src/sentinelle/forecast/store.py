"""Forecasts kept in the store, where briefings, alerts and the dashboard read them.

``store_forecast`` writes a forecast's draws to ``forecast_draws`` and its provenance
(model, target, unit level, origin, data version) to ``forecast_runs`` in one
transaction. Storing the same model, target, level and origin on the same data
version again replaces that run rather than adding a second copy, so re-running the
main job is idempotent. ``forecast_summary`` reduces draws to what people read: mean,
median, quantiles and the probability of reaching a threshold, computed in DuckDB so
a 10,000-cell forecast never has to be loaded into memory as draws. Forecasts of admin
units record their P-codes and names in the run's meta (an admin panel's unit ids are
positions in its boundary file), and ``forecast_summary`` adds them to its rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from sentinelle.forecast.base import Forecast
from sentinelle.forecast.export import unit_column, units_of
from sentinelle.store import records, transaction

__all__ = ["forecast_summary", "latest_forecast_run", "store_forecast"]

SUMMARY_COLUMNS = ["unit_id", "month_id", "mean", "median", "q05", "q25", "q75", "q95", "p_exceed"]


def store_forecast(con: duckdb.DuckDBPyConnection, forecast: Forecast, unit: str = "cm") -> int:
    """Write ``forecast`` to the store; return its run id.

    Examples
    --------
    >>> run_id = store_forecast(con, make_forecast(panel, 528, range(1, 13)))  # doctest: +SKIP
    >>> forecast_summary(con, run_id).head()                                 # doctest: +SKIP
    """
    unit_column(unit)  # refuses a unit level no file or reader knows
    draws = forecast.to_frame()
    months = forecast.origin + forecast.horizons
    key = [forecast.model, forecast.target, unit, forecast.origin, forecast.data_version]
    with transaction(con):
        old = con.execute(
            "SELECT run_id FROM forecast_runs WHERE model = ? AND target = ? AND unit = ? "
            "AND origin = ? AND data_version = ?",
            key,
        ).fetchall()
        for (run_id,) in old:
            con.execute("DELETE FROM forecast_draws WHERE run_id = ?", [run_id])
            con.execute("DELETE FROM forecast_runs WHERE run_id = ?", [run_id])
        row = con.execute(
            "INSERT INTO forecast_runs (model, target, unit, origin, data_version, first_month, "
            "last_month, n_units, n_draws, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING run_id",
            [
                *key,
                int(months.min()),
                int(months.max()),
                int(forecast.unit_ids.size),
                int(forecast.draws.shape[2]),
                json.dumps(forecast.meta),
            ],
        ).fetchone()
        assert row is not None  # RETURNING always yields the inserted row
        run_id = int(row[0])
        con.register("_forecast_draws", draws)
        con.execute(
            "INSERT INTO forecast_draws SELECT ?, month_id, unit_id, draw, outcome "
            "FROM _forecast_draws",
            [run_id],
        )
        con.unregister("_forecast_draws")
    return run_id


def latest_forecast_run(
    con: duckdb.DuckDBPyConnection,
    unit: str = "cm",
    target: str = "ged_sb",
    max_origin: int | None = None,
    country: str | None = None,
) -> dict[str, Any] | None:
    """The most recent stored run for a unit level and target (latest origin, then newest).

    ``max_origin`` keeps runs made with data up to that month only: a briefing on a
    past month must not show a forecast that used later data. ``country`` (ISO3) keeps
    runs of a panel built for that country alone (admin units: ``meta.countries``).
    """
    found = records(
        con.execute(
            "SELECT * FROM forecast_runs WHERE unit = ? AND target = ? "
            "AND origin <= coalesce(?, origin) "
            "AND (CAST(? AS VARCHAR) IS NULL "
            "     OR json_extract_string(meta, '$.countries') = CAST(? AS VARCHAR)) "
            "ORDER BY origin DESC, created_at DESC, run_id DESC LIMIT 1",
            [unit, target, max_origin, country, country],
        )
    )
    return found[0] if found else None


def forecast_summary(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    unit_ids: Sequence[int] | None = None,
    threshold: float = 25,
) -> pd.DataFrame:
    """Per unit-month summary of a stored run's draws.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, month_id, mean, median, q05, q25, q75, q95, p_exceed`` where
        ``p_exceed`` is the share of draws with at least ``threshold`` fatalities (the
        challenge's "≥25 fatalities" event by default). Quantiles are of the draws.
        Runs that name their units (admin units) add ``unit_code`` and ``unit_name``.
    """
    where = "run_id = ?"
    params: list[object] = [threshold, run_id]
    if unit_ids is not None:
        where += " AND list_contains(?, unit_id)"
        params.append([int(u) for u in unit_ids])
    summary = con.execute(
        f"""
        SELECT unit_id, month_id, avg(outcome) AS mean,
               quantile_cont(outcome, 0.5) AS median,
               quantile_cont(outcome, 0.05) AS q05, quantile_cont(outcome, 0.25) AS q25,
               quantile_cont(outcome, 0.75) AS q75, quantile_cont(outcome, 0.95) AS q95,
               avg(CASE WHEN outcome >= ? THEN 1.0 ELSE 0.0 END) AS p_exceed
        FROM forecast_draws WHERE {where}
        GROUP BY unit_id, month_id ORDER BY unit_id, month_id
        """,
        params,
    ).df()[SUMMARY_COLUMNS]
    meta = con.execute("SELECT meta FROM forecast_runs WHERE run_id = ?", [run_id]).fetchone()
    units = units_of(json.loads(meta[0])) if meta and meta[0] else None
    if units is not None:
        summary = summary.merge(units, on="unit_id", how="left")
    return summary
