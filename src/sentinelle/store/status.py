"""What a store holds: per source, its versions, row counts, date span and last ingest;
and what the subnational aggregates cover, per source, series, country and level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from sentinelle.geo.months import year_month
from sentinelle.store.aggregates import aggregate_coverage


@dataclass(frozen=True)
class SourceStatus:
    """One source's holdings in the store."""

    source: str
    table: str
    versions: list[str]
    rows: int
    deleted: int
    first: date | None
    last: date | None
    quarantined: int
    last_ingest: datetime | None
    last_location: str | None


def store_status(con: duckdb.DuckDBPyConnection) -> list[SourceStatus]:
    """Summarise events, deployments and admin aggregates by source, oldest source first.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> store_status(open_store(":memory:"))
    []
    """
    rows = con.execute(
        """
        WITH holdings AS (
            SELECT source, 'events' AS tbl, count(*) AS n, count(*) FILTER (deleted) AS gone,
                   min(date_start) AS first, max(date_end) AS last
            FROM events GROUP BY source
            UNION ALL
            SELECT source, 'deployments', count(*), 0,
                   make_date(min(year), greatest(min(month), 1), 1),
                   make_date(max(year), greatest(max(month), 1), 1)
            FROM deployments GROUP BY source
            UNION ALL
            -- month ids (1 = January 1980) as the first day of their month
            SELECT source, 'admin_aggregates', count(*), 0,
                   make_date(1980 + (min(month_id) - 1) // 12, (min(month_id) - 1) % 12 + 1, 1),
                   make_date(1980 + (max(month_id) - 1) // 12, (max(month_id) - 1) % 12 + 1, 1)
            FROM admin_aggregates GROUP BY source
        ),
        latest AS (
            SELECT source, arg_max(finished_at, ingest_id) AS at,
                   arg_max(location, ingest_id) AS location,
                   list_sort(list(DISTINCT source_version) FILTER (source_version IS NOT NULL))
                       AS versions
            FROM ingests GROUP BY source
        ),
        held AS (SELECT source, count(*) AS q FROM quarantine GROUP BY source)
        SELECT h.source, h.tbl, coalesce(l.versions, []), h.n, h.gone, h.first, h.last,
               coalesce(q.q, 0), l.at, l.location
        FROM holdings h LEFT JOIN latest l USING (source) LEFT JOIN held q USING (source)
        ORDER BY h.first, h.source
        """
    ).fetchall()
    return [SourceStatus(*row) for row in rows]


@dataclass(frozen=True)
class AggregateStatus:
    """What the stored aggregates of one source, series, country and level cover.

    ``first`` and ``last`` are the first days of the first and last months held;
    ``as_of`` is the latest as-of version stored (``None`` when no file said one).
    """

    source: str
    series: str
    iso3: str
    level: int
    units: int
    first: date
    last: date
    as_of: date | None


def _month_start(month_id: int) -> date:
    year, month = year_month(month_id)
    return date(year, month, 1)


def aggregates_status(con: duckdb.DuckDBPyConnection) -> list[AggregateStatus]:
    """Coverage of the ``admin_aggregates`` table, one entry per source, series, country
    and admin level (see :func:`sentinelle.store.aggregates.aggregate_coverage`).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> aggregates_status(open_store(":memory:"))
    []
    """
    coverage = aggregate_coverage(con)
    return [
        AggregateStatus(
            source=str(row["source"]),
            series=str(row["series"]),
            iso3=str(row["iso3"]),
            level=int(row["admin_level"]),
            units=int(row["units"]),
            first=_month_start(int(row["first_month"])),
            last=_month_start(int(row["last_month"])),
            as_of=None if pd.isna(row["as_of"]) else pd.Timestamp(row["as_of"]).date(),
        )
        for row in coverage.to_dict("records")
    ]
