"""HDX Signals' armed-conflict rule on monthly series, and on ACLED's HDX aggregates.

The published definition
    HDX Signals (OCHA Centre for Humanitarian Data), "Armed conflict"
    (https://un-ocha-centre-for-humanitarian.gitbook.io/hdx-signals/datasets/armed-conflict):
    "calculate monthly fatalities as the rolling sum of fatalities across the past 30
    days. Signals are generated whenever monthly fatalities reaches levels not seen in
    the past one or three years. Signals are not generated if monthly fatalities are
    below the minimum threshold of 100."

Its code (github.com/OCHA-DAP/hdx-signals; files read at commits a7bf462, 0eebf1a, 28ea6d5)
    - ``src/indicators/acled_conflict/utils/wrangle_conflict.R``: ACLED events summed by
      country and day, the days without events filled with 0 (``tidyr::complete``),
      ``fatalities_30d = zoo::rollsumr(fatalities, k = 30, fill = NA)``.
    - ``src/indicators/acled_conflict/utils/alert_conflict.R``: ``alert_daily_ts(df,
      val_col = "fatalities_30d", min_val = 100)``.
    - ``src/utils/alert_daily_ts.R``: level 1 ("Medium concern") when the value is
      ``>= zoo::rollmaxr(value, k = 366, fill = NA)`` (the maximum of that day and the
      365 before) and ``>= 100``; level 2 ("High concern") the same with ``k = 1096``;
      a window not yet full is ``NA`` and raises nothing; the higher level is kept.
    - ``src/alerts/filter_alerts.R`` (``filter_alerts_first_run``, the historical
      run): per country, in date order, each remaining alert removes the alerts 1 to
      180 days after it of equal or lower level (a higher level still fires).

The monthly version implemented here (:func:`hdx_signals`)
    - value: the unit's fatalities in the calendar month (the 30-day sum ending on the
      month's last day, over 28-31 days);
    - level 1 when the month's value is >= each of the 12 months before it (a 366-day
      window of daily values is that day and the 365 before; the month that ended 365
      days earlier is the same month a year before), level 2 against the 36 months
      before (1,096 days); both need every one of those months in the data, and a value
      >= 100; the higher level is kept;
    - the 180-day filter: month starts 5 months apart are 150-153 days apart, 6 months
      181-184, so a signal is masked by a kept one 1 to 5 months before it of equal or
      higher level.

Deviations forced by monthly data, and by these data
    - Signals judges every day's 30-day sum; monthly data have one sum per calendar
      month. A surge that straddles two months is split between them, so it can stay
      under the year's high (or under 100) where a daily 30-day sum would not, and an
      alert is dated by its month, not its day. No daily figure can be rebuilt from
      monthly aggregates: this is the closest reading of the rule they allow.
    - Signals keeps only alerts of the last 90 days on its ongoing runs, and none within
      180 days after a signal it sent. Sentinelle records every alert of the history,
      as Signals' first run does; which are sent is the delivery's matter
      (:mod:`sentinelle.alerts.delivery`).
    - Signals reads ACLED's API (``raw_conflict.R`` at commit 05b7558 requests every
      event, with no event-type filter) and alerts by country only. Here the series is one of
      ACLED's HDX workbooks, by default *political violence* (the HDX Signals page
      points to these aggregates; civilian targeting can be passed as ``series``), so a
      month's total leaves out fatalities ACLED records outside that series. The
      country value is the sum of the workbook's units; the admin-1 value is the sum of
      its admin-2 units by ``admin1_pcode`` (or the admin-1 row itself where an admin-1
      file is stored, which is then preferred). Admin 1 is Sentinelle's extension: the
      same rule and the same floor of 100 as Signals' country rule.
    - History: Signals fills its daily series from the first day of its data; here every
      month of the stored coverage of the country (first to last month of any of its
      units), months without a row counting 0.

Each alert (rule :data:`AGGREGATE_RULE`) carries its explanation in ``evidence``: the
definition and its source, the data (source, series, as-of, admin level and number of
units summed), the month's fatalities and events, the floor, the maximum of the 12 and
the 36 months before and the month it fell in, the last earlier month with more
fatalities ("highest since"), the months of the level's window with their values, and
the later signals its 180-day filter masked.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd

from sentinelle.alerts.store import AlertCandidate
from sentinelle.errors import UsageError
from sentinelle.geo import month_string
from sentinelle.store.aggregates import current_aggregates

__all__ = [
    "AGGREGATE_RULE",
    "HDX_COOLDOWN_MONTHS",
    "HDX_FLOOR",
    "HDX_SIGNALS_CODE",
    "HDX_SIGNALS_URL",
    "HDX_WINDOWS",
    "aggregate_alerts",
    "aggregate_series",
    "hdx_signals",
]

HDX_FLOOR = 100
HDX_WINDOWS = {1: 12, 2: 36}  # level -> prior months that must not exceed the value
HDX_COOLDOWN_MONTHS = 5
HDX_SIGNALS_URL = (
    "https://un-ocha-centre-for-humanitarian.gitbook.io/hdx-signals/datasets/armed-conflict"
)
HDX_SIGNALS_CODE = (
    "github.com/OCHA-DAP/hdx-signals: src/utils/alert_daily_ts.R, src/alerts/filter_alerts.R, "
    "src/indicators/acled_conflict/utils/wrangle_conflict.R"
)
AGGREGATE_RULE = "acled_hdx_conflict"
_DEFINITION = (
    "HDX Signals armed conflict, monthly: a month's fatalities >= each of the 12 months "
    "before (level 1) or the 36 months before (level 2), at least 100; a signal within "
    "180 days (5 months) after a kept signal of equal or higher level is masked"
)
_SIGNAL_COLUMNS = [
    "unit_id", "month_id", "fatalities", "level", "prior_max_12", "prior_max_36",
    "suppressed", "masked_by",
]  # fmt: skip


def hdx_signals(
    series: pd.DataFrame,
    *,
    floor: float = HDX_FLOOR,
    cooldown_months: int = HDX_COOLDOWN_MONTHS,
) -> pd.DataFrame:
    """Apply the monthly HDX Signals conflict rule (module docstring) to unit series.

    Parameters
    ----------
    series : pandas.DataFrame
        Columns ``unit_id, month_id, fatalities``, consecutive months per unit.
    floor : float
        Minimum fatalities for any signal (HDX: 100).
    cooldown_months : int
        A signal within this many months after a kept signal of equal or higher level
        is marked ``suppressed``.

    Returns
    -------
    pandas.DataFrame
        One row per signal: ``unit_id, month_id, fatalities, level, prior_max_12,
        prior_max_36, suppressed, masked_by`` (the month of the kept signal that masked
        a suppressed one, else ``NaN``).

    Raises
    ------
    UsageError
        If a unit's months are not consecutive (a gap would shorten the windows).

    Examples
    --------
    >>> s = pd.DataFrame({"unit_id": "X", "month_id": range(1, 15),
    ...                   "fatalities": [50] * 12 + [150, 120]})
    >>> hdx_signals(s)[["month_id", "level"]].to_dict("records")
    [{'month_id': 13, 'level': 1}]
    """
    out = []
    for unit_id, group in series.sort_values("month_id").groupby("unit_id", sort=True):
        months = group["month_id"].to_numpy()
        if len(months) > 1 and (np.diff(months) != 1).any():
            raise UsageError(f"unit {unit_id}: months are not consecutive")
        values = group["fatalities"].astype(float)
        prior = {
            lvl: values.shift(1).rolling(window, min_periods=window).max()
            for lvl, window in HDX_WINDOWS.items()
        }
        level = pd.Series(0, index=values.index)
        for lvl in sorted(HDX_WINDOWS):
            # A NaN prior maximum (window not yet full) compares False: no signal.
            level[(values >= prior[lvl]) & (values >= floor)] = lvl
        hits = group[["unit_id", "month_id", "fatalities"]].assign(
            level=level, prior_max_12=prior[1], prior_max_36=prior[2]
        )[level > 0]
        out.append(_suppress(hits, cooldown_months))
    if not out:
        return pd.DataFrame(columns=_SIGNAL_COLUMNS)
    return pd.concat(out, ignore_index=True)[_SIGNAL_COLUMNS]


def _suppress(hits: pd.DataFrame, cooldown: int) -> pd.DataFrame:
    """HDX's first-run filter: walk signals in time order, each kept one masking the
    following ``cooldown`` months' signals of equal or lower level."""
    suppressed = np.zeros(len(hits), dtype=bool)
    masked_by = np.full(len(hits), np.nan)
    months = hits["month_id"].to_numpy()
    levels = hits["level"].to_numpy()
    for i in range(len(hits)):
        if suppressed[i]:
            continue
        later = (months - months[i] >= 1) & (months - months[i] <= cooldown)
        masks = later & (levels <= levels[i]) & ~suppressed
        suppressed |= masks
        masked_by[masks] = months[i]
    return hits.assign(suppressed=suppressed, masked_by=masked_by)


