"""Cross-mission impact design: the Africa-wide cell-year run, its parts and its peak memory.

Run: ``python benchmarks/impact.py [--store PATH] [--differences] [--engine spark]``.
Ingests RADPKO's yearly deployments and the GED 20.1 points of ``../shared/data`` into
a fresh store (or uses ``--store``, which must hold both), then measures in one process:

* design: :func:`sentinelle.impact.staggered.build_design` alone, every African
  mission, 2000-2017 (about 10,000 cells x 18 years): the reference of the ratios;
* estimate: every Callaway-Sant'Anna fit of the run (two events, two rings, two
  outcomes, pooled and per mission) with the vectorised estimator;
* full run: :func:`sentinelle.impact.staggered.run_staggered` from the store (read,
  design, estimate), and writing the comparison (tables, forest plots);
* one fit on a synthetic 10,000 cells x 216 months panel (the monthly design's size);
* with ``--differences``: one ``differences.ATTgt`` fit (the library the per-mission
  analysis uses) on the pooled same-cell exit panel, for its cost at this size;
* with ``--engine spark``: the design built by numpy (``engine='duckdb'``) and by Spark
  (``local[2]``), each in a fresh process so that its peak memory is its own (Python's
  peak RSS, plus the JVM's for Spark), twice (cold, then warm); the matrices of both
  are checked identical.

Prints a Markdown table (seconds, ratio to the design) and the peak RSS of the
process. Goal (issue 17): the Africa-wide design under 5 minutes and 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sentinelle.impact.estimators.cs_fast import staggered_att
from sentinelle.impact.staggered import build_design, run_staggered
from sentinelle.impact.staggered_report import write_comparison
from sentinelle.sources.radpko import ingest_radpko
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store
from sentinelle.store.queries import event_precision

MATRICES = ("presence", "near", "censored", "near_censored")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
YEARS = (2000, 2017)


def _timed(rows: list[tuple[str, float]], name: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn()
    rows.append((name, time.perf_counter() - started))
    return value


def _events(con):  # type: ignore[no-untyped-def]
    return con.execute(
        "SELECT date_start, latitude, longitude, civilian_deaths FROM events "
        "WHERE source = 'ged_extract' AND NOT deleted"
    ).df()


def _peak_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of process ``pid``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by the processes ``pids``."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (the JVM behind a Spark session)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            kids = (task / "children").read_text().split()
            found += [int(k) for k in kids]
            todo += [int(k) for k in kids]
    return found


def design_in_process(store: Path, engine: str, dump: Path) -> dict[str, float]:
    """Build the design twice with ``engine`` in this (fresh) process; its times and memory."""
    con = open_store(store, read_only=True)
    events = _events(con)
    precision = event_precision(con, "ged_extract")
    out: dict[str, float] = {}
    spark = None
    if engine == "spark":
        from sentinelle.panel import spark_session

        started = time.perf_counter()
        spark = spark_session()
        spark.sparkContext.setLogLevel("ERROR")
        out["session"] = time.perf_counter() - started
    for run in ("cold", "warm"):
        pids = [os.getpid(), *_children(os.getpid())]
        started, cpu = time.perf_counter(), _cpu_s(pids)
        design = build_design(
            con, events, years=YEARS, event_precision_=precision, engine=engine, spark=spark
        )
        out[run] = time.perf_counter() - started
        out[f"{run}_cpu"] = _cpu_s(pids) - cpu
    con.close()
    out["python_mb"] = _peak_mb(os.getpid())
    out["jvm_mb"] = sum(_peak_mb(pid) for pid in _children(os.getpid()))
    if spark is not None:
        spark.stop()
    np.savez(
        dump,
        **{name: getattr(design, name) for name in MATRICES},
        **{f"outcome_{name}": matrix for name, matrix in design.outcomes.items()},
    )
    return out


def compare_engines(store: Path, folder: Path) -> None:
    """The design by numpy and by Spark, each in a fresh process: times, memory, equality."""
    runs, dumps = {}, {}
    for engine in ("duckdb", "spark"):
        dumps[engine] = folder / f"design-{engine}.npz"
        done = subprocess.run(
            [sys.executable, __file__, "--design-only", engine, "--store", str(store),
             "--dump", str(dumps[engine])],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        runs[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(dumps["duckdb"]) as a, np.load(dumps["spark"]) as b:
        same = sorted(a.files) == sorted(b.files) and all(
            a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a.files
        )
        cells, periods = a["presence"].shape
    ref = runs["duckdb"]
    ref_mb = ref["python_mb"] + ref["jvm_mb"]
    print(f"\nThe design's panel by engine, {cells:,} cells x {periods} years, each in a fresh "
          f"process (peak RSS: Python + JVM)\n")  # fmt: skip
    print(
        "| engine | session start (s) | design cold (s) | design warm (s) | warm x numpy "
        "| CPU warm, Python + JVM (s) "
        "| peak RSS Python (MB) | peak RSS JVM (MB) | peak RSS total (MB) | memory x numpy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, label in (("duckdb", "numpy (default)"), ("spark", "spark, local[2]")):
        r = runs[engine]
        total = r["python_mb"] + r["jvm_mb"]
        print(f"| {label} | {r.get('session', 0.0):.1f} | {r['cold']:.2f} | {r['warm']:.2f} | "
              f"{r['warm'] / ref['warm']:.1f} | {r['warm_cpu']:.1f} | {r['python_mb']:,.0f} | "
              f"{r['jvm_mb']:,.0f} | {total:,.0f} | {total / ref_mb:.2f} |")  # fmt: skip
    print(f"\nmatrices identical (presence, near, censored ends, every outcome): "
          f"{'yes' if same else 'NO'}")  # fmt: skip
    if not same:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store holding radpko_yearly and ged_extract")
    parser.add_argument("--differences", action="store_true", help="also time differences.ATTgt")
    parser.add_argument(
        "--engine", choices=["duckdb", "spark"], default="duckdb",
        help="spark: also build the design on Spark and compare it with numpy's",
    )  # fmt: skip
    parser.add_argument("--design-only", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.design_only:
        print(json.dumps(design_in_process(args.store, args.design_only, args.dump)))
        return
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.store is None:
            con = open_store(Path(tmp) / "bench.duckdb")
            _timed(rows, "ingest RADPKO yearly + GED points (setup)", lambda: (
                ingest_radpko(con, DATA / "radpko" / "radpko_bases_cc_y.csv"),
                ingest_ged(con, DATA / "ged" / "ged201_africa_points_1995-2019.csv"),
            ))  # fmt: skip
        else:
            con = open_store(args.store)
        events = _events(con)
        precision = event_precision(con, "ged_extract")
        design = _timed(rows, "design alone (reference)", lambda: build_design(
            con, events, years=YEARS, event_precision_=precision,
        ))  # fmt: skip
        result = _timed(rows, "full run (read, design, every fit)", lambda: run_staggered(
            con, years=YEARS, event_source="ged_extract",
        ))  # fmt: skip
        rows.append(("  of which every fit", result.timings["estimate"]))
        _timed(rows, "write the comparison (EN/FR tables, plots)", lambda: write_comparison(
            result, Path(tmp) / "out",
        ))  # fmt: skip
        rng = np.random.default_rng(0)
        n, n_t = 10_000, 216
        cohort = np.where(rng.random(n) < 0.03, rng.integers(3, n_t, n), -1)
        y = rng.poisson(0.3, (n, n_t)).astype(np.float64)
        _timed(rows, "one fit, 10,000 cells x 216 months (synthetic)", lambda: staggered_att(
            y, cohort, anticipation=1, window=36,
        ))  # fmt: skip
        if args.differences:
            from differences import ATTgt

            g, _ = design.treatment("exit", 0)
            keep = g >= -1
            data = pd.DataFrame(
                {
                    "u": np.repeat(np.flatnonzero(keep), len(design.periods)),
                    "t": np.tile(design.periods, int(keep.sum())),
                    "y": design.outcomes["any_civilian_deaths"][keep].ravel(),
                    "cohort": np.repeat(
                        np.where(g[keep] >= 0, design.periods[np.maximum(g[keep], 0)], np.nan),
                        len(design.periods),
                    ),
                }
            ).set_index(["u", "t"])

            def fit() -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = ATTgt(data=data, cohort_column="cohort", anticipation=1)
                    model.fit(formula="y", control_group="not_yet_treated", progress_bar=False)
                    model.aggregate("simple")

            _timed(rows, "one fit with differences.ATTgt (same-cell exit)", fit)
            _timed(rows, "  the same fit, vectorised", lambda: staggered_att(
                design.outcomes["any_civilian_deaths"][keep], g[keep], anticipation=1,
            ))  # fmt: skip
        con.close()
        if args.engine == "spark":
            compare_engines(args.store or Path(tmp) / "bench.duckdb", Path(tmp))
    reference = dict(rows)["design alone (reference)"]
    cells, periods = design.presence.shape
    print(f"\n{cells:,} cells x {periods} years, {YEARS[0]}-{YEARS[1]}, "
          f"{len(result.effects)} effects rows\n")  # fmt: skip
    print("| step | seconds | x design |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / reference:.2f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MB (goal: full run under 300 s and 4,096 MB)")


if __name__ == "__main__":
    main()
