"""Ingest throughput on a GED-sized file, against DuckDB's own read of the same file.

Run: ``python benchmarks/ingest.py [--rows 400000]``. Generates a GED-layout CSV of
``--rows`` events (GED 25.1 has about 400,000), then times in the same run:

* reference: DuckDB ``read_csv`` of the file into a table (the raw read);
* ingest: ``sentinelle ingest ged`` of the same file into a fresh store
  (validation, quarantine, merge, actor registry, provenance);
* re-ingest of a newer version over the stored one (every row compared and kept).

Goal (issue 2): ingest under 30 s and within 3x of the raw read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from tests.factories import ged_frame, write_ged_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "GEDEvent_v25_1.csv"
        with console.status(f"generating {args.rows:,} GED events"):
            write_ged_csv(ged_frame(args.rows), csv_path)
        size_mb = csv_path.stat().st_size / 1e6

        t0 = time.perf_counter()
        raw = duckdb.connect(str(Path(tmp) / "raw.duckdb"))
        raw.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
        raw.close()
        t_raw = time.perf_counter() - t0

        con = open_store(Path(tmp) / "store.duckdb")
        t0 = time.perf_counter()
        report = ingest_ged(con, csv_path)
        t_ingest = time.perf_counter() - t0

        newer = csv_path.with_name("GEDEvent_v25_2.csv")
        newer.write_bytes(csv_path.read_bytes() + b"\n")
        t0 = time.perf_counter()
        reingest = ingest_ged(con, newer)
        t_reingest = time.perf_counter() - t0
        con.close()

    table = Table(title=f"GED ingest, {args.rows:,} rows ({size_mb:.0f} MB CSV)")
    for column in ("run", "seconds", "rows/s", "x raw read"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for name, seconds, rows in (
        ("DuckDB read_csv (reference)", t_raw, args.rows),
        ("sentinelle ingest ged (new store)", t_ingest, report.rows_inserted),
        ("re-ingest newer version (all rows compared)", t_reingest, reingest.rows_read),
    ):
        table.add_row(name, f"{seconds:.2f}", f"{rows / seconds:,.0f}", f"{seconds / t_raw:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
