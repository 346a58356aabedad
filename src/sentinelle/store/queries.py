"""The store's shared read queries: month ids in SQL, scope filters, source lookups.

Every stage that reads events scopes them the same way, so the SQL lives here once:

- :func:`month_sql`: the VIEWS month id of a date column, in SQL.
- :func:`scope_sql`: a country/period filter over event columns. Events carry
  ``country_iso3`` (ACLED) or only ``country_gwno`` (UCDP GED stores the
  Gleditsch-Ward code): a country filter matches either.
- :func:`freq_sql`: the label of the period (month, quarter, year) an event falls in.
- :func:`event_sources`, :func:`has_events`, :func:`event_coverage`,
  :func:`pick_event_source`: which event sources the store holds, and for when.
- :func:`event_precision`, :func:`missing_event_fields`: what a source's events can
  support (month or year designs; violence types, sides, civilian deaths).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


Precision = Literal["month", "year"]

# Event-model fields an analysis may need, with the SQL that is true for an event
# carrying the field (the others are NULL when the source did not give them).
EVENT_FIELDS: dict[str, str] = {
    "month": "year(date_start) = year(date_end) AND month(date_start) = month(date_end)",
    "violence_type": "violence_type <> 'other'",
    "civilian_deaths": "civilian_deaths IS NOT NULL",
    "side_a": "side_a IS NOT NULL",
    "side_b": "side_b IS NOT NULL",
    "country": "(country_iso3 IS NOT NULL OR country_gwno IS NOT NULL)",
    "admin1": "admin1 IS NOT NULL",
    "fatalities_low": "fatalities_low IS NOT NULL",
}


def event_precision(
    con: duckdb.DuckDBPyConnection, source: str, *, min_share: float = 0.5
) -> Precision:
    """The finest date precision common to ``source``'s live events: 'month' or 'year'.

    An event is dated to the month when its ``date_start`` and ``date_end`` fall in
    one calendar month; the source is 'month' when at least ``min_share`` of its live
    events are, and 'year' otherwise. Year-only data (a GED extract with ``year``
    alone, stored 1 January - 31 December) is thus 'year', and a design by month
    must refuse it rather than invent months. The default share leaves full GED
    releases (about 92% of events within one month, the rest spread over a few
    days, weeks or the year) and ACLED (dated to the day or week) 'month'.

    Raises
    ------
    NoDataError
        If the store holds no live events of ``source``.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")              # doctest: +SKIP
    >>> event_precision(con, "ged_extract")                # doctest: +SKIP
    'year'
    """
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {EVENT_FIELDS['month']}) "
        "FROM events WHERE source = ? AND NOT deleted",
        [source],
    ).fetchone()
    total, monthly = (int(row[0]), int(row[1])) if row else (0, 0)
    if total == 0:
        raise NoDataError(f"the store holds no events of source {source!r}")
    return "month" if monthly >= min_share * total else "year"


def missing_event_fields(
    con: duckdb.DuckDBPyConnection, source: str, fields: Sequence[str]
) -> list[str]:
    """The ``fields`` (keys of :data:`EVENT_FIELDS`) that no live event of ``source`` has.

    ``'violence_type'`` counts as missing when every event is ``'other'``: a GED
    extract without ``type_of_violence`` stores its events so (GED itself types every
    event), and no split by violence type or perpetrator can be made from it;
    ``'month'`` when no event is dated within one month. A caller that needs these
    fields raises with the list, e.g. ``SchemaError(f"... lacks {', '.join(missing)}")``.

    Raises
    ------
    UsageError
        If a field is not one of :data:`EVENT_FIELDS`.
    NoDataError
        If the store holds no live events of ``source``.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                                  # doctest: +SKIP
    >>> missing_event_fields(con, "ged_extract", ["civilian_deaths", "side_a"])  # doctest: +SKIP
    ['side_a']
    """
    unknown = [f for f in fields if f not in EVENT_FIELDS]
    if unknown:
        raise UsageError(
            f"unknown event field(s) {', '.join(unknown)}; choose from {', '.join(EVENT_FIELDS)}"
        )
    if not fields:
        return []
    counts = ", ".join(f"count(*) FILTER (WHERE {EVENT_FIELDS[f]})" for f in fields)
    row = con.execute(
        f"SELECT count(*), {counts} FROM events WHERE source = ? AND NOT deleted", [source]
    ).fetchone()
    if row is None or int(row[0]) == 0:
        raise NoDataError(f"the store holds no events of source {source!r}")
    return [f for f, n in zip(fields, row[1:], strict=True) if int(n) == 0]
