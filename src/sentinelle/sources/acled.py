"""ACLED event exports (the website's export tool, the API's CSV, HDX copies).

Reads the standard export columns ``event_id_cnty, event_date, year, time_precision,
event_type, sub_event_type, actor1, assoc_actor_1, inter1, actor2, assoc_actor_2,
inter2, interaction, region, country, admin1, admin2, admin3, location, latitude,
longitude, geo_precision, source, source_scale, notes, fatalities, timestamp`` plus
``iso`` and/or ``iso3``, with or without the newer ``disorder_type``,
``civilian_targeting`` and ``tags``, a leading unnamed index column or ``data_id``.
The copies published on HDX carry an HXL tag row (``#date``, ``#event+code`` ...)
after the header: it is skipped, neither read nor quarantined.

ACLED is a living database: events are revised (``timestamp`` is the row's last
modification, stored as ``source_version`` so that a later revision replaces an
earlier one and never the reverse) and withdrawn. Withdrawals come from ACLED's
deleted-events list (the API's, see :mod:`sentinelle.sources.acled_api`), never from
what an export lacks: a partial or filtered export withdraws nothing. Only when the
user declares a file a complete :class:`Snapshot` of a scope (countries, dates, event
types) are the stored events of that scope missing from it marked ``deleted`` (see
:func:`ingest_acled`). An event that reappears is undeleted. Event dates before
ACLED's coverage (:data:`COVERAGE_START`) or after today are quarantined.

Mapping to the common event model, and its approximations:

* ``event_type`` is ``'<event_type>: <sub_event_type>'``; ``fatalities_best`` is
  ACLED's ``fatalities`` (ACLED publishes no low/high).
* ``civilian_deaths`` is ``fatalities`` for *Violence against civilians* events and
  NULL otherwise. This is an approximation: ACLED does not split fatalities by side,
  so perpetrators killed in such events are counted, and civilians killed in battles
  or remote violence are not.
* ``violence_type`` follows UCDP's three categories as closely as ACLED's coding
  allows, from the event type and the actors' ``inter`` codes (1 state forces,
  2 rebel groups, 3 political militias, 4 identity militias, 5 rioters,
  6 protesters, 7 civilians, 8 external/other forces; newer exports write the
  labels instead of the numbers, both are read):

  =============================  ===================================================
  ACLED event type               violence_type
  =============================  ===================================================
  Violence against civilians     ``one_sided``
  Battles,                       ``state_based`` if either actor is state forces (1)
  Explosions/Remote violence     or external/other forces (8), else ``non_state``
  Protests, Riots,               ``other``
  Strategic developments
  =============================  ===================================================

  Code 8 counts as a state because in ACLED's coding it is mostly foreign state
  militaries and UN or regional peace operations (in Mali: French forces,
  MINUSMA, the G5 Sahel force, neighbours' armies), which fight beside the
  government and which UCDP codes as parties to the state-based conflict; the
  private security companies also coded 8 are rare. Remote violence against
  civilians (actor2 civilians, inter2 7) stays ``state_based``/``non_state`` by the
  rule above although UCDP would usually call it one-sided.
* ``country_iso3`` is ``iso3``, or the ISO numeric ``iso`` translated with
  :func:`sentinelle.geo.countries.convert_code` where ``iso3`` is absent.
* Sides are ``actor1``/``actor2`` by name (ACLED has no actor ids); the engine
  registers them under their names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.errors import IngestError, UsageError
from sentinelle.geo.countries import convert_code
from sentinelle.sources.ingest import (
    COORDINATES_CHECK,
    EVENTS,
    RAW_ORDINAL,
    IngestReport,
    Predicate,
    date_check,
    read_csv_raw,
    run_ingest,
    sql_literal,
    unordered_writes,
)
from sentinelle.steps import Step, no_step

SOURCE = "acled"

# ACLED's earliest events (African countries from 1997); earlier dates are typos.
COVERAGE_START = date(1997, 1, 1)

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "timestamp", "iso3",
)  # fmt: skip

# What the common event model cannot do without; the other columns are optional.
REQUIRED = (
    "event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "inter1",
    "inter2", "country", "latitude", "longitude", "fatalities", "timestamp",
)  # fmt: skip

# Parsed by the CSV reader: a value that does not convert quarantines its row with the
# column and value named. event_date is parsed below because ACLED has written it in
# several formats; inter1/inter2 because newer exports write labels.
TYPES = {
    "latitude": "DOUBLE", "longitude": "DOUBLE", "fatalities": "INTEGER",
    "timestamp": "BIGINT", "time_precision": "SMALLINT", "geo_precision": "SMALLINT",
}  # fmt: skip

# Exports write 2020-10-31; older exports and HDX copies 31 October 2020 or
# 31-October-2020.
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y")

# Event types classified by type alone; the armed ones depend on the actors.
VIOLENCE = {
    "Violence against civilians": "one_sided",
    "Protests": "other",
    "Riots": "other",
    "Strategic developments": "other",
}
ARMED = ("Battles", "Explosions/Remote violence")
EVENT_TYPES = (*ARMED, *VIOLENCE)

# ACLED's actor type codes as newer exports label them (lower-cased).
INTER_LABELS = {
    "state forces": 1,
    "rebel group": 2,
    "political militia": 3,
    "identity militia": 4,
    "rioters": 5,
    "protesters": 6,
    "civilians": 7,
    "external/other forces": 8,
}
STATE_INTER = (1, 8)


def _inter_code(column: str) -> str:
    """SQL giving the inter code of ``column``: 0 when empty, NULL when unrecognised."""
    labels = " ".join(f"WHEN '{label}' THEN {code}" for label, code in INTER_LABELS.items())
    # Empty means no such actor (actor2 of a protest): ACLED's code 0.
    return (
        f"CASE WHEN {column} IS NULL THEN 0 "
        f"WHEN regexp_full_match(trim({column}), '[0-8]') THEN trim({column})::INTEGER "
        f"ELSE CASE lower(trim({column})) {labels} END END"
    )


def _has_hxl_row(path: Path) -> bool:
    """Whether the record after the header is an HXL tag row (every filled cell '#...')."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        records = csv.reader(fh)
        next(records, None)
        cells = [c.strip() for c in next(records, []) if c.strip()]
    return bool(cells) and all(c.startswith("#") for c in cells)


