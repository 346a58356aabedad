"""Ingest throughput against DuckDB's own read of the same file, and junk refused early.

Run: ``python benchmarks/ingest.py [--rows 400000] [--acled-rows 1000000]``. In the
same run, each against a reference measured on the same machine:

* GED: DuckDB ``read_csv`` of a GED-layout CSV of ``--rows`` events (GED 25.1 has
  about 400,000), ``ingest_ged`` of it into a fresh store, and a re-ingest of a newer
  version over the stored one (every row compared and kept);
* ACLED: the same for an ACLED-layout CSV of ``--acled-rows`` events;
* junk (issue 13): an ACLED header plus ``--acled-rows`` random 40-character lines,
  refused, with the time and the process's peak memory (resident set, from
  ``getrusage``) after it.

Goals: ingest within 3x of the raw read (issues 2 and 13); junk refused in under 10 s
and 1 GB.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentinelle.errors import SourceFileError
from sentinelle.sources.acled import ingest_acled
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from tests.factories import acled_frame, ged_frame, write_acled_csv, write_ged_csv


def raw_read(path: Path, db: Path) -> float:
    """Seconds DuckDB takes to read ``path`` into a table: the reference."""
    t0 = time.perf_counter()
    raw = duckdb.connect(str(db))
    raw.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
    raw.close()
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--acled-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    console = Console()
    table = Table(title="Ingest against DuckDB's bare read_csv of the same file")
    for column in ("run", "rows", "seconds", "x raw read", "peak RSS MB", "outcome"):
        table.add_column(column, justify="left" if column in ("run", "outcome") else "right")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with console.status("junk file"):
            junk = root / "junk.csv"
            rng = random.Random(0)
            alphabet = string.ascii_letters + string.digits
            with junk.open("w") as fh:
                fh.write(",".join(acled_frame(1).columns) + "\n")
                for _ in range(args.acled_rows):
                    fh.write("".join(rng.choices(alphabet, k=40)) + "\n")
            con = open_store(root / "junk.duckdb")
            t0 = time.perf_counter()
            try:
                ingest_acled(con, junk)
                outcome = "accepted (wrong)"
            except SourceFileError as exc:
                outcome = "refused: " + str(exc).split(": ", 1)[1][:60]
            t_junk = time.perf_counter() - t0
            con.close()
            t_raw = raw_read(junk, root / "raw_junk.duckdb")
        table.add_row("junk: DuckDB read_csv (reference)", f"{args.acled_rows:,}",
                      f"{t_raw:.2f}", "1.00", "", "")  # fmt: skip
        table.add_row("junk: sentinelle ingest acled", f"{args.acled_rows:,}", f"{t_junk:.2f}",
                      f"{t_junk / t_raw:.2f}", f"{peak_rss_mb():,.0f}", outcome)  # fmt: skip

        for name, rows, write, ingest in (
            ("acled", args.acled_rows,
             lambda p: write_acled_csv(acled_frame(args.acled_rows), p), ingest_acled),
            ("ged", args.rows, lambda p: write_ged_csv(ged_frame(args.rows), p), ingest_ged),
        ):  # fmt: skip
            csv_path = root / ("GEDEvent_v25_1.csv" if name == "ged" else "acled.csv")
            with console.status(f"generating {rows:,} {name} events"):
                write(csv_path)
            t_raw = raw_read(csv_path, root / f"raw_{name}.duckdb")
            con = open_store(root / f"{name}.duckdb")
            t0 = time.perf_counter()
            report = ingest(con, csv_path)
            t_ingest = time.perf_counter() - t0
            newer = csv_path.with_name("GEDEvent_v25_2.csv" if name == "ged" else "acled2.csv")
            newer.write_bytes(csv_path.read_bytes() + b"\n")
            t0 = time.perf_counter()
            again = ingest(con, newer)
            t_again = time.perf_counter() - t0
            con.close()
            table.add_row(f"{name}: DuckDB read_csv (reference)", f"{rows:,}",
                          f"{t_raw:.2f}", "1.00", "", "")  # fmt: skip
            table.add_row(f"{name}: ingest into a new store", f"{report.rows_inserted:,}",
                          f"{t_ingest:.2f}", f"{t_ingest / t_raw:.2f}", f"{peak_rss_mb():,.0f}",
                          "within 3x" if t_ingest <= 3 * t_raw else "over 3x")  # fmt: skip
            table.add_row(f"{name}: re-ingest (every row compared)", f"{again.rows_read:,}",
                          f"{t_again:.2f}", f"{t_again / t_raw:.2f}", f"{peak_rss_mb():,.0f}",
                          "")  # fmt: skip
            csv_path.unlink()
            newer.unlink()
    console.print(table)


if __name__ == "__main__":
    main()
