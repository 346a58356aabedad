"""Panel build time and peak memory: an Africa-wide PRIO-GRID-month panel on DuckDB vs pandas.

Run: ``python benchmarks/panel.py [--cells 10000] [--events 150000]``. Generates a store
with ``--events`` GED events (about Africa's GED density: 10,000 cells, 1989-2023, most
events in few cells) and yearly Geo-PKO-like deployments, then in the same run and each
in a fresh process (so peak RSS, which includes DuckDB's own allocator, is its own):

* duckdb: :func:`sentinelle.panel.build_panel` of the 420-month panel with every
  feature, stored in the DuckDB file;
* pandas: the same inputs (prepared by the same code) and the same features written
  as straightforward pandas (groupby shift/rolling, merges), stored in the same store
  (a build ends with the panel stored; the time before storing is printed too), its
  result checked against the DuckDB panel.

Goal (issue 3): DuckDB under 60 s and 4 GB, and at least 5x faster than pandas.
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
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentinelle.geo.months import month_id_from_str
from sentinelle.geo.priogrid import centroid, gid_from_row_col
from sentinelle.panel import OUTCOMES, FeatureSpec, build_panel
from sentinelle.panel.definitions import KEYS, VIOLENCE
from sentinelle.panel.inputs import PanelRequest, prepare_inputs
from sentinelle.store import open_store

FIRST, LAST = "1989-01", "2023-12"
DUCKDB_SETTINGS = {"memory_limit": "3GB", "threads": os.cpu_count() or 2}


def _cells(n: int) -> np.ndarray:
    """``n`` cells in a block over Africa (rows from 10S, columns from 15W)."""
    side = int(np.ceil(np.sqrt(n)))
    rows, cols = np.divmod(np.arange(n), side)
    return gid_from_row_col(rows + 160, cols + 330)


def generate(path: Path, cells: np.ndarray, n_events: int, seed: int = 0) -> None:
    """A store with GED-like events and yearly deployments over ``cells``."""
    rng = np.random.default_rng(seed)
    # Conflict concentrates: cell weights from a heavy-tailed draw.
    weights = rng.pareto(1.2, cells.size) + 1e-3
    where = rng.choice(cells, n_events, p=weights / weights.sum())
    lat, lon = centroid(where)
    start = pd.Timestamp("1989-01-01") + pd.to_timedelta(rng.integers(0, 12_780, n_events), "D")
    end = start + pd.to_timedelta(rng.integers(0, 3, n_events), unit="D")
    tov = rng.integers(0, 3, n_events)
    best = rng.negative_binomial(1, 0.2, n_events)
    events = pd.DataFrame(
        {
            "source": "ged",
            "source_event_id": np.arange(n_events).astype(str),
            "source_version": "25.1",
            "date_start": start.date,
            "date_end": end.date,
            "latitude": lat + rng.uniform(-0.24, 0.24, n_events),
            "longitude": lon + rng.uniform(-0.24, 0.24, n_events),
            "violence_type": np.array(["state_based", "non_state", "one_sided"])[tov],
            "fatalities_best": best,
            "civilian_deaths": np.where(tov == 2, best, 0),
            "ingest_id": 1,
        }
    )
    sites = rng.choice(cells, 150, replace=False)
    s_lat, s_lon = centroid(sites)
    deployments = pd.DataFrame(
        [
            {"location": f"site{i}", "latitude": s_lat[i], "longitude": s_lon[i], "year": y,
             "troops": float(rng.integers(50, 2000))}
            for i in range(sites.size)
            for y in range(1994, 2024)
            if rng.random() < 0.4
        ]
    )  # fmt: skip
    con = open_store(path)
    con.register("ev", events)
    con.execute("INSERT INTO events BY NAME SELECT * FROM ev")
    con.register("dep", deployments)
    con.execute(
        "INSERT INTO deployments BY NAME SELECT 'geopko_frontmap' AS source, 'M' AS mission, "
        "*, 0 AS month, 2 AS ingest_id FROM dep"
    )
    con.close()


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    con = open_store(path)
    for key, value in DUCKDB_SETTINGS.items():
        con.execute(f"SET {key} = '{value}'")
    return con


def run_duckdb(path: Path, cells: np.ndarray) -> dict[str, float]:
    con = _open(path)
    t0 = time.perf_counter()
    report = build_panel(con, "pgm", FIRST, LAST, cells=cells)
    return {"seconds": time.perf_counter() - t0, "rows": report.n_rows, "cols": len(report.columns)}


def pandas_features(
    inp: dict[str, pd.DataFrame], spec: FeatureSpec, start: int, first: int, last: int
) -> pd.DataFrame:
    """The panel definitions of :mod:`sentinelle.panel`, written in plain pandas."""
    units, months, ev = inp["_units"], inp["_months"], inp["_unit_events"]
    grid = pd.MultiIndex.from_product(
        [units["unit_id"], months["month_id"]], names=list(KEYS)
    ).to_frame(index=False)
    for v, t in VIOLENCE.items():
        ev[f"ged_{v}"] = np.where(ev["violence_type"] == t, ev["best"], 0)
        ev[f"ev_{v}"] = (ev["violence_type"] == t).astype(int)
    ev["civ_deaths"] = ev["civ"]
    agg = ev.groupby(list(KEYS))[list(OUTCOMES)].sum().reset_index()
    p = grid.merge(agg, on=list(KEYS), how="left").fillna(0)
    p = p.sort_values(list(KEYS), ignore_index=True)
    by_unit = p.groupby("unit_id")
    for c in spec.lag_outcomes:
        for k in spec.lags:
            p[f"{c}_tlag_{k}"] = by_unit[c].shift(k)
    for c in spec.sum_outcomes:
        before = by_unit[c].shift(1)
        for k in spec.sums:
            rolled = before.groupby(p["unit_id"]).rolling(k, min_periods=k).sum()
            p[f"{c}_tsum_{k}"] = rolled.reset_index(level=0, drop=True)
    for v in VIOLENCE:
        seen = p["month_id"].where(p[f"ev_{v}"] > 0)
        last_before = seen.groupby(p["unit_id"]).shift(1).groupby(p["unit_id"]).ffill()
        p[f"ged_{v}_time_since"] = p["month_id"] - last_before
    nb = inp["_neighbours"]
    active = p[p[list(spec.spatial_outcomes)].sum(axis=1) > 0]
    spl = nb.merge(active, left_on="neighbour_id", right_on="unit_id", suffixes=("", "_n"))
    spl["month_id"] += 1
    spl = spl.groupby(["unit_id", "month_id", "ord"])[list(spec.spatial_outcomes)].sum()
    spl = spl.unstack("ord")
    spl.columns = [f"{c}_splag_{k}" for c, k in spl.columns]
    p = p.merge(spl.reset_index(), on=list(KEYS), how="left")
    for c in spl.columns:
        p[c] = p[c].fillna(0).where(p["month_id"] > start)
    act, dist = inp["_pko_active"], inp["_pko_dist"]
    troops = act.dropna(subset=["unit_id"]).assign(month_id=lambda d: d["month_id"] + 1)
    troops = troops.groupby(list(KEYS))["troops"].sum().rename("pko_troops").reset_index()
    near = dist.merge(act[["site_id", "month_id"]], on="site_id")
    near["month_id"] += 1
    near = near.groupby(list(KEYS))["dist_km"].min().rename("pko_dist_km").reset_index()
    act = act.sort_values(["site_id", "month_id"])
    nxt = act.groupby("site_id")["month_id"].shift(-1)
    gap = (nxt.isna() | (nxt > act["month_id"] + 1)) & (act["month_id"] < act["month_id"].max())
    closures = act.loc[gap, ["site_id"]].assign(closed=act.loc[gap, "month_id"] + 1)
    rec = dist.merge(closures, on="site_id").sort_values(["unit_id", "closed", "dist_km"])
    best_before = rec.groupby("unit_id")["dist_km"].cummin().groupby(rec["unit_id"]).shift(1)
    rec = rec[best_before.isna() | (rec["dist_km"] <= best_before)]
    p = p.merge(troops, on=list(KEYS), how="left").merge(near, on=list(KEYS), how="left")
    p["pko_troops"] = p["pko_troops"].fillna(0)
    p["before"] = p["month_id"] - 1
    p = pd.merge_asof(
        p.sort_values("before"),
        rec[["unit_id", "closed"]].sort_values("closed"),
        left_on="before",
        right_on="closed",
        by="unit_id",
    )
    p["pko_months_since_close"] = p["month_id"] - p["closed"]
    p = p.drop(columns=["before", "closed"]).merge(units, on="unit_id")
    p = p[p["month_id"].between(first, last)]
    return p.sort_values(list(KEYS), ignore_index=True)


def run_pandas(path: Path, cells: np.ndarray) -> dict[str, float]:
    con = _open(path)
    spec = FeatureSpec()
    t0 = time.perf_counter()
    first, last = month_id_from_str(FIRST), month_id_from_str(LAST)
    request = PanelRequest("pgm", first, last, cells=tuple(int(c) for c in cells), features=spec)
    prepared = prepare_inputs(con, request)
    inputs = {
        t: con.execute(f"SELECT * FROM {t}").df()
        for t in ("_units", "_months", "_unit_events", "_neighbours", "_pko_active", "_pko_dist")
    }
    panel = pandas_features(inputs, spec, prepared.history_start, first, last)
    compute = time.perf_counter() - t0
    # A build stores its panel, as build_panel does: the pandas one goes into the store too.
    con.register("pandas_panel", panel)
    con.execute("CREATE TABLE panel_pandas AS SELECT * FROM pandas_panel")
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "compute_seconds": compute,
        "peak_mb": peak,
        "rows": len(panel),
        "differences": _differences(con, "panel_pgm", "panel_pandas"),
    }


def _differences(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    """Rows of ``a`` and ``b`` not matched in the other (``a``'s columns; doubles to 1e-6)."""
    columns = [r[0] for r in con.execute(f"DESCRIBE {a}").fetchall()]
    cols = ", ".join(f"ROUND(CAST({c} AS DOUBLE), 6)" for c in columns)
    row = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM {a} EXCEPT ALL SELECT {cols} FROM {b}))"
        f" + (SELECT count(*) FROM (SELECT {cols} FROM {b} EXCEPT ALL SELECT {cols} FROM {a}))"
    ).fetchone()
    return int(row[0]) if row else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--run", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cells = _cells(args.cells)
    if args.run:
        result = (run_duckdb if args.run == "duckdb" else run_pandas)(args.store, cells)
        result.setdefault("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result))
        return
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        with console.status(f"generating {args.events:,} events over {cells.size:,} cells"):
            generate(store, cells, args.events)
        results = {}
        for engine in ("duckdb", "pandas"):
            with console.status(f"building with {engine}"):
                out = subprocess.run(
                    [sys.executable, __file__, "--run", engine, "--store", str(store),
                     "--cells", str(args.cells)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
            results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    duck, pand = results["duckdb"], results["pandas"]
    table = Table(title=f"pgm panel: {cells.size:,} cells x 420 months, {args.events:,} events")
    for column in ("engine", "seconds", "peak RSS (MB)", "rows", "time vs pandas"):
        table.add_column(column, justify="right")
    table.add_row(
        "duckdb", f"{duck['seconds']:.1f}", f"{duck['peak_mb']:,.0f}", f"{int(duck['rows']):,}",
        f"{pand['seconds'] / duck['seconds']:.1f}x faster",
    )  # fmt: skip
    table.add_row(
        "pandas", f"{pand['seconds']:.1f} ({pand['compute_seconds']:.1f} before storing)",
        f"{pand['peak_mb']:,.0f}", f"{int(pand['rows']):,}", "1.0x",
    )  # fmt: skip
    console.print(table)
    console.print(
        f"{int(duck['cols'])} columns; rows differing between the two panels: "
        f"{pand['differences']}; DuckDB settings {DUCKDB_SETTINGS}; against pandas before "
        f"storing its panel, DuckDB is {pand['compute_seconds'] / duck['seconds']:.1f}x faster"
    )
    ok = (
        duck["seconds"] < 60
        and duck["peak_mb"] < 4096
        and pand["seconds"] >= 5 * duck["seconds"]
        and pand["differences"] == 0
    )
    console.print("goal met" if ok else "[red]goal NOT met[/red]")


if __name__ == "__main__":
    main()