def _iso3_from_isonum(con: duckdb.DuckDBPyConnection, present: set[str]) -> str:
    """SQL giving the ISO3 code of rows that have only the numeric ``iso``."""
    if "iso" not in present:
        return "NULL::VARCHAR"
    without_iso3 = "AND iso3 IS NULL" if "iso3" in present else ""
    codes = con.execute(
        f"SELECT DISTINCT iso FROM _raw WHERE iso IS NOT NULL {without_iso3}"
    ).fetchall()
    whens = []
    for (code,) in codes:
        try:
            whens.append(f"WHEN {sql_literal(code)} THEN '{convert_code(code, 'isonum', 'iso3')}'")
        except KeyError:
            continue  # an unknown code leaves country_iso3 NULL; country_name remains
    return f"CASE iso {' '.join(whens)} END" if whens else "NULL::VARCHAR"


@dataclass(frozen=True)
class Snapshot:
    """The scope a user declares an export complete for: its stored events missing from
    the file are withdrawn. ``event_types`` ``None`` means every type."""

    countries: tuple[str, ...]
    start: date
    end: date
    event_types: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.countries:
            raise UsageError("a snapshot needs --countries (ACLED's names, e.g. Mali)")
        if self.start > self.end:
            raise UsageError(f"snapshot start {self.start} is after its end {self.end}")
        unknown = sorted(set(self.event_types or ()) - set(EVENT_TYPES))
        if unknown:
            raise UsageError(
                f"unknown ACLED event type(s) {', '.join(unknown)}; "
                f"choose from: {', '.join(EVENT_TYPES)}"
            )

    def describe(self) -> str:
        """The scope in words, as the command prints it before committing."""
        types = ", ".join(self.event_types) if self.event_types else "all event types"
        return f"{', '.join(self.countries)}, {self.start} to {self.end}, {types}"

    def predicate(self) -> Predicate:
        """Stored ACLED events (``t``) in the scope, with its parameters."""
        types = list(self.event_types) if self.event_types else None
        return (
            "list_contains(?, t.country_name) AND t.date_start BETWEEN ? AND ? "
            "AND (?::VARCHAR[] IS NULL OR list_contains(?, split_part(t.event_type, ': ', 1)))",
            [list(self.countries), self.start, self.end, types, types],
        )


