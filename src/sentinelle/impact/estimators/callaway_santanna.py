"""Callaway & Sant'Anna (2021) staggered DiD, the main estimator of a withdrawal analysis.

Group-time ATTs via ``differences.ATTgt`` (not-yet- or never-treated controls),
aggregated into an overall ATT and an event study; analytic standard errors
clustered by unit. Robust to staggered timing with heterogeneous effects, unlike a
plain two-way fixed-effects event study.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sentinelle.i18n import N_
from sentinelle.impact.estimators.base import PerRing, cohorts, event_study
from sentinelle.impact.results import EventStudy

__all__ = ["CALLAWAY_SANTANNA", "NAME", "callaway_santanna"]

NAME = "callaway_santanna"


def callaway_santanna(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "unit_id",
    time: str = "month_id",
    cohort: str = "cohort",
    window: int = 24,
    control_group: str = "not_yet_treated",
    alpha: float = 0.05,
) -> EventStudy:
    """Callaway & Sant'Anna (2021) staggered DiD via ``differences.ATTgt``.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced long panel with columns ``unit``, ``time``, ``outcome``, ``cohort``.
    outcome : str
        Outcome column.
    unit, time, cohort : str
        Column names; ``cohort`` is the first treated month (NaN/0 never treated).
    window : int, default 24
        Leads and lags kept in the event study.
    control_group : {'not_yet_treated', 'never_treated'}
        Comparison units of each group-time ATT.
    alpha : float, default 0.05
        One minus the confidence level of the intervals.

    Returns
    -------
    EventStudy
        Overall ATT (cohort-size weighted average of all post-treatment ATT(g, t))
        and the event-study path (test pre-trends with :func:`pretrend_test`).

    Notes
    -----
    Uses the outcome-regression estimator with a varying base period, so each lead
    compares consecutive months; standard errors are analytic from the influence
    functions, which clusters by unit in a panel.

    Examples
    --------
    >>> res = callaway_santanna(panel, "y")  # doctest: +SKIP
    >>> res.att, res.lower, res.upper  # doctest: +SKIP
    """
    from differences import ATTgt

    data = panel[[unit, time, outcome]].copy()
    data["cohort"] = cohorts(panel, cohort).to_numpy()
    data = data.set_index([unit, time])
    with warnings.catch_warnings():
        # differences warns about each dropped empty group-time cell; the event
        # study shows what is left.
        warnings.simplefilter("ignore")
        model = ATTgt(data=data, cohort_column="cohort")
        model.fit(formula=outcome, control_group=control_group, progress_bar=False, alpha=alpha)
        simple = model.aggregate("simple", alpha=alpha)
        event = model.aggregate("event", alpha=alpha)
    att, se = float(simple.iloc[0, 0]), float(simple.iloc[0, 1])
    path = pd.DataFrame(
        {
            "rel_month": event.index.to_numpy(dtype=np.int64),
            "estimate": event.iloc[:, 0].to_numpy(dtype=np.float64),
            "se": event.iloc[:, 1].to_numpy(dtype=np.float64),
        }
    )
    path = path[path["rel_month"].between(-window, window)].reset_index(drop=True)
    treated = data["cohort"].notna().groupby(level=0).any()
    return event_study(NAME, att, se, path, treated, alpha)


CALLAWAY_SANTANNA = PerRing(
    NAME, N_("Staggered difference-in-differences (Callaway-Sant'Anna)"), callaway_santanna
)
