"""Base timelines: when each peacekeeping site opened and closed.

Geo-PKO maps deployments once a year (FrontMap) or a few times a year (the full
v2.0 layout), so the timeline it gives is coarse: a site present on a mission's map
in years ``first_year..last_year`` and absent from every later map of that mission
is taken as closed at the end of ``last_year`` (``date_precision = 'year'``). A
site still on the mission's last map is open at the end of the data.

The curated table shipped as ``sentinelle/impact/data/closures.csv`` (one row per
base, each with its source citation) refines those dates where public reporting
gives them: for MINUSMA the 2023 handovers. Curated rows are matched to Geo-PKO
sites by ``mission`` and ``geopko_location``.

The treatment month of a closure (``cohort_month``) is the first *full* month
without the base: the month after the closure date, or January after the last
year for year-precision closures. The closure month itself is partly treated and
goes to neither side.
"""

from __future__ import annotations

from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from sentinelle.errors import NoDataError, UsageError
from sentinelle.geo import month_id

__all__ = ["base_timeline", "load_closures"]

DEFAULT_SOURCE = "geopko_frontmap"

TIMELINE_COLUMNS = [
    "mission",
    "base",
    "country",
    "latitude",
    "longitude",
    "first_year",
    "last_year",
    "years_present",
    "max_troops",
    "hq",
    "status",
    "closure_date",
    "date_precision",
    "closure_source",
    "citation",
    "open_month",
    "cohort_month",
]


def load_closures(path: str | None = None) -> pd.DataFrame:
    """Read a curated closure table (by default the one shipped with Sentinelle).

    Parameters
    ----------
    path : str, optional
        A CSV with columns ``mission, base, geopko_location, latitude, longitude,
        closure_date, date_precision, source`` (more columns are kept). Dates are
        ``YYYY-MM-DD`` (``date_precision = 'day'``) or ``YYYY-MM`` (``'month'``).

    Returns
    -------
    pandas.DataFrame
        One row per base; ``closure_date`` parsed to the first day of the period it
        names, plus ``closure_month`` (the VIEWS month id of the closure).

    Raises
    ------
    UsageError
        If a row lacks a date, coordinates or a source: the table's promise is that
        every date carries its citation.

    Examples
    --------
    >>> closures = load_closures()
    >>> closures.loc[closures["base"] == "Kidal", "closure_date"].dt.date.tolist()
    [datetime.date(2023, 10, 31)]
    """
    if path is None:
        with resources.files("sentinelle.impact").joinpath("data/closures.csv").open() as fh:
            table = pd.read_csv(fh, dtype={"closure_date": str})
    else:
        table = pd.read_csv(path, dtype={"closure_date": str})
    required = ["mission", "base", "latitude", "longitude", "closure_date", "source"]
    missing = [c for c in [*required, "geopko_location", "date_precision"] if c not in table]
    if missing:
        raise UsageError(f"closure table lacks columns {missing}")
    incomplete = table[table[required].isna().any(axis=1)]
    if not incomplete.empty:
        raise UsageError(f"closure rows without date, coordinates or source: {incomplete['base']}")
    table["closure_date"] = pd.to_datetime(table["closure_date"], format="mixed")
    table["closure_month"] = month_id(
        table["closure_date"].dt.year.to_numpy(), table["closure_date"].dt.month.to_numpy()
    )
    return table


def _deployments_frame(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame, mission: str, source: str
) -> pd.DataFrame:
    """Deployment rows of one mission and source from a store or a DataFrame."""
    if isinstance(deployments, pd.DataFrame):
        frame = deployments
        frame = frame[(frame["mission"] == mission) & (frame["source"] == source)]
    else:
        frame = deployments.execute(
            "SELECT * FROM deployments WHERE mission = ? AND source = ?", [mission, source]
        ).df()
    if frame.empty:
        raise NoDataError(f"no deployments of mission {mission!r} from source {source!r}")
    return frame