def aggregate_series(
    con: duckdb.DuckDBPyConnection,
    level: str = "country",
    *,
    series: str = "political_violence",
    source: str = "acled-hdx",
) -> pd.DataFrame:
    """Monthly fatalities per country or admin-1 unit from the stored aggregates.

    Per country the units of one admin level are summed: its admin-1 rows where an
    admin-1 file is stored, else its admin-2 rows (by ``admin1_pcode`` for admin 1);
    every month from the country's first to its last stored month, 0 where no row.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    level : {'country', 'admin1'}
        Unit: ISO3, or ``'ISO3/admin-1 name'`` (the form alert wording reads).
    series, source : str
        The aggregates read (current values, :func:`current_aggregates`).

    Returns
    -------
    pandas.DataFrame
        ``unit_id, iso3, pcode, name, month_id, fatalities, events, admin_level, units,
        as_of`` (``pcode``/``name`` of the admin-1 unit, ``None`` for a country;
        ``admin_level`` and ``units`` what was summed; ``as_of`` the latest release
        read, ``YYYY-MM-DD`` or ``None``), consecutive months per unit.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> aggregate_series(open_store(":memory:")).empty
    True
    """
    return _unit_series(current_aggregates(con, source=source, series=series), level)


def _unit_series(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """:func:`aggregate_series` of rows of :func:`current_aggregates`."""
    if level not in ("country", "admin1"):
        raise UsageError(f"level must be 'country' or 'admin1', got {level!r}")
    columns = ["unit_id", "iso3", "pcode", "name", "month_id", "fatalities", "events",
               "admin_level", "units", "as_of"]  # fmt: skip
    out = []
    for iso3, country in rows.groupby("iso3", sort=True):
        used = int(country["admin_level"].min())
        country = country[country["admin_level"] == used]
        admin1 = country["pcode"] if used == 1 else country["admin1_pcode"]
        admin1_name = country["name"] if used == 1 else country["admin1_name"]
        frame = pd.DataFrame({
            "pcode": admin1.astype(str).to_numpy(),
            "name": admin1_name.fillna(admin1).astype(str).to_numpy(),
            "unit": country["pcode"].to_numpy(),
            "month_id": country["month_id"].astype(int).to_numpy(),
            "fatalities": country["fatalities"].astype(int).to_numpy(),
            "events": country["events"].astype(int).to_numpy(),
        })  # fmt: skip
        as_of = pd.to_datetime(country["as_of"]).max()
        months = pd.DataFrame(
            {"month_id": range(int(frame["month_id"].min()), int(frame["month_id"].max()) + 1)}
        )
        groups: list[tuple[str | None, str | None, pd.DataFrame]] = [(None, None, frame)]
        if level == "admin1":
            groups = [
                (*cast(tuple[str, str], key), unit)
                for key, unit in frame.groupby(["pcode", "name"], sort=True)
            ]
        for pcode, name, unit in groups:
            sums = unit.groupby("month_id")[["fatalities", "events"]].sum().reset_index()
            full = months.merge(sums, on="month_id", how="left").fillna(0)
            out.append(full.assign(
                unit_id=iso3 if level == "country" else f"{iso3}/{name}",
                iso3=iso3, pcode=pcode, name=name, admin_level=used,
                units=unit["unit"].nunique(),
                as_of=None if pd.isna(as_of) else as_of.date().isoformat(),
            ))  # fmt: skip
    if not out:
        return pd.DataFrame(columns=columns)
    result = pd.concat(out, ignore_index=True)[columns]
    return result.astype({"fatalities": "int64", "events": "int64", "month_id": "int64"})


def aggregate_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    series: str = "political_violence",
    source: str = "acled-hdx",
    levels: tuple[str, ...] = ("country", "admin1"),
    floor: float = HDX_FLOOR,
    rule: str = AGGREGATE_RULE,
) -> list[AlertCandidate]:
    """HDX Signals conflict alerts (unsuppressed signals) on the stored aggregates.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    series, source : str
        The aggregates read (:func:`aggregate_series`).
    levels : tuple of str
        Units judged: ``'country'`` and/or ``'admin1'``.
    floor : float
        Minimum fatalities (HDX: 100).
    rule : str
        Name the alerts carry (another name for another series keeps their keys apart).

    Returns
    -------
    list of AlertCandidate
        ``value`` the month's fatalities, ``threshold`` the maximum of the level's
        window, ``evidence`` the explanation (module docstring).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> aggregate_alerts(open_store(":memory:"))
    []
    """
    out: list[AlertCandidate] = []
    rows = current_aggregates(con, source=source, series=series)
    for level in levels:
        data = _unit_series(rows, level)
        if data.empty:
            continue
        signals = hdx_signals(data[["unit_id", "month_id", "fatalities"]], floor=floor)
        by_unit = {str(k): g.set_index("month_id") for k, g in data.groupby("unit_id")}
        for unit_id, unit_signals in signals.groupby("unit_id", sort=True):
            unit = by_unit[str(unit_id)]
            for row in unit_signals[~unit_signals["suppressed"]].to_dict("records"):
                masked = unit_signals.loc[unit_signals["masked_by"] == row["month_id"]]
                out.append(_candidate(rule, level, unit, row, masked, series, source, floor))
    return out


