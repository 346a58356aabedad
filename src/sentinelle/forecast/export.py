"""Writing and reading forecasts: Sentinelle's own file and the VIEWS challenge layout.

- ``save_forecast`` / ``load_forecast``: a Parquet file of tidy draws whose schema
  metadata records the model, target, origin, unit level and data version, so a stored
  forecast always says where it came from.
- ``to_views_frame`` / ``write_views_parquet``: the challenge submission layout, index
  ``(month_id, country_id | priogrid_gid, draw)`` and one column ``outcome``, the
  layout of the official benchmark files.
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

__all__ = [
    "UNIT_COLUMNS",
    "load_forecast",
    "save_forecast",
    "to_views_frame",
    "unit_column",
    "write_views_parquet",
]

# Name of the unit key in exported files, by level of analysis. VIEWS has no admin-1
# level; its files would use the same pattern.
UNIT_COLUMNS = {"cm": "country_id", "pgm": "priogrid_gid", "admin1": "admin1_id"}

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