def _stage(con: duckdb.DuckDBPyConnection, path: Path, snapshot: Snapshot | None) -> int:
    read_csv_raw(con, path, required=REQUIRED, types=TYPES)
    unreadable = con.execute("SELECT count(*), min(line) FROM _rejects").fetchone()
    if snapshot is not None and unreadable and unreadable[0]:
        # The events of unreadable rows are unknown: a snapshot would withdraw them.
        raise IngestError(
            f"{path}: {unreadable[0]:,} row(s) cannot be read (the first on line "
            f"{unreadable[1]}), so the file is not a complete snapshot: fix them, or "
            "ingest it without --snapshot; store unchanged"
        )
    header_records = 1
    if _has_hxl_row(path):
        header_records = 2
        # The reader refuses the tag row when a typed column is tagged ('#geo+lat');
        # otherwise it is the first parsed row.
        if not con.execute("DELETE FROM _rejects WHERE line = 2 RETURNING line").fetchall():
            con.execute("DELETE FROM _raw WHERE rowid = (SELECT min(rowid) FROM _raw)")
    present = {r[0] for r in con.execute("DESCRIBE _raw").fetchall()}

    def col(name: str, sql_type: str = "VARCHAR") -> str:
        # Typed, so that the merge compares an absent column with stored values.
        return name if name in present else f"NULL::{sql_type}"

    state = ", ".join(str(code) for code in STATE_INTER)
    event_types = sql_literal(list(EVENT_TYPES))
    iso3 = f"coalesce({col('iso3')}, {_iso3_from_isonum(con, present)})"
    unordered_writes(con)  # each row carries its position in the file: _ord
    con.execute(
        f"""
        CREATE TEMP TABLE _stage AS
        WITH p AS (
            SELECT r.*, {RAW_ORDINAL} AS _ord,
                try_strptime(event_date, {sql_literal(list(DATE_FORMATS))})::DATE AS _date,
                {_inter_code("inter1")} AS _inter1, {_inter_code("inter2")} AS _inter2
            FROM _raw r
        )
        SELECT
            '{SOURCE}' AS source,
            event_id_cnty AS source_event_id,
            "timestamp"::VARCHAR AS source_version,
            _date AS date_start, _date AS date_end,
            {col("time_precision", "SMALLINT")} AS date_precision,
            latitude, longitude,
            {col("geo_precision", "SMALLINT")} AS where_precision,
            {iso3} AS country_iso3,
            NULL::INTEGER AS country_gwno,
            country AS country_name,
            {col("admin1")} AS admin1, {col("admin2")} AS admin2,
            {col("location")} AS location_name,
            CASE
                WHEN list_contains({sql_literal(list(ARMED))}, p.event_type) THEN
                    CASE WHEN _inter1 IN ({state}) OR _inter2 IN ({state})
                        THEN 'state_based' ELSE 'non_state' END
                {" ".join(f"WHEN p.event_type = '{k}' THEN '{v}'" for k, v in VIOLENCE.items())}
            END AS violence_type,
            concat_ws(': ', p.event_type, sub_event_type) AS event_type,
            NULL::VARCHAR AS conflict_id, NULL::VARCHAR AS dyad_id,
            actor1 AS side_a, {col("actor2")} AS side_b,
            NULL::VARCHAR AS side_a_id, NULL::VARCHAR AS side_b_id,
            fatalities AS fatalities_best,
            NULL::INTEGER AS fatalities_low, NULL::INTEGER AS fatalities_high,
            CASE WHEN p.event_type = 'Violence against civilians' THEN fatalities END
                AS civilian_deaths,
            {col("notes")} AS notes,
            -- A value column of the merge: an event withdrawn earlier and back in this
            -- file is undeleted.
            false AS deleted,
            _ord,
            CASE
                WHEN event_id_cnty IS NULL THEN 'missing event_id_cnty'
                WHEN NOT coalesce(list_contains({event_types}, p.event_type), false)
                    THEN 'unknown event_type: ' || coalesce(p.event_type, 'empty')
                WHEN _date IS NULL
                    THEN 'unparseable event_date: ' || coalesce(event_date, 'empty')
                {date_check("_date", COVERAGE_START, "event_date")}
                {COORDINATES_CHECK}
                WHEN fatalities IS NULL OR fatalities < 0
                    THEN 'bad fatalities: ' || coalesce(fatalities::VARCHAR, 'empty')
                WHEN "timestamp" IS NULL THEN 'missing timestamp'
                WHEN _inter1 IS NULL THEN 'unknown inter1: ' || inter1
                WHEN _inter2 IS NULL THEN 'unknown inter2: ' || inter2
            END AS _reason
        FROM p
        """
    )
    return header_records


