"""RADPKO (Robust Africa Deployments of Peacekeeping Operations) base deployment files.

RADPKO (Hunnicutt & Nomikos 2020, *International Peacekeeping*; Harvard Dataverse
doi:10.7910/DVN/BQU5VD) codes, from the UN's monthly deployment maps and reports,
the peacekeepers at each base of the UN missions in Africa: one row per mission,
base and month, 1999-10 to 2019-09 (``mission, country, base, date, latitude,
longitude, pko_deployed, ..., untrp, unpol, unmob, ...`` and breakdowns by sex,
region and contributing country). Two layouts are read, told apart by their rows:

monthly (``radpko_bases_cc.csv``, the published data; source ``radpko``)
    One row per mission, base and month; ``date`` is the month's first day. Stored
    with ``month`` = the month (1-12): a base is present in the months it is listed.
yearly summary (``radpko_bases_cc_y.csv`` of the RADPKO dashboard; source ``radpko_yearly``)
    The dashboard's ``prep.R`` groups the monthly rows by year, mission, country and
    base: the counts are the means over the months the base was listed that year and
    ``date`` is the first month it was listed that year. Which months those were is
    not in the file, so its rows are yearly: stored with ``month = 0`` (the store's
    convention for yearly data), ``year`` from the file; the first-listed month is
    not stored (the ``deployments`` table has no place for it; the monthly file
    gives every month).

A file in which some mission, base and year has more than one row is monthly; one
in which none has is the yearly summary, unless all its rows share one ``date`` (a
one-month snapshot of the monthly data).

Fields: ``troops`` is ``untrp`` (UN troops), ``police`` is ``unpol`` (UN police) and
``observers`` is ``unmob`` (UN military observers): head counts, means over the year's
listed months in the yearly summary. ``hq`` is NULL: RADPKO does not code
headquarters. ``location`` is RADPKO's base name as published (lower case:
``'port loko'``), trimmed; ``record`` numbers the rows of one mission, base and
period in file order (RADPKO has one).

Missing values (``NA``, ``NaN`` or empty) in the counts are stored as NULL. A row without
mission or base, with a ``date`` that is not a date, a ``year`` that disagrees with
its ``date``, coordinates missing or out of range, or a count that is not a
non-negative number is quarantined with the reason and its line.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sentinelle.errors import SchemaError, SourceFileError
from sentinelle.sources.ingest import (
    DEPLOYMENTS,
    IngestReport,
    count_check,
    first_record,
    raw_column,
    read_csv_raw,
    run_ingest,
    sql_literal,
    stage_deployments,
    unpacked_csv,
)
from sentinelle.steps import Step, no_step

MONTHLY_SOURCE = "radpko"
YEARLY_SOURCE = "radpko_yearly"

# The columns every RADPKO layout has that the deployments table needs.
REQUIRED = ("mission", "base", "date", "latitude", "longitude", "untrp", "unpol", "unmob")
# RADPKO's words for a value not coded (R's NA; NaN where R averaged no value, as for
# the coordinates of UNMIS's liaison office in Addis Ababa); empty cells are missing too.
NOT_CODED = ("NA", "NaN")

# Counts stored, by deployments field.
COUNTS = {"troops": "untrp", "police": "unpol", "observers": "unmob"}


def detect_layout(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The source a RADPKO CSV is stored as: ``'radpko'`` (monthly) or ``'radpko_yearly'``.

    Raises
    ------
    SchemaError
        If the header lacks a column RADPKO files carry; the message names them.
    """
    header = first_record(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SchemaError(
            f"{path}: not a RADPKO base file; missing column(s) {', '.join(missing)} "
            f"(RADPKO has {', '.join(REQUIRED)}, ...)"
        )
    row = con.execute(
        """
        WITH r AS (
            SELECT trim(mission) AS mission, trim(base) AS base, trim(date) AS date,
                   year(TRY_CAST(trim(date) AS DATE)) AS y
            FROM read_csv(?, all_varchar := true, header := true, ignore_errors := true)
        ), per_year AS (
            SELECT count(*) AS n FROM r WHERE y IS NOT NULL GROUP BY mission, base, y
        )
        SELECT (SELECT coalesce(max(n), 0) FROM per_year),
               (SELECT count(DISTINCT date) FROM r WHERE date IS NOT NULL)
        """,
        [str(path)],
    ).fetchone()
    most_per_year, dates = row if row else (0, 0)
    return MONTHLY_SOURCE if most_per_year > 1 or dates <= 1 else YEARLY_SOURCE


def _stage(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> int:
    """Fill ``_stage`` from a RADPKO CSV stored as ``source``; the header is one record."""
    read_csv_raw(con, path, required=REQUIRED)
    present = {r[0] for r in con.execute("DESCRIBE _raw").fetchall()}

    def not_coded(column: str) -> str:
        text = f"nullif(trim({raw_column(column)}), '')"
        return f"({text} IS NULL OR list_contains({sql_literal(list(NOT_CODED))}, {text}))"

    def number(column: str) -> str:
        return (
            f"CASE WHEN NOT {not_coded(column)} THEN TRY_CAST({raw_column(column)} AS DOUBLE) END"
        )

    year_check = (
        "WHEN r.year IS NOT NULL AND coalesce(_file_year <> year(_date), true) "
        "THEN 'year ' || r.year || ' does not match date ' || r.date"
        if "year" in present
        else ""
    )
    lat, lon = raw_column("latitude"), raw_column("longitude")
    coordinates = f"coalesce({lat}, 'empty') || ', ' || coalesce({lon}, 'empty')"
    stage_deployments(
        con,
        source=source,
        parsed={
            "_mission": "nullif(trim(r.mission), '')",
            "_location": "nullif(trim(r.base), '')",
            "_country": "nullif(trim(r.country), '')" if "country" in present else "NULL::VARCHAR",
            "_date": "TRY_CAST(trim(r.date) AS DATE)",
            "_file_year": "TRY_CAST(r.year AS SMALLINT)" if "year" in present else "NULL::SMALLINT",
            "_latitude": number("latitude"),
            "_longitude": number("longitude"),
            **{f"_{field}": number(column) for field, column in COUNTS.items()},
        },
        year="year(_date)",
        month="0" if source == YEARLY_SOURCE else "month(_date)",
        checks=f"""
                WHEN _mission IS NULL OR _location IS NULL THEN 'missing mission/base'
                WHEN _date IS NULL THEN 'bad date: ' || coalesce(r.date, 'empty')
                {year_check}
                WHEN _latitude IS NULL OR _longitude IS NULL OR isnan(_latitude)
                     OR isnan(_longitude)
                    THEN 'missing coordinates: ' || {coordinates}
                WHEN _latitude NOT BETWEEN -90 AND 90 OR _longitude NOT BETWEEN -180 AND 180
                    THEN 'coordinates out of range: ' || {coordinates}
                {" ".join(count_check(f, c, not_coded(c), c) for f, c in COUNTS.items())}""",
    )
    return 1


def ingest_radpko(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    location: str | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest a RADPKO base CSV (monthly, or the dashboard's yearly summary) into ``deployments``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store (see :func:`sentinelle.store.open_store`).
    path : pathlib.Path
        The file, plain or zipped; its layout is recognised from its rows
        (:func:`detect_layout`).
    location : str, optional
        What provenance records instead of the resolved path (a download URL).
    step : callable, optional
        Progress sink, called with a short description of each stage.

    Returns
    -------
    IngestReport
        Counts of rows read, inserted, updated, unchanged and quarantined; RADPKO
        file names carry no version, so ``version`` is None.

    Raises
    ------
    SchemaError
        If the header lacks a column RADPKO files carry.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                       # doctest: +SKIP
    >>> ingest_radpko(con, Path("radpko_bases_cc.csv")).source      # doctest: +SKIP
    'radpko'
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    with unpacked_csv(path) as csv_path:
        source = detect_layout(con, csv_path)
    return run_ingest(
        con,
        source=source,
        version=None,
        path=path,
        stage=lambda c, p: _stage(c, p, source),
        target=DEPLOYMENTS,
        location=location,
        step=step,
    )


__all__ = ["MONTHLY_SOURCE", "YEARLY_SOURCE", "detect_layout", "ingest_radpko"]
