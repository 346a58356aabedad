"""Reading the ``admin_aggregates`` table: current values per unit-month, and coverage.

The table keeps every version a publisher released (one row per source, series,
as-of date, unit and month; see :mod:`sentinelle.store.schema`). The *current* value
of a unit-month is the row of its latest as-of date (an unknown as-of ranks lowest),
and among rows of the same as-of the one of the latest ingest. Panels, impact
designs, alerts and briefings read only current values, through this module.
"""

from __future__ import annotations

import duckdb
import pandas as pd

__all__ = ["AGGREGATE_COLUMNS", "aggregate_coverage", "current_aggregates"]

AGGREGATE_COLUMNS = (
    "source",
    "series",
    "as_of",
    "iso3",
    "admin_level",
    "pcode",
    "name",
    "admin1_pcode",
    "admin1_name",
    "month_id",
    "events",
    "fatalities",
    "ingest_id",
)

_CURRENT = """
SELECT * EXCLUDE (rank_) FROM (
    SELECT *, ROW_NUMBER() OVER (
        PARTITION BY source, series, iso3, admin_level, pcode, month_id
        ORDER BY as_of DESC NULLS LAST, ingest_id DESC
    ) AS rank_
    FROM admin_aggregates WHERE {where}
) WHERE rank_ = 1
"""


def _where(
    source: str | None, series: str | None, iso3: str | None, level: int | None
) -> tuple[str, list[object]]:
    """A WHERE clause (parameters bound) for the chosen source, series, country, level."""
    clauses: list[str] = ["TRUE"]
    params: list[object] = []
    for column, value in (
        ("source", source),
        ("series", series),
        ("iso3", iso3),
        ("admin_level", level),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def current_aggregates(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str | None = "acled-hdx",
    series: str | None = "political_violence",
    iso3: str | None = None,
    level: int | None = None,
) -> pd.DataFrame:
    """The current value of every stored unit-month of the chosen aggregates.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    source, series, iso3, level : optional
        Filters; ``None`` keeps every value of that column.

    Returns
    -------
    pandas.DataFrame
        :data:`AGGREGATE_COLUMNS`, one row per source, series, unit and month, sorted
        by country, level, P-code and month.
    """
    where, params = _where(source, series, iso3, level)
    return con.execute(
        _CURRENT.format(where=where) + " ORDER BY iso3, admin_level, pcode, month_id", params
    ).df()


def aggregate_coverage(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str | None = None,
    series: str | None = None,
    iso3: str | None = None,
    level: int | None = None,
) -> pd.DataFrame:
    """What the stored aggregates cover: months, units and the latest as-of version.

    Returns
    -------
    pandas.DataFrame
        ``source, series, iso3, admin_level, units, first_month, last_month, as_of``
        (month ids; ``as_of`` the latest version stored), one row per group, sorted.
    """
    where, params = _where(source, series, iso3, level)
    return con.execute(
        "SELECT source, series, iso3, admin_level, COUNT(DISTINCT pcode) AS units, "
        "MIN(month_id) AS first_month, MAX(month_id) AS last_month, MAX(as_of) AS as_of "
        f"FROM admin_aggregates WHERE {where} "
        "GROUP BY ALL ORDER BY source, series, iso3, admin_level",
        params,
    ).df()
