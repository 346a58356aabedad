"""Country-month panel from the VIEWS 2023/24 prediction challenge files.

``load_views_cm`` reads ``features_monthly/cm_features_YYYY.csv`` (every month of
2018-2023, 132 columns) into the panel layout the forecast models take: ``unit_id``
(VIEWS ``country_id``), ``month_id``, the outcomes ``ged_sb``, ``ged_ns``, ``ged_os`` and
the challenge's feature columns.

History before 2018. The monthly files start in January 2018, but each row also holds
``ged_sb_tlag_1..6`` (the six previous months) and ``ged_sb_tsum_24`` (the sum of the
24 months up to and including the row's month, checked exactly against the files).
Consecutive sums give ``ged_sb(t - 24) = ged_sb(t) - tsum(t) + tsum(t - 1)``, so the
loader rebuilds state-based fatalities back to February 2016 (month 434), 21 months
before the first challenge origin (October 2017). These months are values *of* months
before the origins, as published in the same data version as the actuals; they have
no other columns (NaN), and ``ged_os`` gets only December 2017 (``ged_os_tlag_1``).
The ``features/cm_features_to_octYYYY.parquet`` files are an earlier data version
(about 1% of GED values differ) covering November 2017 onward only, so they add no
history and are not used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from sentinelle.errors import IngestError

__all__ = ["load_views_cm"]

_TLAGS = 6
_TSUM = 24


def load_views_cm(data_dir: str | Path) -> pd.DataFrame:
    """Load the VIEWS cm panel, with ``ged_sb`` history rebuilt back to February 2016.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The ``views-cm`` folder (holding ``features_monthly/``).

    Returns
    -------
    pandas.DataFrame
        One row per (``unit_id``, ``month_id``), sorted; ``attrs['data_version']`` is a
        hash of the files read.
    """
    files = sorted(Path(data_dir, "features_monthly").glob("cm_features_*.csv"))
    if not files:
        raise FileNotFoundError(f"no features_monthly/cm_features_*.csv under {data_dir}")
    digest = hashlib.sha256()
    frames = []
    for path in files:
        digest.update(path.read_bytes())
        frame = pd.read_csv(path)
        # The CSVs carry the month key's date columns and empty spreadsheet columns.
        drop = [
            c for c in frame.columns if c in {"Date", "Month", "Year"} or c.startswith("Unnamed")
        ]
        frames.append(frame.drop(columns=drop))
    monthly = pd.concat(frames, ignore_index=True).rename(columns={"country_id": "unit_id"})
    monthly = monthly.sort_values(["unit_id", "month_id"], ignore_index=True)

    earlier = _rebuild_ged_sb(monthly)
    os_lag = monthly.loc[monthly["month_id"] == monthly["month_id"].min()]
    earlier = earlier.merge(
        pd.DataFrame(
            {
                "unit_id": os_lag["unit_id"],
                "month_id": os_lag["month_id"] - 1,
                "ged_os": os_lag["ged_os_tlag_1"],
            }
        ),
        on=["unit_id", "month_id"],
        how="left",
    )
    panel = pd.concat([earlier, monthly], ignore_index=True)
    panel = panel.sort_values(["unit_id", "month_id"], ignore_index=True)
    panel.attrs["data_version"] = "views-cm:sha256:" + digest.hexdigest()[:16]
    return panel


def _rebuild_ged_sb(monthly: pd.DataFrame) -> pd.DataFrame:
    """``ged_sb`` for months before the first monthly file, from lags and 24-month sums."""
    first = int(monthly["month_id"].min())
    sb = monthly.pivot(index="month_id", columns="unit_id", values="ged_sb")
    tsum = monthly.pivot(index="month_id", columns="unit_id", values="ged_sb_tsum_24")
    from_sums = (sb - tsum + tsum.shift(1)).iloc[1:]
    from_sums.index = from_sums.index - _TSUM

    first_rows = monthly.loc[monthly["month_id"] == first].set_index("unit_id")
    from_lags = pd.DataFrame(
        {first - k: first_rows[f"ged_sb_tlag_{k}"] for k in range(1, _TLAGS + 1)}
    ).T

    rebuilt = from_sums.loc[from_sums.index < first].combine_first(from_lags)
    overlap = from_sums.index.intersection(from_lags.index)
    if not np.allclose(from_sums.loc[overlap], from_lags.loc[overlap], equal_nan=True):
        raise IngestError("ged_sb_tlag_* and ged_sb_tsum_24 disagree: not one data version")
    if (rebuilt < 0).any().any():
        raise IngestError("rebuilt ged_sb history has negative values")
    long = rebuilt.rename_axis(index="month_id").reset_index()
    long = long.melt(id_vars="month_id", var_name="unit_id", value_name="ged_sb").dropna()
    return long[["unit_id", "month_id", "ged_sb"]].astype({"unit_id": np.int64})
