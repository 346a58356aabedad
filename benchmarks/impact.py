"""Cross-mission impact design: the Africa-wide cell-year run, its parts and its peak memory.

Run: ``python benchmarks/impact.py [--store PATH] [--differences]``. Ingests RADPKO's
yearly deployments and the GED 20.1 points of ``../shared/data`` into a fresh store
(or uses ``--store``, which must hold both), then measures in one process:

* design: :func:`sentinelle.impact.staggered.build_design` alone, every African
  mission, 2000-2017 (about 10,000 cells x 18 years): the reference of the ratios;
* estimate: every Callaway-Sant'Anna fit of the run (two events, two rings, two
  outcomes, pooled and per mission) with the vectorised estimator;
* full run: :func:`sentinelle.impact.staggered.run_staggered` from the store (read,
  design, estimate), and writing the comparison (tables, forest plots);
* one fit on a synthetic 10,000 cells x 216 months panel (the monthly design's size);
* with ``--differences``: one ``differences.ATTgt`` fit (the library the per-mission
  analysis uses) on the pooled same-cell exit panel, for its cost at this size.

Prints a Markdown table (seconds, ratio to the design) and the peak RSS of the
process. Goal (issue 17): the Africa-wide design under 5 minutes and 4 GB.
"""

from __future__ import annotations

import argparse
import resource
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

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
YEARS = (2000, 2017)


def _timed(rows: list[tuple[str, float]], name: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn()
    rows.append((name, time.perf_counter() - started))
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store holding radpko_yearly and ged_extract")
    parser.add_argument("--differences", action="store_true", help="also time differences.ATTgt")
    args = parser.parse_args()
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
        events = con.execute(
            "SELECT date_start, latitude, longitude, civilian_deaths FROM events "
            "WHERE source = 'ged_extract' AND NOT deleted"
        ).df()
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
