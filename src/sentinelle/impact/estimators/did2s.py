"""Gardner (2022) two-stage imputation DiD, the check on the main estimator.

Via ``pyfixest.did2s``: unit and month effects fitted on untreated observations, the
event study on the residuals, standard errors clustered by unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sentinelle.i18n import N_
from sentinelle.impact.estimators.base import PerRing, cohorts, event_study
from sentinelle.impact.results import EventStudy

__all__ = ["DID2S", "NAME", "gardner_did2s"]

NAME = "did2s"


def gardner_did2s(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "unit_id",
    time: str = "month_id",
    cohort: str = "cohort",
    window: int = 24,
    alpha: float = 0.05,
) -> EventStudy:
    """Gardner (2022) two-stage DiD via ``pyfixest.did2s``, with a pre-trend test.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with columns ``unit``, ``time``, ``outcome``, ``cohort``.
    outcome : str
        Outcome column.
    unit, time, cohort : str
        Column names; ``cohort`` is the first treated month (NaN/0 never treated).
    window : int, default 24
        Leads and lags estimated. Treated months beyond the window are dropped (so
        the ATT is the mean effect over the first ``window + 1`` months); leads
        beyond it join the reference month -1.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    EventStudy
        ATT over months 0..window and the event study (lead -1 is the
        reference, shown as 0).

    Examples
    --------
    >>> res = gardner_did2s(panel, "y")  # doctest: +SKIP
    >>> res.lower < res.att < res.upper  # doctest: +SKIP
    """
    import pyfixest as pf

    data = panel[[unit, time, outcome]].copy()
    first = cohorts(panel, cohort).to_numpy()
    rel = data[time].to_numpy() - first
    keep = ~(rel > window)
    data, rel, first = data[keep], rel[keep], first[keep]
    data["treat"] = (rel >= 0).astype(np.int64)
    in_window = (rel >= -window) & (rel <= window)
    data["rel"] = np.where(in_window, rel, -1).astype(np.int64)
    fs = f"~ 0 | {unit} + {time}"

    def fit(second_stage: str) -> pd.DataFrame:
        model = pf.did2s(
            data,
            yname=outcome,
            first_stage=fs,
            second_stage=second_stage,
            treatment="treat",
            cluster=unit,
        )
        tidy: pd.DataFrame = model.tidy()
        return tidy

    overall = fit("~ treat")
    dynamic = fit("~ i(rel, ref=-1)")
    rel_months = np.array([int(str(name).split("::")[1]) for name in dynamic.index])
    path = pd.DataFrame(
        {"rel_month": rel_months, "estimate": dynamic["Estimate"], "se": dynamic["Std. Error"]}
    )
    path = pd.concat(
        [path, pd.DataFrame({"rel_month": [-1], "estimate": [0.0], "se": [0.0]})]
    ).sort_values("rel_month", ignore_index=True)
    treated = pd.Series(first).notna().groupby(data[unit].to_numpy()).any()
    att, se = (float(v) for v in overall.loc["treat", ["Estimate", "Std. Error"]].to_numpy())
    return event_study(NAME, att, se, path, treated, alpha)


DID2S = PerRing(NAME, N_("Two-stage difference-in-differences"), gardner_did2s)
