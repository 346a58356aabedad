"""Features of a unit at a month, computed only from that month and earlier ones.

``feature_cube`` turns a ``History`` into an array ``[unit, month, feature]``: the
target's recent level, lags, trend, frequency and recency of fatalities, the same
levels for the other violence types, and a few of the panel's own covariate columns.
Every feature at month ``t`` uses data of months ``<= t`` only, so a model trained on
``(features at t, outcome at t + h)`` and applied to the features at the origin never
looks past the origin (the VIEWS convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.forecast.base import TARGETS, History

__all__ = ["DEFAULT_COVARIATES", "feature_cube", "trailing"]

# Slow-moving structural covariates of the VIEWS cm files that conflict-forecasting
# work routinely finds informative (population, income, infant mortality, liberal
# democracy) and the neighbours' recent state-based violence (a spatial lag). A panel
# without a column simply lacks that feature.
DEFAULT_COVARIATES: tuple[str, ...] = (
    "wdi_sp_pop_totl",
    "wdi_ny_gdp_pcap_kd",
    "wdi_sp_dyn_imrt_in",
    "vdem_v2x_libdem",
    "splag_1_decay_ged_sb_5",
    # Admin-unit aggregate panels (ACLED's HDX series): the neighbours' fatalities.
    "fatalities_splag_1",
)
# Outcomes that are no forecast target but whose recent levels are features: the event
# counts of aggregate panels.
CONTEXT_OUTCOMES: tuple[str, ...] = ("events",)

_LAGS = 6
_LEVEL_WINDOWS = (3, 6, 12, 24)
_SHARE_WINDOWS = (12, 24)
_OTHER_WINDOWS = (3, 12)

FloatArray = npt.NDArray[np.float64]


def trailing(values: FloatArray, window: int, how: str) -> FloatArray:
    """Trailing rolling statistic over months (rows), using whatever months exist.

    Only units (columns) with a non-zero or missing month are rolled: the statistic of
    a column of zeros is zeros (at PRIO-GRID scale most cells never see an event).
    """
    busy = ~(values == 0).all(axis=0)
    out = np.zeros_like(values, dtype=np.float64)
    if busy.any():
        roll = pd.DataFrame(values[:, busy]).rolling(window, min_periods=1)
        out[:, busy] = getattr(roll, how)().to_numpy()
    return out


def _months_since_positive(y: FloatArray) -> FloatArray:
    """Months since the last positive value up to each month (rows); NaN if none yet."""
    steps = np.arange(y.shape[0], dtype=np.float64)[:, None]
    last = np.where(np.nan_to_num(y) > 0, steps, np.nan)
    since: FloatArray = steps - pd.DataFrame(last).ffill().to_numpy()
    return since


def feature_cube(
    history: History, covariates: Sequence[str] = DEFAULT_COVARIATES
) -> tuple[npt.NDArray[np.float32], list[str]]:
    """Features ``[unit, month, feature]`` for every unit and month of ``history``.

    Parameters
    ----------
    history : History
        The panel cut at the origin.
    covariates : sequence of str
        Panel columns used as features as they are (absent ones are skipped).

    Returns
    -------
    cube : numpy.ndarray, shape (units, months, features)
    names : list of str
        Feature names in the cube's last-axis order.
    """
    target = history.y.T  # months x units: rolling windows run down the rows
    log_target = np.log1p(target)
    blocks: dict[str, FloatArray] = {}
    for lag in range(_LAGS):
        lagged = np.full_like(log_target, np.nan)
        lagged[lag:] = log_target[: log_target.shape[0] - lag]
        blocks[f"log_lag_{lag}"] = lagged
    for window in _LEVEL_WINDOWS:
        blocks[f"log_mean_{window}"] = np.log1p(trailing(target, window, "mean"))
    blocks["log_max_12"] = np.log1p(trailing(target, 12, "max"))
    blocks["trend_3_12"] = blocks["log_mean_3"] - blocks["log_mean_12"]
    positive = np.where(np.isnan(target), np.nan, (target > 0).astype(np.float64))
    for window in _SHARE_WINDOWS:
        blocks[f"share_pos_{window}"] = trailing(positive, window, "mean")
    blocks["months_since_pos"] = _months_since_positive(target)

    panel = history.panel
    rows = panel["month_id"].to_numpy(np.int64) - history.months[0]
    cols = np.searchsorted(history.unit_ids, panel["unit_id"].to_numpy(np.int64))

    def as_matrix(column: str) -> FloatArray:
        matrix = np.full(target.shape, np.nan)
        matrix[rows, cols] = panel[column].to_numpy(np.float64)
        return matrix

    for other in (*TARGETS, *CONTEXT_OUTCOMES):
        if other == history.target or other not in panel.columns:
            continue
        values = as_matrix(other)
        for window in _OTHER_WINDOWS:
            blocks[f"{other}_log_mean_{window}"] = np.log1p(trailing(values, window, "mean"))
    for column in covariates:
        if column in panel.columns:
            blocks[column] = as_matrix(column)

    names = list(blocks)
    cube = np.empty((history.unit_ids.size, target.shape[0], len(names)), dtype=np.float32)
    for i, name in enumerate(names):
        cube[:, :, i] = blocks[name].T
    return cube, names
