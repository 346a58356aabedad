"""The ``panels`` table: what each stored panel was built from.

One row per panel table (``panel_cm``, ``panel_pgm``, ...), replaced when the panel is
rebuilt. The table itself is created by the store's migrations.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class PanelRecord:
    """One row of ``panels``."""

    panel_table: str
    unit: str
    source: str
    first_month: int
    last_month: int
    history_start: int | None
    ged_last_month: int | None
    countries: Sequence[str] | None
    versions: dict[str, list[str]]
    ingest_ids: Sequence[int]
    engine: str
    n_units: int
    n_rows: int
    events_used: int | None
    events_outside: int | None
    params: str


def record_panel(con: duckdb.DuckDBPyConnection, record: PanelRecord) -> None:
    """Replace the ``panels`` row of ``record.panel_table`` (inside the build's transaction)."""
    con.execute("DELETE FROM panels WHERE panel_table = ?", [record.panel_table])
    con.execute(
        "INSERT INTO panels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.panel_table, record.unit, record.source, record.first_month,
            record.last_month, record.history_start, record.ged_last_month,
            list(record.countries) if record.countries else None,
            json.dumps(record.versions, sort_keys=True), list(record.ingest_ids),
            record.engine, record.n_units, record.n_rows, record.events_used,
            record.events_outside, record.params, datetime.now(),
        ],
    )  # fmt: skip


def panel_record(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, object] | None:
    """The ``panels`` row of ``table`` as a dict, or None if it was never recorded."""
    cursor = con.execute("SELECT * FROM panels WHERE panel_table = ?", [table])
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description or ()]
    return dict(zip(names, row, strict=True))
