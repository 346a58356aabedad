"""Pre-trend test shared by the DiD estimators: do treated units follow the control trend?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sentinelle.impact.estimators.base import cohorts
from sentinelle.impact.results import PretrendTest

__all__ = ["pretrend_test"]


def pretrend_test(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "unit_id",
    time: str = "month_id",
    cohort: str = "cohort",
    window: int = 24,
    bin_months: int = 6,
) -> PretrendTest:
    """Pre-trend test on untreated observations (Borusyak, Jaravel & Spiess 2024, test 1).

    Fits ``outcome ~ lead bins | unit + month`` by OLS on the not-yet-treated and
    never-treated observations only, so post-treatment effects, however
    heterogeneous, cannot leak into the leads; then tests that the lead bins are
    jointly zero, with standard errors clustered by unit.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with columns ``unit``, ``time``, ``outcome``, ``cohort``.
    outcome : str
        Outcome column.
    unit, time, cohort : str
        Column names; ``cohort`` is the first treated month (NaN/0 never treated).
    window : int, default 24
        Months before treatment tested; earlier months join the reference.
    bin_months : int, default 6
        Months per lead bin.

    Returns
    -------
    PretrendTest

    Notes
    -----
    Leads are binned and the Wald statistic converted to an F with denominator
    ``G - k`` (G = treated units, the clusters that identify the leads): a
    chi-square test of 24 monthly leads with a clustered covariance from a few dozen
    units rejects a true null far more often than its nominal level (about 45 % at
    5 % on the simulated panels of the test suite; 3 % with this test).

    Examples
    --------
    >>> pretrend_test(panel, "y").p_value  # doctest: +SKIP
    """
    import pyfixest as pf

    first = cohorts(panel, cohort)
    rel = panel[time] - first
    data = panel.loc[~(rel >= 0), [unit, time, outcome]].copy()
    rel = rel[~(rel >= 0)]
    in_window = rel.between(-window, -1)
    # Months -1..-bin_months form bin -1, the next ones bin -2, ...; 0 is the reference.
    lead_bin = -((-rel.fillna(-1) - 1) // bin_months + 1)
    data["lead_bin"] = np.where(in_window, lead_bin, 0).astype(np.int64)
    model = pf.feols(
        f"{outcome} ~ i(lead_bin, ref=0) | {unit} + {time}", data=data, vcov={"CRV1": unit}
    )
    coef = model.coef().to_numpy(dtype=np.float64)
    vcov = np.asarray(model._vcov, dtype=np.float64)
    # A pseudo-inverse: with few clusters the lead covariance can be rank-deficient.
    wald = float(coef @ np.linalg.pinv(vcov) @ coef)
    k = int(np.linalg.matrix_rank(vcov))
    g = int(first.notna().groupby(panel[unit]).any().sum())
    df2 = max(g - k, 1)
    f_stat = wald * df2 / (k * max(g - 1, 1))
    bins = np.array([int(str(name).split("::")[1]) for name in model.coef().index])
    leads = pd.DataFrame(
        {
            "bin_start": bins * bin_months,
            "bin_end": (bins + 1) * bin_months - 1,
            "estimate": coef,
            "se": np.sqrt(np.diag(vcov)),
        }
    )
    return PretrendTest(
        f_stat=f_stat,
        df1=k,
        df2=df2,
        p_value=float(stats.f.sf(f_stat, k, df2)),
        leads=leads.sort_values("bin_start", ignore_index=True),
    )
