"""Base timelines: when each peacekeeping site opened and closed, from the most
precise deployment source the store holds for the mission.

Deployment sources differ in precision (see :data:`SOURCE_PRECEDENCE`):

- RADPKO's monthly rows (source ``radpko``) list each base every month it was
  deployed: a base opens in the first month listed and closes in the first month it
  is no longer listed while the mission's data go on (``date_precision = 'month'``).
- Geo-PKO maps deployments once a year (FrontMap, ``geopko_frontmap``) or a few times
  a year (the full v2.0 and raw layouts, of which only the years are used here), and
  RADPKO's yearly summary (``radpko_yearly``) gives years only: a site present in
  years ``first_year..last_year`` and absent from every later year of that mission is
  taken as closed at the end of ``last_year`` (``date_precision = 'year'``).

In both, a site still listed at the mission's last period is open at the end of the
data, and a gap in a site's listing counts as continuous presence (usually a missing
map). :func:`pick_deployment_source` chooses, per mission, the most precise source
whose data cover the mission over the years studied as well as any other source does
(a source that starts or ends earlier than another would make sites look opened late
or closed early); :func:`base_timeline` uses it unless told a source, and says which
(column ``deployment_source``, ``attrs['deployment_source']``).

The curated table shipped as ``sentinelle/sources/data/closures.csv`` (one row per
base, each with its source citation) refines those dates where public reporting
gives them: for MINUSMA the 2023 handovers. Curated rows are matched to sites by
``mission`` and ``geopko_location`` (ignoring case: RADPKO writes base names in
lower case), and override the dates derived from any source.

The treatment month of a closure (``cohort_month``) is the first *full* month
without the base: the month after the closure date, or January after the last
year for year-precision closures. The closure month itself is partly treated and
goes to neither side. For a RADPKO month-precision closure the closure month is the
first month the base is no longer listed, so ``cohort_month`` is the month after it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from sentinelle.errors import NoDataError, UsageError
from sentinelle.geo import month_id
from sentinelle.sources.closures import load_closures

__all__ = [
    "AUTO",
    "DEFAULT_SOURCE",
    "MONTHLY_SOURCES",
    "SOURCE_PRECEDENCE",
    "base_timeline",
    "deployment_coverage",
    "load_closures",
    "pick_deployment_source",
]

# The source used by callers that name one (the command line's default), and the
# fallback of the automatic choice: Geo-PKO's FrontMap covers every mission to 2024.
DEFAULT_SOURCE = "geopko_frontmap"
# ``source`` value (like None) asking base_timeline to choose per mission.
AUTO = "auto"
# Deployment sources, most precise first. RADPKO's monthly rows date openings and
# closures to the month; Geo-PKO's full and raw layouts come from several maps a year
# (their years are used); RADPKO's yearly summary and FrontMap give years only.
# Sources not listed (plug-ins) rank after these, by name.
SOURCE_PRECEDENCE: tuple[str, ...] = (
    "radpko",
    "geopko_full",
    "geopko_raw",
    "radpko_yearly",
    "geopko_frontmap",
)
# Sources whose ``month`` column (1-12) dates each row: month-precision timelines.
MONTHLY_SOURCES = frozenset({"radpko"})

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
    "open_precision",
    "deployment_source",
]


def _mission_rows(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame, mission: str, source: str | None
) -> pd.DataFrame:
    """Deployment rows of one mission (and source, if given) from a store or a frame."""
    if isinstance(deployments, pd.DataFrame):
        frame = deployments[deployments["mission"] == mission]
        if source is not None:
            frame = frame[frame["source"] == source]
        return frame
    sql = "SELECT * FROM deployments WHERE mission = ?"
    params: list[object] = [mission]
    if source is not None:
        sql += " AND source = ?"
        params.append(source)
    return deployments.execute(sql, params).df()


def deployment_coverage(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame, mission: str
) -> pd.DataFrame:
    """The deployment sources holding rows of ``mission``, with the years they cover.

    Returns
    -------
    pandas.DataFrame
        One row per source, in :data:`SOURCE_PRECEDENCE` order: ``source``,
        ``first_year``, ``last_year``, ``rows``, ``precision`` ('month' for
        :data:`MONTHLY_SOURCES`, else 'year'). Empty when no source has the mission.
    """
    if isinstance(deployments, pd.DataFrame):
        rows = deployments[deployments["mission"] == mission]
        cover = (
            rows.groupby("source")["year"]
            .agg(first_year="min", last_year="max", rows="size")
            .reset_index()
        )
    else:
        cover = deployments.execute(
            "SELECT source, min(year) AS first_year, max(year) AS last_year, count(*) AS rows "
            "FROM deployments WHERE mission = ? GROUP BY source",
            [mission],
        ).df()
    cover["precision"] = np.where(cover["source"].isin(MONTHLY_SOURCES), "month", "year")
    rank = {s: i for i, s in enumerate(SOURCE_PRECEDENCE)}
    cover["_rank"] = cover["source"].map(lambda s: rank.get(s, len(rank)))
    cover = cover.sort_values(["_rank", "source"]).drop(columns="_rank")
    return cover.astype({"first_year": int, "last_year": int, "rows": int}).reset_index(drop=True)


def pick_deployment_source(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    *,
    years: tuple[int, int] | None = None,
) -> str:
    """The most precise deployment source covering ``mission`` over ``years``.

    A source covers the mission when its data start no later, and end no earlier,
    than those of every other source holding the mission, within ``years`` (both
    ends included; all years when omitted). Among the covering sources the first in
    :data:`SOURCE_PRECEDENCE` wins; when none covers (sources with different gaps),
    the one with most years inside ``years``, then by precedence.

    Raises
    ------
    NoDataError
        If no deployment source holds the mission.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"mission": "X", "source": ["radpko", "geopko_frontmap"] * 2,
    ...                      "year": [2014, 2014, 2019, 2024]})
    >>> pick_deployment_source(rows, "X")  # only FrontMap reaches 2024
    'geopko_frontmap'
    >>> pick_deployment_source(rows, "X", years=(2014, 2017))
    'radpko'
    """
    cover = deployment_coverage(deployments, mission)
    if cover.empty:
        raise NoDataError(f"no deployments of mission {mission!r} in the store")
    lo, hi = years if years is not None else (-10_000, 10_000)
    start = max(int(cover["first_year"].min()), lo)
    end = min(int(cover["last_year"].max()), hi)
    covering = cover[(cover["first_year"] <= start) & (cover["last_year"] >= end)]
    if not covering.empty:
        return str(covering["source"].iloc[0])
    inside = cover["last_year"].clip(upper=hi) - cover["first_year"].clip(lower=lo) + 1
    return str(cover["source"].iloc[int(np.argmax(inside.to_numpy()))])


def _dates_label(source: str, unit: str) -> str:
    """``closure_source`` of a date derived from ``source``: 'geopko_years', 'radpko_months'."""
    return f"{source.split('_')[0]}_{unit}"


def _yearly_timeline(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    frame = frame.sort_values("year", kind="stable")
    mission_last_year = int(frame["year"].max())
    timeline = _per_site(frame)
    closed = timeline["last_year"] < mission_last_year
    timeline["status"] = np.where(closed, "closed", "open")
    timeline["closure_date"] = pd.to_datetime(
        (timeline["last_year"].astype(int) + 1).astype(str) + "-01-01"
    ).where(closed) - pd.Timedelta(days=1)
    timeline["date_precision"] = pd.Series("year", index=timeline.index).where(closed)
    timeline["closure_source"] = pd.Series(_dates_label(source, "years"), index=timeline.index)
    timeline["closure_source"] = timeline["closure_source"].where(closed)
    label = "RADPKO" if source.startswith("radpko") else "Geo-PKO"
    timeline["citation"] = pd.Series(
        f"{label} {source}: absent after last year", index=timeline.index
    ).where(closed)
    timeline["open_month"] = month_id(timeline["first_year"].to_numpy(), 1)
    timeline["open_precision"] = "year"
    return timeline


def _monthly_timeline(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if "month" not in frame or not frame["month"].between(1, 12).all():
        raise UsageError(f"{source} rows need a month (1-12) for a monthly timeline")
    frame = frame.assign(
        _mid=month_id(frame["year"].to_numpy(dtype=np.int64), frame["month"].to_numpy(np.int64))
    ).sort_values("_mid", kind="stable")
    mission_last = int(frame["_mid"].max())
    timeline = _per_site(frame)
    listed = frame.groupby("location", sort=True)["_mid"].agg(["min", "max"])
    first, last = listed["min"].to_numpy(), listed["max"].to_numpy()
    closed = pd.Series(last < mission_last, index=timeline.index)
    # The closure month is the first month the base is no longer listed.
    gone = last + 1
    gone_date = pd.to_datetime(
        {"year": (gone - 1) // 12 + 1980, "month": (gone - 1) % 12 + 1, "day": 1}
    )
    timeline["status"] = np.where(closed, "closed", "open")
    timeline["closure_date"] = pd.Series(gone_date.to_numpy(), index=timeline.index).where(closed)
    timeline["date_precision"] = pd.Series("month", index=timeline.index).where(closed)
    timeline["closure_source"] = pd.Series(_dates_label(source, "months"), index=timeline.index)
    timeline["closure_source"] = timeline["closure_source"].where(closed)
    timeline["citation"] = pd.Series(
        [f"RADPKO {source}: not listed from {d:%Y-%m} on" for d in gone_date],
        index=timeline.index,
    ).where(closed)
    timeline["open_month"] = first
    timeline["open_precision"] = "month"
    return timeline


def _per_site(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per location of a mission's rows sorted by period: where and how big."""
    hq = frame["hq"] if "hq" in frame else pd.Series(np.nan, index=frame.index)
    return (
        frame.assign(hq=hq)
        .groupby("location", sort=True)
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


def base_timeline(
    deployments: duckdb.DuckDBPyConnection | pd.DataFrame,
    mission: str,
    *,
    source: str | None = None,
    closures: pd.DataFrame | None = None,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Open and close periods of each site of a mission, refined by curated dates.

    Parameters
    ----------
    deployments : duckdb.DuckDBPyConnection or pandas.DataFrame
        A store (its ``deployments`` table) or a frame with the same columns
        (``source, mission, location, country, latitude, longitude, year, troops``
        at least; ``month`` for monthly sources; ``hq`` if known).
    mission : str
        Mission acronym as in Geo-PKO and RADPKO, e.g. ``'MINUSMA'``.
    source : str, optional
        Deployment source to use: ``'radpko'`` (monthly), ``'geopko_full'``,
        ``'geopko_raw'``, ``'radpko_yearly'``, ``'geopko_frontmap'`` (yearly), or a
        plug-in's. None or ``'auto'`` (default): the most precise source covering the
        mission over ``years`` (:func:`pick_deployment_source`).
    closures : pandas.DataFrame, optional
        Curated closure table (see :func:`load_closures`); the shipped one when
        omitted. Pass an empty frame to use the deployment source's dates only.
    years : (int, int), optional
        First and last year studied; only steers the automatic choice of source.

    Returns
    -------
    pandas.DataFrame
        One row per site (``base`` = the source's location name), with
        ``first_year``, ``last_year``, ``years_present``, ``max_troops``, ``hq``
        (max code; NaN for RADPKO), ``status`` ('open' at the end of the mission's
        data or 'closed'), ``closure_date``, ``date_precision`` ('day', 'month',
        'year'), ``closure_source`` (where the closure date comes from: 'curated',
        'radpko_months', 'radpko_years' or 'geopko_years'), ``citation``,
        ``open_month`` (VIEWS month id of the first month listed for monthly
        sources, else of January of the first year), ``cohort_month`` (first full
        month without the site; NaN while open), ``open_precision`` ('month' or
        'year') and ``deployment_source`` (the source of every row's presence).
        ``attrs['deployment_source']`` holds the same source.

    Raises
    ------
    NoDataError
        If the chosen source has no rows of the mission.

    Notes
    -----
    The coordinates of a location are constant over years for the missions checked
    (MINUSMA); the most recent pair is kept. A site with a gap in its listing is
    treated as continuously present (the gap is usually a missing map).

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
    if source is None or source == AUTO:
        source = pick_deployment_source(deployments, mission, years=years)
    frame = _mission_rows(deployments, mission, source)
    if frame.empty:
        raise NoDataError(f"no deployments of mission {mission!r} from source {source!r}")
    if source in MONTHLY_SOURCES:
        timeline = _monthly_timeline(frame, source)
    else:
        timeline = _yearly_timeline(frame, source)
    timeline.insert(0, "mission", mission)

    curated = load_closures() if closures is None else closures
    if not curated.empty:
        curated = curated[curated["mission"] == mission]
        sites = curated["geopko_location"].astype(str).str.casefold()
        by_site = dict(zip(sites, curated.index, strict=True))
        matched = timeline["base"].map(lambda b: by_site.get(str(b).casefold()))
        hit = matched.notna().to_numpy()
        rows = curated.loc[matched[hit].to_numpy()]
        timeline.loc[hit, "status"] = "closed"
        timeline.loc[hit, "closure_date"] = rows["closure_date"].to_numpy()
        timeline.loc[hit, "date_precision"] = rows["date_precision"].to_numpy()
        timeline.loc[hit, "closure_source"] = "curated"
        timeline.loc[hit, "citation"] = rows["source"].to_numpy()

    is_closed = timeline["status"] == "closed"
    close = pd.to_datetime(timeline.loc[is_closed, "closure_date"])
    cohort = pd.Series(np.nan, index=timeline.index)
    # Year-precision closures are dated 31 December, so "the month after" is January.
    cohort[is_closed] = month_id(close.dt.year.to_numpy(), close.dt.month.to_numpy()) + 1
    timeline["cohort_month"] = cohort
    timeline["deployment_source"] = source
    out = timeline[TIMELINE_COLUMNS].reset_index(drop=True)
    out.attrs["deployment_source"] = source
    return out
