"""Calibration plots are written as PNG; the reliability curve is right by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentinelle.evaluate.calibration import (
    pit_histogram,
    plot_calibration,
    reliability_curve,
    reliability_diagram,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_reliability_curve_by_hand() -> None:
    curve = reliability_curve([0.05, 0.05, 0.95, 0.91, 0.5], [0, 1, 1, 1, 0], bins=10)
    assert curve["count"].tolist() == [2, 1, 2]
    assert curve["mean_prob"].tolist() == pytest.approx([0.05, 0.5, 0.93])
    assert curve["observed"].tolist() == pytest.approx([0.5, 0.0, 1.0])
    # A probability of exactly 1 falls in the last bin.
    assert reliability_curve([1.0], [1])["count"].tolist() == [1]


def test_plots_are_png_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pit = pit_histogram(rng.uniform(size=500), tmp_path / "a" / "pit.png")
    rel = reliability_diagram(
        rng.uniform(size=500), rng.uniform(size=500) < 0.3, tmp_path / "r.png"
    )
    for path in (pit, rel):
        assert path.read_bytes()[:8] == PNG


def test_plot_calibration_writes_two_plots_per_model(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "model": ["ensemble"] * 50 + ["file:zero"] * 50,
            "pit": np.linspace(0, 1, 100),
            "p_event": np.linspace(0, 1, 100),
            "obs": np.arange(100),
        }
    )
    written = plot_calibration(rows, tmp_path)
    assert sorted(p.name for p in written) == [
        "pit_ensemble.png",
        "pit_file_zero.png",
        "reliability_ensemble.png",
        "reliability_file_zero.png",
    ]
