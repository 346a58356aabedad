"""Calibration plots of sample forecasts, saved as PNG (matplotlib, Agg backend).

- PIT histogram: the randomized PIT of each observation (``scoring.randomized_pit``)
  should be uniform for a calibrated forecast; a U shape means too narrow, a hump too
  wide, a slope a biased forecast.
- Reliability diagram for the event "at least 25 fatalities": observed frequency
  against the forecast probability, by probability bin, with the bins' counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["pit_histogram", "plot_calibration", "reliability_curve", "reliability_diagram"]


def pit_histogram(
    pit: npt.ArrayLike, path: str | Path, title: str = "PIT histogram", bins: int = 10
) -> Path:
    """Save a density histogram of PIT values in [0, 1] with the uniform reference line."""
    values = np.asarray(pit, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(values, bins=bins, range=(0, 1), density=True, color="#4c72b0", edgecolor="white")
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT")
    ax.set_ylabel("density")
    ax.set_title(f"{title} (n={values.size})")
    ax.legend(loc="upper center")
    return _save(fig, path)


def reliability_curve(prob: npt.ArrayLike, event: npt.ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Mean forecast probability, observed frequency and count per probability bin.

    Bins are equal-width on [0, 1]; empty bins are left out.
    """
    p = np.asarray(prob, dtype=np.float64)
    e = np.asarray(event, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": which, "prob": p, "event": e})
    curve = frame.groupby("bin").agg(
        mean_prob=("prob", "mean"), observed=("event", "mean"), count=("event", "size")
    )
    return curve.reset_index(drop=True)


def reliability_diagram(
    prob: npt.ArrayLike,
    event: npt.ArrayLike,
    path: str | Path,
    title: str = "Reliability",
    bins: int = 10,
) -> Path:
    """Save a reliability diagram (observed frequency vs forecast probability)."""
    curve = reliability_curve(prob, event, bins)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="calibrated")
    ax.plot(curve["mean_prob"], curve["observed"], marker="o", color="#c44e52", label="forecast")
    for _, row in curve.iterrows():
        ax.annotate(
            f"{int(row['count'])}",
            (row["mean_prob"], row["observed"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return _save(fig, path)


def plot_calibration(rows: pd.DataFrame, out_dir: str | Path, threshold: int = 25) -> list[Path]:
    """PIT histogram and reliability diagram per model, pooled over windows.

    Parameters
    ----------
    rows : pandas.DataFrame
        Per unit-month scores with columns ``model``, ``pit``, ``p_event`` and ``obs``
        (as in ``BacktestResult.rows``).
    out_dir : str or pathlib.Path
        Folder for ``pit_<model>.png`` and ``reliability_<model>.png``.
    threshold : int
        Fatalities defining the event of the reliability diagram.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    written = []
    for model, group in rows.groupby("model", sort=True):
        slug = str(model).replace(":", "_").replace("/", "_")
        written.append(pit_histogram(group["pit"], out / f"pit_{slug}.png", f"PIT: {model}"))
        written.append(
            reliability_diagram(
                group["p_event"],
                group["obs"] >= threshold,
                out / f"reliability_{slug}.png",
                f"P(fatalities >= {threshold}): {model}",
            )
        )
    return written


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
