"""Panels for forecast and evaluation tests: a synthetic one and the real VIEWS cm files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# The shared real data sits beside the repository (see shared/data/README.md).
VIEWS_CM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "views-cm"


def views_cm_dir() -> Path:
    """The real VIEWS cm folder, or skip the test when this checkout has no shared data."""
    if not (VIEWS_CM / "features_monthly").is_dir():
        pytest.skip(f"real VIEWS cm data not found at {VIEWS_CM}")
    return VIEWS_CM


def synthetic_panel(
    n_units: int = 40,
    n_months: int = 72,
    first_month: int = 400,
    active_share: float = 2 / 3,
    seed: int = 0,
) -> pd.DataFrame:
    """A unit-month panel with persistent conflicts of different intensities.

    Units outside ``active_share`` never have fatalities; the others follow a latent
    log-intensity AR(1) around a unit-specific level with negative binomial counts, so
    that history predicts the future and every model has something to learn.
    ``ged_os`` and one covariate (``wdi_sp_pop_totl``) come along. Also used by
    ``benchmarks/forecast.py`` for PRIO-GRID-sized panels (small ``active_share``).
    """
    rng = np.random.default_rng(seed)
    active = rng.uniform(size=n_units) < active_share
    level = np.where(active, rng.uniform(-1.0, 5.0, n_units), -np.inf)
    latent = np.zeros((n_units, n_months))
    state = rng.normal(0, 1, n_units)
    for t in range(n_months):
        state = 0.8 * state + rng.normal(0, 0.6, n_units)
        latent[:, t] = level + state
    mean = np.exp(latent)
    counts = rng.negative_binomial(2.0, 2.0 / (2.0 + mean))
    units = np.repeat(np.arange(1, n_units + 1), n_months)
    months = np.tile(np.arange(first_month, first_month + n_months), n_units)
    return pd.DataFrame(
        {
            "unit_id": units,
            "month_id": months,
            "ged_sb": counts.ravel().astype(float),
            "ged_os": rng.poisson(counts.ravel() * 0.2).astype(float),
            "wdi_sp_pop_totl": np.repeat(rng.uniform(1e5, 1e8, n_units), n_months),
        }
    )
