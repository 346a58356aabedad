"""The briefing job: collect a country-month briefing from the store and write it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sentinelle.errors import NoDataError
from sentinelle.geo import month_string
from sentinelle.i18n import LANGS, Lang
from sentinelle.report import collect_brief, write_brief
from sentinelle.report.collect import latest_complete_month
from sentinelle.steps import Step, no_step
from sentinelle.store.currency import Coverage


@dataclass(frozen=True)
class BriefRun:
    """The month briefed, the files written (HTML and PDF, by language) and the months
    each source the briefing used covers (for :func:`~sentinelle.store.currency.currency_line`)."""

    country: str
    month: str
    files: dict[str, list[Path]]
    currency: tuple[Coverage, ...] = field(default=())


def last_complete_month(con: duckdb.DuckDBPyConnection, country: str) -> str:
    """The latest complete month of data on ``country`` across sources, ``YYYY-MM``.

    The last month of ACLED's subnational monthly aggregates (HDX publishes complete
    months: December 2024 in the shared files), or the month before the latest event
    (an event source's last month is usually cut short by its end date), whichever is
    later: :func:`sentinelle.report.collect.latest_complete_month`.

    Raises
    ------
    NoDataError
        If the store holds neither events nor aggregates on ``country``.
    """
    found = latest_complete_month(con, country)
    if found is None:
        raise NoDataError(
            f"no events or monthly aggregates in {country} to brief on: ingest some with "
            "`sentinelle ingest acled-hdx FILE` or `sentinelle ingest acled FILE`"
        )
    return month_string(found)


def run_brief(
    con: duckdb.DuckDBPyConnection,
    country: str,
    month: str | None,
    out: Path,
    *,
    langs: Sequence[Lang] = LANGS,
    source: str | None = None,
    boundaries: Path | None = None,
    step: Step = no_step,
) -> BriefRun:
    """Write the briefing on ``country`` and ``month`` (None: the latest complete month
    of data, :func:`last_complete_month`).

    Examples
    --------
    >>> run_brief(con, "MLI", "2020-06", Path("out/brief")).files["fr"]  # doctest: +SKIP
    """
    month = month or last_complete_month(con, country.upper())
    step(f"reading the store for {country} {month}")
    data = collect_brief(con, country, month, source=source, boundaries=boundaries)
    step(f"rendering HTML and PDF ({', '.join(langs)})")
    return BriefRun(country, month, write_brief(data, out, list(langs)), data.currency)
