"""The store: schema migrations, read-only opening, status summary."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import MIGRATIONS, load_spatial, open_store
from sentinelle.store.schema import current_version, migrate
from sentinelle.store.status import store_status
from tests.factories import ged_frame, write_ged_csv


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    con = open_store(path)  # a second open applies nothing
    rows = con.execute("SELECT version FROM schema_version").fetchall()
    assert rows == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    assert migrate(con) == current_version(con) == len(MIGRATIONS)


def test_a_store_from_a_newer_sentinelle_is_refused(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb")
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [len(MIGRATIONS) + 1])
    with pytest.raises(RuntimeError, match="upgrade Sentinelle"):
        migrate(con)


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    con = open_store(path, read_only=True)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM events")


def test_spatial_extension_loads_offline_from_its_wheel() -> None:
    con = open_store(":memory:")
    load_spatial(con)
    assert con.execute("SELECT ST_X(ST_Point(-8.0, 12.6))").fetchone() == (-8.0,)


def test_status_summarises_each_source(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb")
    frame = ged_frame(10)
    frame.loc[0, "latitude"] = "200"
    ingest_ged(con, write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv"))
    ingest_ged(con, write_ged_csv(ged_frame(10), tmp_path / "GEDEvent_v24_1.csv"))
    [ged] = store_status(con)
    assert (ged.source, ged.table, ged.rows, ged.quarantined) == ("ged", "events", 10, 1)
    assert ged.versions == ["23.1", "24.1"]
    starts = frame.drop(index=0)["date_start"].str[:10]
    assert str(ged.first) <= starts.min()
    assert ged.last_location is not None and ged.last_location.endswith("GEDEvent_v24_1.csv")