def _window_max(values: pd.Series, month: int, months: int) -> tuple[float | None, str | None]:
    """Maximum of the ``months`` before ``month`` and the latest month holding it."""
    window = values.loc[month - months : month - 1]
    if len(window) < months:
        return None, None
    top = float(window.max())
    return top, month_string(int(window[window == top].index.max()))


def _candidate(
    rule: str,
    level: str,
    unit: pd.DataFrame,
    row: dict[Hashable, Any],
    masked: pd.DataFrame,
    series: str,
    source: str,
    floor: float,
) -> AlertCandidate:
    month, lvl = int(row["month_id"]), int(row["level"])
    values = unit["fatalities"]
    value = float(values.loc[month])
    max12, at12 = _window_max(values, month, HDX_WINDOWS[1])
    max36, at36 = _window_max(values, month, HDX_WINDOWS[2])
    earlier = values.loc[: month - 1]
    higher = [int(m) for m in earlier.index[earlier.to_numpy() > value]]
    window = values.loc[month - HDX_WINDOWS[lvl] : month - 1]
    index = unit.index.to_numpy()
    first, last = int(index.min()), int(index.max())
    info = unit.iloc[0]
    threshold = max36 if lvl == 2 else max12
    return AlertCandidate(
        rule=rule,
        unit_type=level,
        unit_id=str(row["unit_id"]),
        period=month_string(month),
        level=lvl,
        value=value,
        threshold=float(threshold if threshold is not None else floor),
        evidence={
            "definition": _DEFINITION,
            "definition_source": HDX_SIGNALS_URL,
            "definition_code": HDX_SIGNALS_CODE,
            "data": {
                "source": source,
                "series": series,
                "as_of": info["as_of"],
                "coverage": f"{month_string(first)}..{month_string(last)}",
                "admin_level_summed": int(info["admin_level"]),
                "units_summed": int(info["units"]),
            },
            "iso3": str(info["iso3"]),
            "pcode": None if info["pcode"] is None else str(info["pcode"]),
            "name": None if info["name"] is None else str(info["name"]),
            "fatalities": int(value),
            "events": int(unit["events"].loc[month]),
            "floor": floor,
            "window_months": HDX_WINDOWS[lvl],
            "prior_max_12_months": max12,
            "prior_max_12_month": at12,
            "prior_max_36_months": max36,
            "prior_max_36_month": at36,
            "highest_since": month_string(higher[-1]) if higher else None,
            "highest_since_value": int(values.loc[higher[-1]]) if higher else None,
            "window": {
                month_string(int(m)): int(v)
                for m, v in zip(window.index.to_numpy(), window.to_numpy(), strict=True)
            },
            "masked_signals": [month_string(int(m)) for m in masked["month_id"]],
        },
    )
