"""Fixtures of the panel tests: a store, hand-made events and deployments (Spark: ../conftest)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sentinelle.store import open_store

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def add_events(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events: keys id, start, end (default start), lat, lon, vt, best, civ, source..."""
    for row in rows:
        con.execute(
            "INSERT INTO events (source, source_event_id, source_version, date_start, date_end, "
            "latitude, longitude, country_gwno, violence_type, fatalities_best, civilian_deaths, "
            "deleted, ingest_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                row.get("source", "ged"), str(row["id"]), row.get("version", "23.1"),
                row["start"], row.get("end", row["start"]), row["lat"], row["lon"],
                row.get("gw", 432), row.get("vt", "state_based"), row["best"],
                row.get("civ", 0), row.get("deleted", False),
            ],
        )  # fmt: skip


def add_deployments(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deployments: keys location, lat, lon, year, month (0 = yearly), troops, record."""
    for row in rows:
        con.execute(
            "INSERT INTO deployments (source, mission, location, country, latitude, longitude, "
            "year, month, troops, record, ingest_id) VALUES (?, ?, ?, 'Mali', ?, ?, ?, ?, ?, ?, 2)",
            [
                row.get("source", "geopko_frontmap"), row.get("mission", "MINUSMA"),
                row["location"], row["lat"], row["lon"], row["year"], row.get("month", 0),
                row["troops"], row.get("record", 1),
            ],
        )  # fmt: skip
