"""Shared SQL scoping of events by country and period, and period labels.

Events carry ``country_iso3`` (ACLED) or only ``country_gwno`` (UCDP GED stores the
Gleditsch-Ward code): a country filter matches either.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sentinelle.geo import convert_code, parse_period, year_month

Freq = Literal["month", "quarter", "year", "all"]

# SQL label of the period an event falls in, from its start date.
FREQ_SQL: dict[str, str] = {
    "month": "strftime(date_start, '%Y-%m')",
    "quarter": "strftime(date_start, '%Y') || '-Q' || quarter(date_start)::VARCHAR",
    "year": "strftime(date_start, '%Y')",
    "all": "'all'",
}


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
        raise ValueError(f"freq must be one of {sorted(FREQ_SQL)}, got {freq!r}")
    return FREQ_SQL[freq]
