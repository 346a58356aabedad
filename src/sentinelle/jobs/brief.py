"""The briefing job: collect a country-month briefing from the store and write it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sentinelle.errors import NoDataError
from sentinelle.i18n import LANGS, Lang
from sentinelle.report import collect_brief, write_brief
from sentinelle.steps import Step, no_step


@dataclass(frozen=True)
class BriefRun:
    """The month briefed and the files written, HTML and PDF, by language."""

    country: str
    month: str
    files: dict[str, list[Path]]


def last_complete_month(con: duckdb.DuckDBPyConnection, country: str) -> str:
    """The month before that of ``country``'s latest event, ``YYYY-MM``.

    The latest event's month is usually cut short by the data's end date (ACLED's HDX
    file stops in July 2020): briefing on it would show a drop that is only missing data.
    """
    row = con.execute(
        "SELECT strftime(max(date_end) - INTERVAL 1 MONTH, '%Y-%m') FROM events "
        "WHERE country_iso3 = ? AND NOT deleted",
        [country],
    ).fetchone()
    if row is None or row[0] is None:
        raise NoDataError(f"no events in {country} to brief on")
    return str(row[0])


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
    """Write the briefing on ``country`` and ``month`` (None: the last complete month).

    Examples
    --------
    >>> run_brief(con, "MLI", "2020-06", Path("out/brief")).files["fr"]  # doctest: +SKIP
    """
    month = month or last_complete_month(con, country)
    step(f"reading the store for {country} {month}")
    data = collect_brief(con, country, month, source=source, boundaries=boundaries)
    step(f"rendering HTML and PDF ({', '.join(langs)})")
    return BriefRun(country, month, write_brief(data, out, list(langs)))
