"""UCDP Georeferenced Event Dataset (GED) files: yearly releases and monthly Candidates.

Reads the CSV exactly as UCDP publishes it (plain or zipped), for every release from
20.1 on: the 49 columns ``id, relid, year, active_year, code_status, type_of_violence,
… best, high, low, gwnoa, gwnob``. GED Candidate monthly releases use the same layout
and are sometimes published without a header row; the reader recognises both.
Yearly releases are stored as source ``ged``, Candidates as ``ged_candidate`` (panels
append the Candidate after the last GED month). Event dates before GED's coverage
(:data:`COVERAGE_START`) or after today are quarantined.

GED extracts
------------
Researchers pass round extracts carrying a few GED columns (the GED 20.1 points file
of Geo-PKO's repository: ``year, longitude, latitude, where_coordinates, best,
deaths_civilians``). A file whose header has GED column names but not all of
:data:`REQUIRED` is read as an extract and stored as its own source, ``ged_extract``
(``ged_candidate_extract`` for a Candidate), never mixed with a full release, whose
events it repeats under other ids. An extract needs :data:`EXTRACT_MINIMUM`
(``latitude, longitude, best``) and dates: ``date_start`` and ``date_end``, or
``year``; a file lacking one is refused with the missing columns named. Every other
GED column it carries is stored as in a release (``deaths_civilians``,
``where_coordinates``, ``type_of_violence``, ``side_a``/``side_b``, ``id``,
``country_id``, ...). What it lacks is stored as unknown:

- dates: with ``year`` only, ``date_start`` is 1 January and ``date_end`` 31 December
  of that year and ``date_precision`` is 5, UCDP's ``date_prec`` code for "only the
  year is known"; :func:`sentinelle.store.queries.event_precision` then reports the
  source as year-precise, and month designs must refuse it (no invented months);
- ``violence_type``: without ``type_of_violence`` it is ``'other'``. The store's type
  has no "unknown" and every GED event is one of UCDP's three types, so for a GED
  source ``'other'`` only ever means that the extract did not say; an analysis by
  violence type or perpetrator must check
  :func:`sentinelle.store.queries.missing_event_fields` first;
- ``source_event_id``: UCDP's ``id`` when the extract has it; otherwise
  ``row:<h>:<n>``, where ``<h>`` is the first 20 hex digits of the SHA-256 of the
  row's values as read (every column of the file, in column-name order, joined by
  U+001F, empty cells as empty text) and ``<n>`` numbers identical rows in file
  order (an extract may list two events alike). The id depends on the row's
  content, not its position: re-ingesting the file, or the same rows in another
  order, finds the same events (idempotent); an extract with other columns or edited
  values gives other ids.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.errors import SchemaError, SourceFileError
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
    unpacked_csv,
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

# What a GED extract must carry besides dates (``date_start`` and ``date_end``, or
# ``year``); see "GED extracts" in the module docstring.
EXTRACT_MINIMUM = ("latitude", "longitude", "best")
# UCDP's date_prec code for an event known to the year only.
YEAR_PRECISION = 5

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


def _identifier(name: str) -> str:
    """A column name of the file as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def ged_layout(path: Path) -> str:
    """How a GED CSV is laid out: ``'release'`` (every required column, with a header),
    ``'headerless'`` (a Candidate's 49 columns without header) or ``'extract'``.

    Raises
    ------
    SchemaError
        If the file is none of these, or an extract lacks what every extract needs;
        the message names the missing columns.
    """
    head = first_record(path)
    known = [c for c in head if c in GED_COLUMNS]
    if not head or (len(known) < 2 and head[0].strip().lower() != "id"):
        if len(head) == len(GED_COLUMNS):
            return "headerless"
        raise SchemaError(
            f"{path}: neither a GED header nor a header-less GED row "
            f"({len(head)} fields, expected {len(GED_COLUMNS)} or a header naming GED columns)"
        )
    if all(c in head for c in REQUIRED):
        return "release"
    dates = ["date_start", "date_end"] if "year" not in head else []
    missing = [c for c in [*EXTRACT_MINIMUM, *dates] if c not in head]
    if missing:
        also = [c for c in REQUIRED if c not in head and c not in missing]
        release = f"; a full release also has {', '.join(also)}" if also else ""
        raise SchemaError(
            f"{path}: missing required column(s) {', '.join(missing)}; a GED extract needs "
            f"at least {', '.join(EXTRACT_MINIMUM)} and dates (date_start and date_end, or "
            f"year){release}"
        )
    return "extract"


