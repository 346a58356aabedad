"""Time to fit each forecast model and sample 1,000 draws per unit-month.

Two sizes, as in the forecasting issue:

- country-months: the real VIEWS cm panel (191 countries, February 2016 - December
  2023) from ``../shared/data/views-cm``, origin December 2023, horizons 1-36;
- PRIO-GRID cells: a synthetic panel of 10,000 cells x 120 months (5% of cells ever
  in conflict, as sparse as the VIEWS Africa/Middle East grid), horizons 1-12.

Usage (from the repository root)::

    python benchmarks/forecast.py [--models negbin lightgbm ...] [--sizes cm pgm]
    python benchmarks/forecast.py --crps [--reference]

Prints a Markdown table: seconds to fit (wall clock, and CPU seconds of the process,
which a machine shared with other jobs inflates less), seconds to sample, and the
draws' size.

``--crps`` is the fixed synthetic check of the PRIO-GRID provisions (decision 0010's
size provision): the ensemble is fitted on the 10,000-cell panel up to twelve months
before its end and scored (mean CRPS over every cell and held-out month, 1,000 draws)
on those twelve months. ``--reference`` adds the same fit with the provisions off
(``base.GRID_UNITS`` above the panel's size: five validation origins, every cell
scored, LightGBM on its usual rows), the path cm takes; it takes far longer.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.forecast.panels, the synthetic panel

from sentinelle.evaluate.backtest import markdown_table  # noqa: E402
from sentinelle.forecast import MODELS, base, get_model, load_views_cm  # noqa: E402
from sentinelle.scoring import crps_ensemble  # noqa: E402
from tests.forecast.panels import VIEWS_CM, synthetic_panel  # noqa: E402

N_DRAWS = 1000


def cm_case() -> tuple[pd.DataFrame, int, list[int]]:
    """Real VIEWS cm panel, origin at its last month, 36 horizons."""
    panel = load_views_cm(VIEWS_CM)
    return panel, int(panel["month_id"].max()), list(range(1, 37))


def pgm_case() -> tuple[pd.DataFrame, int, list[int]]:
    """Synthetic 10,000-cell panel, origin at its last month, 12 horizons."""
    panel = synthetic_panel(n_units=10_000, n_months=120, first_month=409, active_share=0.05)
    return panel, int(panel["month_id"].max()), list(range(1, 13))


CASES = {
    "cm": ("191 countries x 36 months", cm_case),
    "pgm": ("10,000 cells x 12 months", pgm_case),
}


def time_model(
    name: str, panel: pd.DataFrame, origin: int, horizons: list[int]
) -> dict[str, float]:
    """Seconds to fit ``name`` and to sample ``N_DRAWS`` draws per unit-month."""
    start, cpu = time.perf_counter(), time.process_time()
    model = get_model(name, horizons).fit(panel, origin)
    fitted, fit_cpu = time.perf_counter(), time.process_time()
    forecast = model.sample(horizons, N_DRAWS, np.random.default_rng(0))
    sampled = time.perf_counter()
    return {
        "fit_s": fitted - start,
        "fit_cpu_s": fit_cpu - cpu,
        "sample_s": sampled - fitted,
        "total_s": sampled - start,
        "draws_mb": forecast.draws.nbytes / 2**20,
    }


def crps_check(grid: bool, model: str = "ensemble") -> dict[str, float]:
    """Fit ``model`` on the pgm panel up to 12 months before its end; CRPS on them.

    ``grid=False`` raises ``base.GRID_UNITS`` above the panel's size for the run, so
    the PRIO-GRID provisions are off (the reference path).
    """
    panel, last, horizons = pgm_case()
    origin = last - len(horizons)
    saved = base.GRID_UNITS
    if not grid:
        base.GRID_UNITS = panel["unit_id"].nunique()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        fitted = get_model(model, horizons).fit(panel, origin)
        fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    finally:
        base.GRID_UNITS = saved
    forecast = fitted.sample(horizons, N_DRAWS, np.random.default_rng(0))
    actual = panel.set_index(["unit_id", "month_id"])["ged_sb"]
    months = forecast.month_ids
    index = pd.MultiIndex.from_product([months, forecast.unit_ids], names=["month_id", "unit_id"])
    observed = actual.reorder_levels(["month_id", "unit_id"]).reindex(index).to_numpy()
    draws = forecast.for_months(forecast.unit_ids, months)
    crps = float(np.mean(crps_ensemble(observed, draws)))
    return {"fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "crps": crps}


def main(argv: list[str] | None = None) -> None:
    """Run the timings and print one Markdown table per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--sizes", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--crps", action="store_true", help="the fixed synthetic CRPS check")
    parser.add_argument(
        "--reference", action="store_true", help="with --crps: also the provisions-off fit"
    )
    args = parser.parse_args(argv)
    if args.crps:
        rows = {"grid provisions": crps_check(grid=True)}
        if args.reference:
            rows["reference (provisions off)"] = crps_check(grid=False)
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("ensemble")
        print("\n### Ensemble, 10,000 cells, 12 held-out months, 1000 draws\n")
        print(markdown_table(table))
        return
    for size in args.sizes:
        label, build = CASES[size]
        panel, origin, horizons = build()
        rows = {name: time_model(name, panel, origin, horizons) for name in args.models}
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
        print(f"\n### {label}, {N_DRAWS} draws (origin month {origin})\n")
        print(markdown_table(table))


if __name__ == "__main__":
    main()
