"""Simulated unit-month panels with a known closure effect, staggered timing and spillover."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUE_ATT = 2.0
TRUE_SPILLOVER = 1.0
COHORTS = (34, 42, 50)


def simulate_panel(
    seed: int = 0,
    *,
    n_core: int = 60,
    n_ring: int = 40,
    n_control: int = 200,
    n_months: int = 80,
) -> pd.DataFrame:
    """Panel of counts with +2 a month in core units and +1 in the ring after closure.

    Columns: unit_id, month_id (1..n_months), y, cohort (NaN for controls), ring
    (0 core, 1 the 25-50 km ring, -1 control). Units differ in level and trend, and
    treated units have a higher level than controls (closures are not random), but
    trends are parallel absent treatment, so DiD identifies the effect.
    """
    rng = np.random.default_rng(seed)
    n = n_core + n_ring + n_control
    ring = np.repeat([0, 1, -1], [n_core, n_ring, n_control])
    cohort = np.where(ring >= 0, rng.choice(COHORTS, n), np.nan)
    level = rng.gamma(2.0, 1.0, n) + np.where(ring == 0, 1.5, 0.0)
    months = np.arange(1, n_months + 1)
    # Additive month effects (season, trend) keep trends parallel in levels, which is
    # what DiD on counts assumes; a multiplicative trend would favour high-level units.
    common = 0.8 * np.sin(2 * np.pi * months / 12) + 0.02 * months + 1.0
    mu = level[:, None] + common[None, :]
    post = months[None, :] >= np.nan_to_num(cohort, nan=np.inf)[:, None]
    effect = np.where(ring == 0, TRUE_ATT, np.where(ring == 1, TRUE_SPILLOVER, 0.0))
    y = rng.poisson(mu) + rng.poisson(post * effect[:, None])
    return pd.DataFrame(
        {
            "unit_id": np.repeat(np.arange(n), n_months),
            "month_id": np.tile(months, n),
            "y": y.ravel().astype(np.float64),
            "cohort": np.repeat(cohort, n_months),
            "ring": np.repeat(ring, n_months),
        }
    )
