"""Writing and reading forecasts: Sentinelle's own file and the VIEWS challenge layout.

- ``save_forecast`` / ``load_forecast``: a Parquet file of tidy draws whose schema
  metadata records the model, target, origin, unit level and data version, so a stored
  forecast always says where it came from.
- ``to_views_frame`` / ``write_views_parquet``: the challenge submission layout, index
  ``(month_id, country_id | priogrid_gid, draw)`` and one column ``outcome``, the
  layout of the official benchmark files.
- ``forecast_table`` / ``write_forecast_tables``: what people open in a spreadsheet,
  beside the Parquet file: per unit and month the mean, median, 5-95% quantiles and the
  chance of reaching a threshold (CSV and XLSX, with the units' P-codes and names when
  the forecast records them), and every draw (``*_draws.csv``, one row per unit-month).
  Text that a spreadsheet would run as a formula is escaped (:mod:`sentinelle.tables`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sentinelle.errors import UsageError
from sentinelle.forecast.base import Forecast
from sentinelle.geo.months import month_string
from sentinelle.tables import escape_formulas, write_csv

__all__ = [
    "UNIT_COLUMNS",
    "forecast_table",
    "load_forecast",
    "save_forecast",
    "to_views_frame",
    "unit_column",
    "units_of",
    "write_forecast_tables",
    "write_views_parquet",
]

# Name of the unit key in exported files, by level of analysis. VIEWS has no admin-1
# level; its files would use the same pattern.
UNIT_COLUMNS = {
    "cm": "country_id",
    "pgm": "priogrid_gid",
    "admin1": "admin1_id",
    "admin2": "admin2_id",
}
# Keys of a forecast's meta naming its admin units (JSON objects keyed by unit id): an
# admin panel's unit ids are positions in its boundary file, not stable codes.
CODES_KEY, NAMES_KEY = "unit_codes", "unit_names"
# Quantiles of the tables, as in forecast_summary (linear interpolation of the draws).
_QUANTILES = {"q05": 0.05, "q25": 0.25, "q75": 0.75, "q95": 0.95}

_META_KEY = b"sentinelle.forecast"


def unit_column(unit: str) -> str:
    """The unit key of exported files at level ``unit``; a level without one is refused."""
    try:
        return UNIT_COLUMNS[unit]
    except KeyError:
        raise UsageError(
            f"unknown unit level {unit!r}; expected one of {sorted(UNIT_COLUMNS)}"
        ) from None


def to_views_frame(forecast: Forecast, unit: str = "cm") -> pd.DataFrame:
    """Draws in the challenge layout: index ``(month_id, <unit key>, draw)``, column ``outcome``."""
    frame = forecast.to_frame().rename(columns={"unit_id": unit_column(unit)})
    frame["outcome"] = frame["outcome"].astype(np.int32)
    return frame.set_index(["month_id", unit_column(unit), "draw"])


def write_views_parquet(forecast: Forecast, path: str | Path, unit: str = "cm") -> Path:
    """Write the challenge-layout Parquet file; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_views_frame(forecast, unit).to_parquet(path)
    return path


def save_forecast(forecast: Forecast, path: str | Path, unit: str = "cm") -> Path:
    """Store tidy draws with the forecast's provenance in the Parquet schema metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(forecast.to_frame(), preserve_index=False)
    meta = {
        **forecast.meta,
        "model": forecast.model,
        "target": forecast.target,
        "origin": forecast.origin,
        "unit": unit,
        "data_version": forecast.data_version,
    }
    schema_meta = {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
    pq.write_table(table.replace_schema_metadata(schema_meta), path)
    return path


def load_forecast(path: str | Path) -> Forecast:
    """Read a file written by ``save_forecast`` back into a ``Forecast``."""
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise UsageError(f"{path} was not written by save_forecast (no provenance metadata)")
    meta = json.loads(raw)
    frame = table.to_pandas().sort_values(["unit_id", "month_id", "draw"])
    unit_ids = np.unique(frame["unit_id"].to_numpy(np.int64))
    month_ids = np.unique(frame["month_id"].to_numpy(np.int64))
    n_draws = int(frame["draw"].max()) + 1
    draws = frame["outcome"].to_numpy(np.int32).reshape(unit_ids.size, month_ids.size, n_draws)
    origin = int(meta.pop("origin"))
    return Forecast(
        model=meta.pop("model"),
        target=meta.pop("target"),
        origin=origin,
        unit_ids=unit_ids,
        horizons=month_ids - origin,
        draws=draws,
        data_version=meta.pop("data_version"),
        meta={k: str(v) for k, v in meta.items()},
    )


def units_of(meta: dict[str, str]) -> pd.DataFrame | None:
    """The ``unit_id, unit_code, unit_name`` table a forecast's meta records, or None."""
    if CODES_KEY not in meta:
        return None
    codes = json.loads(meta[CODES_KEY])
    names = json.loads(meta.get(NAMES_KEY, "{}"))
    return pd.DataFrame(
        {
            "unit_id": np.array([int(u) for u in codes], dtype=np.int64),
            "unit_code": [str(c) for c in codes.values()],
            "unit_name": [str(names.get(u, "")) for u in codes],
        }
    )