def _delete_scope(deleted: Iterable[str], snapshot: Snapshot | None) -> Predicate | None:
    """Stored events (``t``) this ingest withdraws: those ACLED lists as deleted and,
    for a snapshot, those of its scope (unless the file holds them, see
    :func:`ingest_acled`).

    Evaluated at merge time, when ``_stage`` holds the file's rows.
    """
    ids = sorted(set(deleted))
    clauses: list[str] = []
    params: list[object] = []
    if ids:
        clauses.append("list_contains(?, t.source_event_id)")
        params.append(ids)
    if snapshot is not None:
        scope, scope_params = snapshot.predicate()
        accepted = "FROM _stage WHERE _reason IS NULL"
        clauses.append(
            f"""({scope}
            AND TRY_CAST(t.source_version AS BIGINT)
                <= (SELECT max(source_version::BIGINT) {accepted})
            AND t.source_event_id NOT IN
                (SELECT source_event_id FROM _stage WHERE source_event_id IS NOT NULL))"""
        )
        params += scope_params
    if not clauses:
        return None
    return f"t.source = '{SOURCE}' AND ({' OR '.join(clauses)})", params


def ingest_acled(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    deleted: Iterable[str] = (),
    snapshot: Snapshot | None = None,
    location: str | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest an ACLED CSV export (plain or zipped) into ``events``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store (see :func:`sentinelle.store.open_store`).
    path : pathlib.Path
        The export, in any of the layouts of the module docstring.
    deleted : iterable of str, optional
        ``event_id_cnty`` values ACLED lists as deleted (the API's deleted-events
        list): marked ``deleted`` wherever they are, unless this file brings them back.
    snapshot : Snapshot, optional
        The scope the user declares this file complete for: stored events of that
        scope missing from the file are marked ``deleted``. Without it, nothing is
        withdrawn but the ``deleted`` list.
    location : str, optional
        What provenance records instead of the resolved path (a download URL).
    step : callable, optional
        Progress sink, called with a short description of each stage.

    Returns
    -------
    IngestReport
        Counts of rows read, inserted, updated, unchanged, marked deleted and
        quarantined; ``skipped`` if this exact file was ingested before.

    Notes
    -----
    With a snapshot, stored ACLED events are marked deleted when all of these hold:
    they lie in its scope (``country_name``, event date, event type), their revision
    is not newer than the newest in the file (an older export cannot withdraw what was
    revised after it), and their ``event_id_cnty`` is not in the file at all (a
    revision the file carries but that is quarantined leaves the stored one alone). A
    snapshot with rows the CSV reader cannot read is refused: their events are unknown.

    Quarantine reasons: missing event_id_cnty, unknown event_type, unparseable
    event_date, implausible event_date (before 1997 or after today), coordinates out of
    range, bad fatalities (negative or empty; values
    that are not numbers are refused by the reader, naming the column), missing
    timestamp, unknown inter1/inter2, duplicate key.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                        # doctest: +SKIP
    >>> ingest_acled(con, Path("acled_mali_2019-2020.csv"))           # doctest: +SKIP
    """
    return run_ingest(
        con,
        source=SOURCE,
        version=None,
        path=Path(path),
        stage=lambda c, p: _stage(c, p, snapshot),
        target=EVENTS,
        location=location,
        delete_scope=_delete_scope(deleted, snapshot),
        step=step,
    )
