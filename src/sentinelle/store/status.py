"""What a store holds: per source, its versions, row counts, date span and last ingest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb


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
    """Summarise events and deployments by source, oldest source first.

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