def forecast_table(forecast: Forecast, threshold: float = 25) -> pd.DataFrame:
    """Per unit and month: ``mean, median, q05, q25, q75, q95, p_exceed`` of the draws.

    The same numbers as :func:`sentinelle.forecast.store.forecast_summary` gives for the
    stored run, plus ``month`` (``YYYY-MM``), ``horizon`` and, when the forecast's meta
    names its units, ``unit_code`` and ``unit_name``. ``p_exceed`` is the share of draws
    with at least ``threshold`` fatalities.
    """
    n_units, n_h, _ = forecast.draws.shape
    draws = forecast.draws.astype(np.float64)
    table = pd.DataFrame(
        {
            "unit_id": np.repeat(forecast.unit_ids, n_h),
            "month_id": np.tile(forecast.month_ids, n_units),
            "month": np.tile([month_string(int(m)) for m in forecast.month_ids], n_units),
            "horizon": np.tile(forecast.horizons, n_units),
            "mean": draws.mean(axis=2).ravel(),
            "median": np.quantile(draws, 0.5, axis=2).ravel(),
            **{k: np.quantile(draws, q, axis=2).ravel() for k, q in _QUANTILES.items()},
            "p_exceed": (draws >= threshold).mean(axis=2).ravel(),
        }
    )
    units = units_of(forecast.meta)
    if units is not None:
        table = units.merge(table, on="unit_id", how="right")
    return table


def write_forecast_tables(
    forecast: Forecast, path: str | Path, unit: str = "cm", threshold: float = 25
) -> list[Path]:
    """Write ``<path>.csv`` and ``<path>.xlsx`` (the summary) and ``<path>_draws.csv``.

    The draws file has one row per unit-month (``unit_id, month_id``, the unit's code
    and name when known) and one column per draw (``draw_0`` ...). The workbook holds
    the summary and a sheet ``about`` with the forecast's provenance.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    table = forecast_table(forecast, threshold).rename(columns={"unit_id": unit_column(unit)})
    csv = write_csv(table, base.with_suffix(".csv"))
    n_units, n_h, n_d = forecast.draws.shape
    wide = pd.DataFrame(
        forecast.draws.reshape(n_units * n_h, n_d), columns=[f"draw_{d}" for d in range(n_d)]
    )
    keys = table[[c for c in table.columns if c in (unit_column(unit), "unit_code", "unit_name")]]
    keys = keys.assign(month_id=np.tile(forecast.month_ids, n_units))
    draws_csv = write_csv(
        pd.concat([keys.reset_index(drop=True), wide], axis=1),
        base.parent / f"{base.name}_draws.csv",
    )
    about = pd.DataFrame(
        {
            "field": ["model", "target", "origin", "unit", "data_version", "threshold"],
            "value": [
                forecast.model,
                forecast.target,
                month_string(forecast.origin),
                unit,
                forecast.data_version,
                str(threshold),
            ],
        }
    )
    xlsx = base.with_suffix(".xlsx")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        escape_formulas(table).to_excel(writer, sheet_name="forecast", index=False)
        escape_formulas(about).to_excel(writer, sheet_name="about", index=False)
    return [csv, xlsx, draws_csv]
