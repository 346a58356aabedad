"""The ACLED ingest lets DuckDB write its staging table and the merge in any order (the
1,000,000-row benchmark of issue 13 item 2), without losing the file order that line
numbers are counted from, and gives the connection its setting back, even on failure."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sentinelle.errors import IngestError
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.ingest import unordered_writes
from sentinelle.store import open_store
from tests.factories import acled_frame, write_acled_csv


def _ordered(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert row is not None
    return bool(row[0])


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def test_setting_restored_and_lines_right_after_an_unordered_start(con, tmp_path):
    frame = acled_frame(40)
    frame.loc[30, "latitude"] = "123.0"  # line 32
    unordered_writes(con)  # as a previous ingest in this process would have left it
    report = ingest_acled(con, write_acled_csv(frame, tmp_path / "a.csv"))
    assert (report.rows_inserted, report.rows_quarantined) == (39, 1)
    assert con.execute("SELECT line FROM quarantine").fetchall() == [(32,)]
    assert not _ordered(con)  # given back as it was found
    con.execute("SET preserve_insertion_order = true")
    ingest_acled(con, write_acled_csv(acled_frame(5, first_id=100), tmp_path / "b.csv"))
    assert _ordered(con)


def test_setting_restored_after_a_failed_ingest(con, tmp_path, monkeypatch):
    import sentinelle.sources.ingest as engine

    def fail(*_: object) -> None:
        raise RuntimeError("disk full")  # inside the transaction, after the merge set it

    monkeypatch.setattr(engine, "_register_actors", fail)
    with pytest.raises(IngestError, match="disk full"):
        ingest_acled(con, write_acled_csv(acled_frame(5), tmp_path / "c.csv"))
    assert _ordered(con)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
