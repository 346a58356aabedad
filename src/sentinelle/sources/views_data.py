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

Long history (decision 0010). When the folder holds
``history/views_cm_ged_sb_1990_2023_long.csv`` (``ged_sb`` per VIEWS country from
January 1990), its column ``ged_sb_api`` fills the months *before* the switch month,
the first month of the monthly files after the rebuild (February 2016); from the
switch month on the monthly files alone are used, so the actuals' data version is the
one models see in the recent past. ``ged_sb_api`` rather than ``ged_sb_pace2023``:
the two are equal in every month before 2020, and ``ged_sb_api`` is empty only where
the country did not exist under its VIEWS id (``ged_sb_pace2023`` is also empty in
2022-2023), so an empty cell has one meaning. Such a cell (Sudan and South Sudan
before July 2011, Serbia before 2008, ex-USSR states before 1992...) becomes a row
with ``ged_sb`` missing, not zero: models treat that month as not observed, and the
unit x month grid stays complete.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.errors import IngestError, SchemaError, SourceFileError

__all__ = ["HISTORY_COLUMN", "HISTORY_FILE", "load_views_cm"]

_TLAGS = 6
_TSUM = 24
HISTORY_FILE = Path("history", "views_cm_ged_sb_1990_2023_long.csv")
HISTORY_COLUMN = "ged_sb_api"
_HISTORY_KEYS = ("month_id", "country_id")


def load_views_cm(data_dir: str | Path, history: bool = True) -> pd.DataFrame:
    """Load the VIEWS cm panel: ``ged_sb`` rebuilt back to February 2016, and before.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The ``views-cm`` folder (holding ``features_monthly/``, optionally ``history/``).
    history : bool
        Join ``history/`` (months before the switch month) when the folder has it.

    Returns
    -------
    pandas.DataFrame
        One row per (``unit_id``, ``month_id``), sorted; ``attrs['data_version']`` is a
        hash of the files read.

    Raises
    ------
    sentinelle.errors.SchemaError
        If the history file lacks a column.
    sentinelle.errors.SourceFileError
        If the history file has a duplicate key or a negative count (naming the row).
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
    parts = [earlier, monthly]
    history_path = Path(data_dir, HISTORY_FILE)
    if history and history_path.is_file():
        digest.update(history_path.read_bytes())
        switch = int(earlier["month_id"].min()) if len(earlier) else int(monthly["month_id"].min())
        units = monthly["unit_id"].unique()
        parts.insert(0, _read_history(history_path, before=switch, units=units))
    panel = pd.concat(parts, ignore_index=True)
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


def _read_history(path: Path, before: int, units: npt.ArrayLike) -> pd.DataFrame:
    """``ged_sb`` of ``units`` in months before ``before`` from the long history file.

    Empty cells stay missing (the country did not exist under that id then); rows of
    months at or after ``before``, and of countries not in ``units``, are not read into
    the panel.
    """
    frame = pd.read_csv(path)
    missing = [c for c in (*_HISTORY_KEYS, HISTORY_COLUMN) if c not in frame.columns]
    if missing:
        raise SchemaError(f"{path}: missing columns {missing}")
    duplicated = frame.duplicated(list(_HISTORY_KEYS))
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise SourceFileError(f"{path}: row {row + 2} repeats a (month_id, country_id) key")
    negative = frame[HISTORY_COLUMN] < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise SourceFileError(f"{path}: row {row + 2} has a negative {HISTORY_COLUMN}")
    keep = (frame["month_id"] < before) & frame["country_id"].isin(np.asarray(units))
    return pd.DataFrame(
        {
            "unit_id": frame.loc[keep, "country_id"].astype(np.int64),
            "month_id": frame.loc[keep, "month_id"].astype(np.int64),
            "ged_sb": frame.loc[keep, HISTORY_COLUMN].astype(np.float64),
        }
    )