def _stage(
    con: duckdb.DuckDBPyConnection, path: Path, source: str, version: str, layout: str
) -> int:
    has_header = layout != "headerless"
    extract = layout == "extract"
    head = first_record(path) if has_header else list(GED_COLUMNS)
    types = dict(TYPES)
    if extract and "year" in head:
        types["year"] = "SMALLINT"
    read_csv_raw(
        con,
        path,
        required=EXTRACT_MINIMUM if extract else REQUIRED,
        names=None if has_header else GED_COLUMNS,
        types=types,
    )
    present = {r[0] for r in con.execute("DESCRIBE _raw").fetchall()}

    def col(name: str) -> str:
        # A column absent from this release is NULL of its own type: an untyped NULL
        # would be stored as INTEGER and break the merge's comparison with text.
        return name if name in present else f"NULL::{TYPES.get(name, 'VARCHAR')}"

    if "id" in present:
        event_id, id_check = "id::VARCHAR", "WHEN id IS NULL THEN 'missing id'"
    else:
        # See "GED extracts" in the module docstring.
        values = " || chr(31) || ".join(
            "coalesce(" + _identifier(c) + "::VARCHAR, '')" for c in sorted(present)
        )
        event_id = (
            f"'row:' || substr(sha256({values}), 1, 20) || ':' || "
            f"row_number() OVER (PARTITION BY sha256({values}) ORDER BY {RAW_ORDINAL})"
        )
        id_check = ""
    if "date_start" in present and "date_end" in present:
        start, end, precision = "date_start::DATE", "date_end::DATE", col("date_prec")
        date_checks = f"""
                WHEN date_start IS NULL OR date_end IS NULL THEN 'missing date_start/date_end'
                WHEN date_end < date_start
                    THEN 'date_end before date_start: ' || date_start::DATE || ' > '
                         || date_end::DATE
                {date_check("date_start::DATE", COVERAGE_START, "date_start")}
                {date_check("date_end::DATE", COVERAGE_START, "date_end")}"""
    else:
        start, end = "make_date(year, 1, 1)", "make_date(year, 12, 31)"
        precision = f"{YEAR_PRECISION}::SMALLINT"
        date_checks = f"""
                WHEN year IS NULL THEN 'missing year'
                WHEN year NOT BETWEEN {COVERAGE_START.year} AND year(current_date)
                    THEN 'implausible year: ' || year::VARCHAR
                         || ' (not between {COVERAGE_START.year} and this year)'"""
    if "type_of_violence" in present:
        violence = f"""CASE type_of_violence
                {" ".join(f"WHEN '{k}' THEN '{v}'" for k, v in VIOLENCE.items())}
            END"""
        violence_check = """
                WHEN type_of_violence IS NULL OR type_of_violence NOT IN ('1', '2', '3')
                    THEN 'unknown violence type: ' || coalesce(type_of_violence, 'empty')"""
    else:
        violence, violence_check = "'other'", ""  # unknown: see the module docstring

    con.execute(
        f"""
        CREATE TEMP TABLE _stage AS
        SELECT
            ?::VARCHAR AS source,
            {event_id} AS source_event_id,
            ?::VARCHAR AS source_version,
            {start} AS date_start, {end} AS date_end,
            {precision} AS date_precision,
            latitude, longitude,
            {col("where_prec")} AS where_precision,
            NULL::VARCHAR AS country_iso3,
            {col("country_id")} AS country_gwno,
            {col("country")} AS country_name,
            {col("adm_1")} AS admin1, {col("adm_2")} AS admin2,
            {col("where_coordinates")} AS location_name,
            {violence} AS violence_type,
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
                {id_check}
                {violence_check}
                {date_checks}
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

    ``version`` defaults to the one in the published file name. A GED extract (a
    file with some GED columns, see the module docstring) is stored as source
    ``ged_extract`` (``ged_candidate_extract``) with the date precision it has.

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
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    with unpacked_csv(path) as csv_path:
        layout = ged_layout(csv_path)
    source = "ged_candidate" if candidate else "ged"
    if layout == "extract":
        source += "_extract"
    return run_ingest(
        con,
        source=source,
        version=version,
        path=path,
        stage=lambda c, p: _stage(c, p, source, version, layout),
        target=EVENTS,
        location=location,
        step=step,
    )