def base_timeline(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    *,
    source: str = DEFAULT_SOURCE,
    closures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Open and close periods of each site of a mission, refined by curated dates.

    Parameters
    ----------
    deployments : duckdb.DuckDBPyConnection or pandas.DataFrame
        A store (its ``deployments`` table) or a frame with the same columns
        (``source, mission, location, country, latitude, longitude, year, troops,
        hq`` at least).
    mission : str
        Mission acronym as in Geo-PKO, e.g. ``'MINUSMA'``.
    source : str, default ``'geopko_frontmap'``
        Deployment source to use (``'geopko_full'`` for the monthly v2.0 layout, of
        which only the years are used here).
    closures : pandas.DataFrame, optional
        Curated closure table (see :func:`load_closures`); the shipped one when
        omitted. Pass an empty frame to use Geo-PKO years only.

    Returns
    -------
    pandas.DataFrame
        One row per site (``base`` = Geo-PKO location name), with ``first_year``,
        ``last_year``, ``years_present``, ``max_troops``, ``hq`` (max code),
        ``status`` ('open' at the end of the data or 'closed'), ``closure_date``,
        ``date_precision`` ('day', 'month', 'year'), ``closure_source`` ('curated'
        or 'geopko_years'), ``citation``, ``open_month`` (January of the first
        year) and ``cohort_month`` (first full month without the site; NaN while
        open).

    Notes
    -----
    Geo-PKO coordinates of a location are constant over years for the missions
    checked (MINUSMA); the most recent pair is kept. A site with a gap in its years
    is treated as continuously present (the gap is usually a missing map).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({
    ...     "source": "geopko_frontmap", "mission": "X", "location": ["A", "A", "B"],
    ...     "country": "C", "latitude": 1.0, "longitude": 2.0, "year": [2014, 2015, 2015],
    ...     "troops": 100.0, "hq": 0})
    >>> base_timeline(rows, "X", closures=pd.DataFrame())[["base", "status"]].values.tolist()
    [['A', 'open'], ['B', 'open']]
    """
    frame = _deployments_frame(deployments, mission, source).sort_values("year", kind="stable")
    mission_last_year = int(frame["year"].max())
    timeline = (
        frame.groupby("location", sort=True)
        .agg(
            country=("country", "last"),
            latitude=("latitude", "last"),
            longitude=("longitude", "last"),
            first_year=("year", "min"),
            last_year=("year", "max"),
            years_present=("year", "nunique"),
            max_troops=("troops", "max"),
            hq=("hq", "max"),
        )
        .reset_index()
        .rename(columns={"location": "base"})
    )
    timeline.insert(0, "mission", mission)
    closed = timeline["last_year"] < mission_last_year
    timeline["status"] = np.where(closed, "closed", "open")
    timeline["closure_date"] = pd.to_datetime(
        (timeline["last_year"].astype(int) + 1).astype(str) + "-01-01"
    ).where(closed) - pd.Timedelta(days=1)
    timeline["date_precision"] = pd.Series("year", index=timeline.index).where(closed)
    timeline["closure_source"] = pd.Series("geopko_years", index=timeline.index).where(closed)
    timeline["citation"] = pd.Series(
        f"Geo-PKO {source}: absent after last year", index=timeline.index
    ).where(closed)

    curated = load_closures() if closures is None else closures
    if not curated.empty:
        curated = curated[curated["mission"] == mission].set_index("geopko_location")
        hit = timeline["base"].isin(curated.index)
        rows = curated.loc[timeline.loc[hit, "base"]]
        timeline.loc[hit, "status"] = "closed"
        timeline.loc[hit, "closure_date"] = rows["closure_date"].to_numpy()
        timeline.loc[hit, "date_precision"] = rows["date_precision"].to_numpy()
        timeline.loc[hit, "closure_source"] = "curated"
        timeline.loc[hit, "citation"] = rows["source"].to_numpy()

    timeline["open_month"] = month_id(timeline["first_year"].to_numpy(), 1)
    is_closed = timeline["status"] == "closed"
    close = timeline.loc[is_closed, "closure_date"]
    cohort = pd.Series(np.nan, index=timeline.index)
    # Year-precision closures are dated 31 December, so "the month after" is January.
    cohort[is_closed] = month_id(close.dt.year.to_numpy(), close.dt.month.to_numpy()) + 1
    timeline["cohort_month"] = cohort
    return timeline[TIMELINE_COLUMNS]
