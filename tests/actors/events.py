"""Store hand-written GED events: each row overrides columns of a ``ged_frame`` row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sentinelle.sources.ucdp_ged import ingest_ged
from tests.factories import ged_frame, write_ged_csv


def store_events(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], tmp: Path) -> None:
    """Ingest GED events; keys are GED columns plus ``date`` (start = end)."""
    frame = ged_frame(len(rows), seed=7)
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "date":
                frame.loc[i, "date_start"] = frame.loc[i, "date_end"] = f"{value} 00:00:00.000"
            else:
                frame.loc[i, key] = str(value)
    path = write_ged_csv(frame, tmp / f"ged_{len(list(tmp.glob('ged_*.csv')))}.csv")
    ingest_ged(con, path, version="23.1")
