"""The store: schema migrations, read-only opening, status summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sentinelle.errors import DiskFullError, StoreBusyError, StoreError, StoreReadOnlyError
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import MIGRATIONS, load_spatial, open_store, store_error
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
    with pytest.raises(StoreError, match="upgrade Sentinelle"):
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


def test_a_store_held_by_another_process_is_busy_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; con = duckdb.connect({str(path)!r}); print('held', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        for read_only in (False, True):
            with pytest.raises(StoreBusyError) as info:
                open_store(path, read_only=read_only)
            message = str(info.value)
            assert message.startswith(f"the store {path} is in use by another process")
            assert f"(PID {holder.pid})" in message and "\n" not in message
    finally:
        holder.communicate("")  # closing its stdin lets the holder exit
    open_store(path).close()  # free again once the holder is gone


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through a read-only mode")
def test_a_read_only_folder_is_a_read_only_store(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreReadOnlyError, match=f"the store {folder / 's.duckdb'} or its"):
            open_store(folder / "s.duckdb")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (duckdb.IOException('IO Error: Cannot open file "/ro/s.duckdb": Read-only file system'),
         StoreReadOnlyError, "the store /ro/s.duckdb or its folder is read-only"),
        (duckdb.IOException('IO Error: Cannot open file "/ro/s.duckdb": Permission denied'),
         StoreReadOnlyError, "the store /ro/s.duckdb or its folder is read-only"),
        (PermissionError(13, "Permission denied", "/ro"),
         StoreReadOnlyError, "the store /ro/s.duckdb or its folder is read-only"),
        (duckdb.IOException('IO Error: Could not write file "/ro/s.duckdb.wal": '
                            "No space left on device"),
         DiskFullError, "no space left on the disk of the store /ro/s.duckdb"),
        (OSError(28, "No space left on device"),
         DiskFullError, "no space left on the disk of the store /ro/s.duckdb"),
        (duckdb.IOException('IO Error: Could not set lock on file "/ro/s.duckdb": Conflicting '
                            "lock is held in /usr/bin/python3 (PID 77). See also x"),
         StoreBusyError, r"in use by another process \(PID 77\): stop it"),
    ],
)  # fmt: skip
def test_duckdb_failures_map_to_the_store_errors(
    failure: Exception, error: type[StoreError], message: str
) -> None:
    mapped = store_error("/ro/s.duckdb", failure)
    assert type(mapped) is error
    assert re.search(message, str(mapped)) and "\n" not in str(mapped)


def test_other_failures_are_not_store_errors() -> None:
    assert store_error("s.duckdb", duckdb.CatalogException("Table x does not exist")) is None
