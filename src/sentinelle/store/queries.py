"""The store's shared read queries: month ids in SQL, scope filters, source lookups.

Every stage that reads events scopes them the same way, so the SQL lives here once:

- :func:`month_sql`: the VIEWS month id of a date column, in SQL.
- :func:`scope_sql`: a country/period filter over event columns. Events carry
  ``country_iso3`` (ACLED) or only ``country_gwno`` (UCDP GED stores the
  Gleditsch-Ward code): a country filter matches either.
- :func:`freq_sql`: the label of the period (month, quarter, year) an event falls in.
- :func:`event_sources`, :func:`has_events`, :func:`event_coverage`,
  :func:`pick_event_source`: which event sources the store holds, and for when.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb

from sentinelle.errors import NoDataError, UsageError
from sentinelle.geo import convert_code, month_id_from_date, parse_period, year_month

Freq = Literal["month", "quarter", "year", "all"]

# SQL label of the period an event falls in, from its start date.
FREQ_SQL: dict[str, str] = {
    "month": "strftime(date_start, '%Y-%m')",
    "quarter": "strftime(date_start, '%Y') || '-Q' || quarter(date_start)::VARCHAR",
    "year": "strftime(date_start, '%Y')",
    "all": "'all'",
}


def month_sql(column: str = "date_start") -> str:
    """SQL for the VIEWS month id (1 = January 1980) of the date ``column``.

    Examples
    --------
    >>> month_sql("e.date_end")
    '((year(e.date_end) - 1980) * 12 + month(e.date_end))'
    """
    return f"((year({column}) - 1980) * 12 + month({column}))"


def month_start(mid: int) -> dt.date:
    """First day of VIEWS month ``mid``."""
    year, month = year_month(mid)
    return dt.date(year, month, 1)


def period_dates(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a ``'YYYY-MM..YYYY-MM'`` period."""
    months = parse_period(period)
    return month_start(months.start), month_start(months.stop) - dt.timedelta(days=1)


def scope_sql(
    country_iso3: str | None = None, period: str | None = None
) -> tuple[str, list[object]]:
    """A WHERE clause (without ``WHERE``) and its parameters over event columns."""
    clauses: list[str] = ["true"]
    params: list[object] = []
    if country_iso3 is not None:
        clauses.append("(country_iso3 = ? OR country_gwno = ?)")
        params += [country_iso3, convert_code(country_iso3, "iso3", "gwcode")]
    if period is not None:
        clauses.append("date_start BETWEEN ? AND ?")
        params += list(period_dates(period))
    return " AND ".join(clauses), params


def freq_sql(freq: str) -> str:
    """SQL label expression of ``freq`` ('month', 'quarter', 'year' or 'all')."""
    if freq not in FREQ_SQL:
        raise UsageError(f"freq must be one of {sorted(FREQ_SQL)}, got {freq!r}")
    return FREQ_SQL[freq]


def event_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The event sources the store holds rows of, sorted."""
    rows = con.execute("SELECT DISTINCT source FROM events ORDER BY source").fetchall()
    return [str(r[0]) for r in rows]


def has_events(
    con: duckdb.DuckDBPyConnection, source: str, country_iso3: str | None = None
) -> bool:
    """Whether the store holds live events of ``source`` (in ``country_iso3``, if given)."""
    where, params = scope_sql(country_iso3)
    row = con.execute(
        f"SELECT 1 FROM events WHERE source = ? AND NOT deleted AND {where} LIMIT 1",
        [source, *params],
    ).fetchone()
    return row is not None


def event_coverage(
    con: duckdb.DuckDBPyConnection, country_iso3: str | None = None
) -> dict[str, tuple[int, int]]:
    """First and last month id with live events, per event source (in a country)."""
    where, params = scope_sql(country_iso3)
    rows = con.execute(
        f"SELECT source, min(date_start), max(date_start) FROM events "
        f"WHERE {where} AND NOT deleted GROUP BY source",
        params,
    ).fetchall()
    return {str(s): (month_id_from_date(a), month_id_from_date(b)) for s, a, b in rows}


def pick_event_source(con: duckdb.DuckDBPyConnection, source: str | None) -> str:
    """``source`` if given, else the store's only event source.

    Two sources report the same killings: counting both would double them, so a store
    holding several needs the caller to choose.
    """
    if source is not None:
        return source
    sources = event_sources(con)
    if len(sources) > 1:
        raise UsageError(f"the store holds events from {', '.join(sources)}: choose one source")
    if not sources:
        raise NoDataError("the store holds no events: run `sentinelle ingest` first")
    return sources[0]
