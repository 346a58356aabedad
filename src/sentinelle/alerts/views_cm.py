"""Country-month fatality series from the VIEWS prediction-challenge files, for the HDX rule.

The series is ``ged_sb`` (UCDP GED state-based fatalities) of
:func:`sentinelle.sources.views_data.load_views_cm`, which rebuilds the history back
to February 2016 from the challenge's published lags and sums; the actuals run to
December 2023 (no 2024 in these files).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sentinelle.sources.views_data import load_views_cm


def views_cm_series(data_dir: str | Path, country_ids: list[int] | None = None) -> pd.DataFrame:
    """State-based fatalities per VIEWS country and month, shaped for the alert rules.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The ``views-cm`` directory.
    country_ids : list of int, optional
        VIEWS country ids to keep (Mali 50, Burkina Faso 47, Niger 78).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_id, month_id, fatalities``, consecutive months per country.

    Examples
    --------
    >>> s = views_cm_series("../shared/data/views-cm", [50])  # doctest: +SKIP
    >>> s["month_id"].min(), s["month_id"].max()  # doctest: +SKIP
    (434, 528)
    """
    # The monthly files alone (from February 2016), the series the rule was checked on.
    panel = load_views_cm(data_dir, history=False)
    if country_ids is not None:
        panel = panel[panel["unit_id"].isin(country_ids)]
    series = panel[["unit_id", "month_id", "ged_sb"]].rename(columns={"ged_sb": "fatalities"})
    return series.astype({"fatalities": "float64"}).reset_index(drop=True)
