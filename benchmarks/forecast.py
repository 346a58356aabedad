"""Time to fit each forecast model and sample 1,000 draws per unit-month.

Two sizes, as in the forecasting issue:

- country-months: the real VIEWS cm panel (191 countries, February 2016 - December
  2023) from ``../shared/data/views-cm``, origin December 2023, horizons 1-36;
- PRIO-GRID cells: a synthetic panel of 10,000 cells x 120 months (5% of cells ever
  in conflict, as sparse as the VIEWS Africa/Middle East grid), horizons 1-12.

Usage (from the repository root)::

    python benchmarks/forecast.py [--models negbin lightgbm ...] [--sizes cm pgm]

Prints a Markdown table: seconds to fit, seconds to sample, and the draws' size.
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
from sentinelle.forecast import MODELS, get_model, load_views_cm  # noqa: E402
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
    start = time.perf_counter()
    model = get_model(name, horizons).fit(panel, origin)
    fitted = time.perf_counter()
    forecast = model.sample(horizons, N_DRAWS, np.random.default_rng(0))
    sampled = time.perf_counter()
    return {
        "fit_s": fitted - start,
        "sample_s": sampled - fitted,
        "total_s": sampled - start,
        "draws_mb": forecast.draws.nbytes / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the timings and print one Markdown table per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--sizes", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    for size in args.sizes:
        label, build = CASES[size]
        panel, origin, horizons = build()
        rows = {name: time_model(name, panel, origin, horizons) for name in args.models}
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
        print(f"\n### {label}, {N_DRAWS} draws (origin month {origin})\n")
        print(markdown_table(table))


if __name__ == "__main__":
    main()
