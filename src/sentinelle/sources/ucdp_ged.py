"""UCDP Georeferenced Event Dataset (GED) files: yearly releases and monthly Candidates.

Reads the CSV exactly as UCDP publishes it (plain or zipped), for every release from
20.1 on: the 49 columns ``id, relid, year, active_year, code_status, type_of_violence,
… best, high, low, gwnoa, gwnob``. GED Candidate monthly releases use the same layout
and are sometimes published without a header row; the reader recognises both.
Yearly releases are stored as source ``ged``, Candidates as ``ged_candidate`` (panels
append the Candidate after the last GED month). Event dates before GED's coverage
(:data:`COVERAGE_START`) or after today are quarantined.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.errors import SchemaError
from sentinelle.geo.countries import map_codes
from sentinelle.sources.ingest import (
    COORDINATES_CHECK,
    EVENTS,
    RAW_ORDINAL,
    IngestReport,
    date_check,
    first_record,
    read_csv_raw,
    run_ingest,
)
from sentinelle.steps import Step, no_step

GED_COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip

# What the common event model cannot do without; the other columns are optional.
# low/high are kept as published even where best falls outside them (GED 23.1 has
# dozens of such events, e.g. in Ethiopia 2021-22): they are UCDP's, not a parse error.
REQUIRED = (
    "id", "type_of_violence", "date_start", "date_end", "latitude", "longitude",
    "country_id", "best",
)  # fmt: skip

VIOLENCE = {"1": "state_based", "2": "non_state", "3": "one_sided"}

# GED's first year; earlier (or future) event dates are typos and are quarantined.
COVERAGE_START = date(1989, 1, 1)

_VERSION_IN_NAME = re.compile(r"(?:v|ged)_?(\d{2})[._]?(\d)(?:[._](\d{1,2}))?", re.IGNORECASE)


def version_from_name(path: Path) -> str | None:
    """GED version encoded in a published file name, e.g. ``GEDEvent_v23_1.csv`` → 23.1.

    Handles ``GEDEvent_v24_0_5.csv`` (Candidate 24.0.5) and ``ged231-csv.zip``.
    """
    match = _VERSION_IN_NAME.search(path.name)
    if not match:
        return None
    return ".".join(part for part in match.groups() if part is not None)


# Parsed by the CSV reader: a value that does not convert quarantines its row with the
# column and value named. Dates are read as timestamps because releases write
# "2020-11-04 00:00:00.000" and some Candidates "2020-11-04".
TYPES = {
    "id": "BIGINT", "date_start": "TIMESTAMP", "date_end": "TIMESTAMP",
    "latitude": "DOUBLE", "longitude": "DOUBLE", "best": "INTEGER", "low": "INTEGER",
    "high": "INTEGER", "deaths_civilians": "INTEGER", "country_id": "INTEGER",
    "date_prec": "SMALLINT", "where_prec": "SMALLINT",
}  # fmt: skip


def _stage(con: duckdb.DuckDBPyConnection, path: Path, source: str, version: str) -> int:
    head = first_record(path)
    has_header = bool(head) and head[0].strip().lower() == "id"
    if not has_header and len(head) != len(GED_COLUMNS):
        raise SchemaError(
            f"{path}: neither a GED header nor a header-less GED row "
            f"({len(head)} fields, expected {len(GED_COLUMNS)})"
        )
    read_csv_raw(
        con, path, required=REQUIRED, names=None if has_header else GED_COLUMNS, types=TYPES
    )
    present = {r[0] for r in con.execute("DESCRIBE _raw").fetchall()}

    def col(name: str) -> str:
        # A column absent from this release is NULL of its own type: an untyped NULL
        # would be stored as INTEGER and break the merge's comparison with text.
        return name if name in present else f"NULL::{TYPES.get(name, 'VARCHAR')}"

    con.execute(
        f"""
        CREATE TEMP TABLE _stage AS
        SELECT
            ?::VARCHAR AS source,
            id::VARCHAR AS source_event_id,
            ?::VARCHAR AS source_version,
            date_start::DATE AS date_start, date_end::DATE AS date_end,
            {col("date_prec")} AS date_precision,
            latitude, longitude,
            {col("where_prec")} AS where_precision,
            NULL::VARCHAR AS country_iso3,
            country_id AS country_gwno,
            {col("country")} AS country_name,
            {col("adm_1")} AS admin1, {col("adm_2")} AS admin2,
            {col("where_coordinates")} AS location_name,
            CASE type_of_violence
                {" ".join(f"WHEN '{k}' THEN '{v}'" for k, v in VIOLENCE.items())}
            END AS violence_type,
            NULL::VARCHAR AS event_type,
            {col("conflict_new_id")} AS conflict_id, {col("dyad_new_id")} AS dyad_id,
            {col("side_a")} AS side_a, {col("side_b")} AS side_b,
            {col("side_a_new_id")} AS side_a_id, {col("side_b_new_id")} AS side_b_id,
            best AS fatalities_best, {col("low")} AS fatalities_low,
            {col("high")} AS fatalities_high, {col("deaths_civilians")} AS civilian_deaths,
            {col("source_headline")} AS notes,
            false AS deleted,
            {RAW_ORDINAL} AS _ord,
            CASE
                WHEN id IS NULL THEN 'missing id'
                WHEN type_of_violence IS NULL OR type_of_violence NOT IN ('1', '2', '3')
                    THEN 'unknown violence type: ' || coalesce(type_of_violence, 'empty')
                WHEN date_start IS NULL OR date_end IS NULL THEN 'missing date_start/date_end'
                WHEN date_end < date_start
                    THEN 'date_end before date_start: ' || date_start::DATE || ' > '
                         || date_end::DATE
                {date_check("date_start::DATE", COVERAGE_START, "date_start")}
                {date_check("date_end::DATE", COVERAGE_START, "date_end")}
                {COORDINATES_CHECK}
                WHEN best IS NULL OR best < 0
                    THEN 'bad fatality count best: ' || coalesce(best::VARCHAR, 'empty')
                WHEN {col("deaths_civilians")} < 0 THEN 'negative deaths_civilians'
            END AS _reason
        FROM _raw r
        """,
        [source, version],
    )
    _fill_iso3(con)
    return 1 if has_header else 0


def _fill_iso3(con: duckdb.DuckDBPyConnection) -> None:
    """ISO3 from GED's Gleditsch-Ward ``country_id`` (the key UCDP joins on)."""
    codes = con.execute(
        "SELECT DISTINCT country_gwno FROM _stage WHERE country_gwno IS NOT NULL"
    ).df()
    codes["iso3"] = map_codes(codes["country_gwno"], "gwcode", "iso3", errors="coerce")
    # Named apart from the alert rules' temp table of current countries (same connection).
    con.register("_stage_gw_iso3", codes)
    con.execute(
        "UPDATE _stage s SET country_iso3 = g.iso3 FROM _stage_gw_iso3 g "
        "WHERE s.country_gwno = g.country_gwno"
    )
    con.unregister("_stage_gw_iso3")


def ingest_ged(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    version: str | None = None,
    candidate: bool = False,
    location: str | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest a UCDP GED (or, with ``candidate``, GED Candidate) CSV or zipped CSV.

    ``version`` defaults to the one in the published file name.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                   # doctest: +SKIP
    >>> ingest_ged(con, Path("ged251-csv.zip"))                  # doctest: +SKIP
    """
    path = Path(path)
    version = version or version_from_name(path)
    if not version:
        raise SchemaError(
            f"{path}: cannot tell the GED version from the file name; pass it explicitly "
            "(e.g. --version 25.1)"
        )
    source = "ged_candidate" if candidate else "ged"
    return run_ingest(
        con,
        source=source,
        version=version,
        path=path,
        stage=lambda c, p: _stage(c, p, source, version),
        target=EVENTS,
        location=location,
        step=step,
    )
