"""The ingest engine every source adapter runs through.

An adapter only knows its publisher's layout: it reads a file into a staging table
``_stage`` whose columns are the target table's (``events`` or ``deployments``) plus
``_ord`` (the row's position among the rows the CSV reader could parse, see
``RAW_ORDINAL``) and ``_reason`` (why the row cannot be accepted, NULL if it can).
This module does the rest, identically for every source:

* one transaction per ingest: the provenance row, the quarantine, the merge and the
  actor registry commit together or not at all (an exception or Ctrl-C rolls back);
* idempotence: re-merging identical rows changes nothing; a file whose checksum was
  ingested before is merged again (restoring what later ingests changed of its rows)
  and, if that changes nothing, leaves no new provenance;
* supersession: a row replaces the stored row with the same key only when its
  ``source_version`` is the same or newer (release '24.1' beats '23.1', an ACLED row
  revised later beats the earlier revision), and the provenance of both is kept in
  ``ingests``;
* withdrawn rows: deletions are never inferred from what a file lacks. An adapter may
  pass a predicate naming stored rows to mark ``deleted`` (never removed): the ids a
  publisher lists as withdrawn, or the rows of a scope the user declared the file a
  complete snapshot of;
* history: every row an ingest replaces is kept (:mod:`sentinelle.sources.history`),
  so that ``sentinelle undo`` restores the store as it was before that ingest;
* bounded input: a file whose first rows are mostly unreadable is refused before it is
  read, a zip is refused before unpacking when it would expand beyond
  :data:`MAX_UNZIPPED_BYTES` or :data:`MAX_ZIP_RATIO`, and a file with more than
  :data:`MAX_UNREADABLE_ROWS` unreadable rows is refused, so memory stays bounded;
* quarantine: rows the reader cannot parse and rows the adapter rejects go to the
  ``quarantine`` table with the file's line number and the reason; repeated ids keep
  their first occurrence and quarantine the others.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from sentinelle.errors import IngestError, SchemaError, SourceFileError
from sentinelle.sources.history import keep_versions
from sentinelle.steps import Step, no_step
from sentinelle.store.transaction import transaction


@dataclass(frozen=True)
class Target:
    """A table that ingests merge into."""

    table: str
    key: tuple[str, ...]
    # Rows carrying an older version than the stored row never overwrite it.
    versioned: bool
    # Key columns that may be NULL (an unknown as-of date): compared NULL-safely.
    nullable_key: tuple[str, ...] = ()


EVENTS = Target("events", ("source", "source_event_id"), versioned=True)
DEPLOYMENTS = Target(
    "deployments", ("source", "mission", "location", "year", "month", "record"), versioned=False
)


@dataclass
class IngestReport:
    """What one ingest did; ``skipped`` means the same file was ingested before."""

    source: str
    version: str | None
    location: str
    sha256: str
    ingest_id: int | None = None
    skipped: bool = False
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# A zip is refused before unpacking when its CSV would expand beyond either cap:
# published CSVs compress 5-15x, and the largest (GED) unpacks to under 2 GB.
MAX_UNZIPPED_BYTES = 8 * 2**30
MAX_ZIP_RATIO = 200
_ZIP_MAGIC = b"PK\x03\x04"

# The first rows are checked before the file is read: a file of which more than half
# of these cannot be split into the header's fields is not of the expected layout.
PROBE_ROWS = 1_000
# Beyond this many rows the CSV reader cannot read, a file is refused, not quarantined.
MAX_UNREADABLE_ROWS = 10_000
# The longest row the CSV reader accepts, in bytes (a 5 MB notes field is refused).
MAX_LINE_BYTES = 2_000_000


@contextmanager
def unpacked_csv(path: Path) -> Iterator[Path]:
    """Yield a readable CSV path: the file itself, or the one CSV inside a zip."""
    with path.open("rb") as fh:
        magic = fh.read(len(_ZIP_MAGIC))
    if magic != _ZIP_MAGIC and not zipfile.is_zipfile(path):
        yield path
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                names = [m.filename for m in members]
                raise SourceFileError(
                    f"{path}: expected exactly one .csv in the archive, found {names or 'none'}"
                )
            member = members[0]
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > MAX_UNZIPPED_BYTES or ratio > MAX_ZIP_RATIO:
                raise SourceFileError(
                    f"{path}: {member.filename} would expand from {member.compress_size:,} to "
                    f"{member.file_size:,} bytes ({ratio:,.0f}x); refused before unpacking "
                    f"(limits {MAX_UNZIPPED_BYTES:,} bytes, {MAX_ZIP_RATIO}x)"
                )
            with tempfile.TemporaryDirectory(prefix="sentinelle-") as tmp:
                target = Path(tmp) / Path(member.filename).name
                with archive.open(member) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                yield target
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceFileError(f"{path}: corrupt or truncated zip ({exc})") from exc


def first_record(path: Path) -> list[str]:
    """The first CSV record of a file (its header, if it has one)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"{path}: not UTF-8 text ({exc})") from exc


def read_csv_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    required: Sequence[str],
    names: Sequence[str] | None = None,
    types: Mapping[str, str] | None = None,
) -> None:
    """Read a CSV as text into temp table ``_raw`` and its unparsable rows into ``_rejects``.

    ``names`` gives the column names of a header-less file; otherwise the header must
    contain every column in ``required`` (a :class:`SchemaError` lists those missing).
    ``types`` are parsed by the reader (other columns stay text): a value that does not
    convert sends its row to ``_rejects`` with the column and value named.
    ``_raw`` keeps file order, so ``rowid`` is each parsed row's ordinal; ``_rejects``
    holds the record number (header = 1) of each row the reader refused.
    """
    header = list(names) if names is not None else first_record(path)
    if names is None:
        missing = [c for c in required if c not in header]
        if missing:
            raise SchemaError(
                f"{path}: missing required column(s) {', '.join(missing)}; "
                f"found {', '.join(header[:12])}{' ...' if len(header) > 12 else ''}"
            )
    _probe(path, len(header), skip=0 if names is not None else 1)
    options: dict[str, object] = {
        "all_varchar": True,
        "header": names is None,
        "store_rejects": True,
        "rejects_table": "_reject_errors",
        "rejects_scan": "_reject_scans",
        "rejects_limit": MAX_UNREADABLE_ROWS,
        "strict_mode": True,
        "parallel": True,
        "max_line_size": MAX_LINE_BYTES,
    }
    if names is not None:
        options["names"] = list(names)
    column_types = {c: t for c, t in (types or {}).items() if c in header}
    if column_types:
        options["types"] = column_types
    # Reader options are named parameters DuckDB takes only as constants; they come
    # from the adapters' code, and sql_literal quotes them. The path is a parameter.
    opts = ", ".join(f"{k} := {sql_literal(v)}" for k, v in options.items())
    con.execute("DROP TABLE IF EXISTS _raw")
    # rowid must be file order (RAW_ORDINAL), whatever an earlier unordered_writes did.
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE TEMP TABLE _raw AS SELECT * FROM read_csv(?, {opts})", [str(path)])
    except duckdb.Error as exc:
        if "Maximum line size" in str(exc):
            raise SourceFileError(_long_row(path)) from exc
        first = str(exc).splitlines()[0][:300]
        raise SourceFileError(f"{path}: cannot be read as CSV: {first}") from exc
    con.execute(
        """
        INSERT INTO _rejects
        SELECT DISTINCT ON (line) line, error_type || ': ' || error_message, csv_line
        FROM _reject_errors ORDER BY line
        """
    )
    unreadable = con.execute("SELECT count(*), min(line) FROM _rejects").fetchone()
    if unreadable and unreadable[0] >= MAX_UNREADABLE_ROWS:
        raise SourceFileError(
            f"{path}: more than {MAX_UNREADABLE_ROWS:,} rows cannot be read (the first on "
            f"line {unreadable[1]}); refused, nothing stored"
        )


def _probe(path: Path, n_fields: int, *, skip: int) -> None:
    """Refuse a file most of whose first :data:`PROBE_ROWS` rows (after ``skip`` header
    records) do not split into ``n_fields`` fields: junk, or another layout."""
    read = bad = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        records = csv.reader(fh)
        try:
            for number, record in enumerate(records):
                if number < skip:
                    continue
                read += 1
                bad += len(record) != n_fields
                if read >= PROBE_ROWS:
                    break
        except csv.Error:
            pass  # a field too long for Python's reader: the CSV reader names its line
    if read >= min(PROBE_ROWS, 100) and bad * 2 > read:
        raise SourceFileError(
            f"{path}: {bad:,} of the first {read:,} rows do not have the header's "
            f"{n_fields} fields; refused before reading the file (junk, or not this "
            "source's layout)"
        )


def _long_row(path: Path) -> str:
    """The message naming the first row longer than :data:`MAX_LINE_BYTES`."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as fh:
            records = csv.reader(fh)
            start = 1
            for record in records:
                size = sum(len(f.encode()) for f in record) + len(record)
                if size > MAX_LINE_BYTES:
                    return (
                        f"{path}: line {start}: a row of {size:,} bytes, longer than the "
                        f"{MAX_LINE_BYTES:,} a row may hold; shorten it or remove it"
                    )
                start = records.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return f"{path}: a row is longer than the {MAX_LINE_BYTES:,} bytes a row may hold"


def sql_literal(value: object) -> str:
    """A Python value (text, bool, number, list, dict) as a DuckDB SQL literal.

    Only for values SQL cannot take as parameters (``read_csv`` options, constants of
    the adapters' own code). Text is quoted with every ``'`` doubled, the one escape
    a DuckDB string literal has, so no value can end the literal early.

    Examples
    --------
    >>> sql_literal(["25.1'; DROP TABLE users; --", True])
    "['25.1''; DROP TABLE users; --', true]"
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in value.items()) + "}"
        )
    text = str(value)
    if "\x00" in text:
        raise ValueError(f"a NUL character cannot be quoted as SQL: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def unordered_writes(con: duckdb.DuckDBPyConnection) -> None:
    """Let DuckDB write the rows of the ingest's next statements in any order.

    Keeping insertion order makes DuckDB write a large insert's rows in one ordered
    stream; without it the threads write their row groups as they come (a 1,000,000-row
    ACLED load's insert into ``events`` takes about half the time). For statements
    whose rows carry their order in a column (``_stage``'s ``_ord``) or need none (the
    merge). The setting is global to the database: :func:`run_ingest` restores it when
    the ingest ends, and :func:`read_csv_raw`, whose ``rowid`` is the file's order,
    sets it back before reading.
    """
    con.execute("SET preserve_insertion_order = false")


# Fills ``_stage`` from a CSV path; returns how many header records precede the data.
# A row's position in ``_raw`` (aliased ``r``): rowids of a table made inside a
# transaction are offset, so count from the first.
RAW_ORDINAL = "(r.rowid - (SELECT min(rowid) FROM _raw))"


def date_check(column: str, coverage_start: date, label: str) -> str:
    """A quarantine rule (``WHEN ... THEN reason``): the date ``column`` lies between the
    source's ``coverage_start`` and today; ``label`` names the column in the reason."""
    return f"""
                WHEN {column} NOT BETWEEN DATE '{coverage_start.isoformat()}' AND current_date
                    THEN 'implausible {label}: ' || {column}::VARCHAR
                         || ' (not between {coverage_start.isoformat()} and today)'"""


def raw_column(column: str) -> str:
    """``column`` of the raw row ``r`` as a quoted identifier (publishers' names carry
    dots and spaces: Geo-PKO's ``no.troops``, HDX's ``Admin2 Pcode``)."""
    return 'r."' + column.replace('"', '""') + '"'


def count_check(field: str, column: str, not_coded: str, label: str) -> str:
    """A quarantine rule for a count parsed into ``_<field>`` from the raw ``column``:
    a coded value that is not a number, or negative; ``not_coded`` is the SQL predicate
    of a missing value (not an error) and ``label`` names it in the reason."""
    return (
        f"WHEN NOT {not_coded} AND coalesce(_{field} < 0, true) "
        f"THEN 'bad {label}: ' || {raw_column(column)}"
    )


# The parsed values every deployment source fills (``_hq`` may be left out: NULL).
DEPLOYMENT_FIELDS = (
    "_mission", "_location", "_country", "_latitude", "_longitude",
    "_troops", "_police", "_observers",
)  # fmt: skip


def stage_deployments(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    parsed: dict[str, str],
    year: str,
    month: str,
    checks: str,
) -> None:
    """Fill ``_stage`` in the ``deployments`` layout from ``_raw`` (Geo-PKO, RADPKO).

    ``parsed`` maps each of :data:`DEPLOYMENT_FIELDS` (and optionally ``_hq``) to its
    SQL over the raw row ``r``; ``year`` and ``month`` are SQL over the parsed row
    (``0`` for a yearly row) and ``checks`` the quarantine rules (``WHEN ... THEN
    reason``), first match wins. A base's rows of the same period are numbered in
    file order (``record``), so a file listing a base twice keeps both.
    """
    missing = [name for name in DEPLOYMENT_FIELDS if name not in parsed]
    if missing:  # a programming error of a source module, not of its file
        raise ValueError(f"stage_deployments: no SQL for {', '.join(missing)}")
    columns = {**parsed, "_hq": parsed.get("_hq", "NULL::SMALLINT")}
    con.execute(
        f"""
        CREATE TEMP TABLE _stage AS
        WITH parsed AS (
            SELECT r.*, {RAW_ORDINAL} AS _ord,
                {", ".join(f"{sql} AS {name}" for name, sql in columns.items())}
            FROM _raw r
        )
        SELECT
            {sql_literal(source)} AS source,
            _mission AS mission, _location AS location, _country AS country,
            _latitude AS latitude, _longitude AS longitude,
            ({year})::SMALLINT AS year, ({month})::SMALLINT AS month,
            _troops AS troops, _police AS police, _observers AS observers,
            row_number() OVER (
                PARTITION BY _mission, _location, {year}, {month} ORDER BY _ord
            )::SMALLINT AS record,
            _hq AS hq,
            _ord,
            CASE {checks}
            END AS _reason
        FROM parsed r
        """
    )


# One quarantine rule for every event source: a point must be on the globe.
COORDINATES_CHECK = """
                WHEN latitude IS NULL OR longitude IS NULL OR latitude NOT BETWEEN -90 AND 90
                     OR longitude NOT BETWEEN -180 AND 180
                    THEN 'coordinates out of range: ' || coalesce(latitude::VARCHAR, 'empty')
                         || ', ' || coalesce(longitude::VARCHAR, 'empty')"""


Stage = Callable[[duckdb.DuckDBPyConnection, Path], int]

# A SQL predicate over the target table aliased ``t`` and its parameters.
Predicate = tuple[str, list[object]]


class _Unchanged(Exception):
    """Raised inside the transaction of a re-ingest that changed nothing: rolls it back."""


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    version: str | None,
    path: Path,
    stage: Stage,
    target: Target,
    location: str | None = None,
    delete_scope: Predicate | None = None,
    step: Step = no_step,
    as_csv: Callable[[Path], AbstractContextManager[Path]] = unpacked_csv,
) -> IngestReport:
    """Ingest ``path`` in one transaction; see the module docstring for the rules.

    ``stage`` fills ``_stage`` (and may add to ``_rejects``) and returns the number
    of header records before the data; ``delete_scope`` is a SQL predicate (with its
    parameters) over the target table aliased ``t`` naming the stored rows to mark
    deleted unless the file holds them. ``location`` is what provenance records (a
    URL for downloads). ``as_csv`` yields the CSV that ``stage`` reads (by default the
    file itself, or the one CSV of a zip; a workbook's sheet written out as CSV, see
    :mod:`sentinelle.sources.acled_hdx`), inside the transaction.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    location = location or str(path.resolve())
    step(f"checksum {path.name}")
    digest = sha256_of(path)
    report = IngestReport(source=source, version=version, location=location, sha256=digest)
    previous = con.execute(
        "SELECT ingest_id FROM ingests WHERE source = ? AND sha256 = ? AND status = 'ok'",
        [source, digest],
    ).fetchone()
    started = datetime.now()
    ordered = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    try:
        with transaction(con):
            ingest_id = int(con.execute("SELECT nextval('ingest_id_seq')").fetchone()[0])  # type: ignore[index]
            report.ingest_id = ingest_id
            con.execute("DROP TABLE IF EXISTS _rejects")
            con.execute("CREATE TEMP TABLE _rejects (line BIGINT, reason VARCHAR, raw VARCHAR)")
            step(f"read {path.name}")
            with as_csv(path) as csv_path:
                header_records = stage(con, csv_path)
                step("validate")
                _quarantine(
                    con, target, ingest_id, source, location, csv_path, header_records, report
                )
            step("merge")
            _merge(con, target, ingest_id, delete_scope, report)
            if previous and not (
                report.rows_inserted or report.rows_updated or report.rows_deleted
            ):
                raise _Unchanged
            if target is EVENTS:
                _register_actors(con, ingest_id)
            con.execute(
                "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok')",
                [
                    ingest_id, source, version, location, digest, report.rows_read,
                    report.rows_inserted, report.rows_updated, report.rows_unchanged,
                    report.rows_deleted, report.rows_quarantined, started, datetime.now(),
                ],
            )  # fmt: skip
    except _Unchanged:
        report.ingest_id, report.skipped = int(previous[0]), True  # type: ignore[index]
        report.rows_quarantined, report.quarantine_reasons = 0, {}
    except Exception as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(f"{path}: ingest of {source} abandoned, store unchanged: {exc}") from exc
    finally:
        # After the commit or rollback: an aborted transaction refuses even a SET.
        con.execute(f"SET preserve_insertion_order = {sql_literal(bool(ordered and ordered[0]))}")
        con.execute("DROP VIEW IF EXISTS _valid")
        for table in ("_raw", "_stage", "_rejects", "_reject_errors", "_reject_scans"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return report


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    ingest_id: int,
    source: str,
    location: str,
    csv_path: Path,
    header_records: int,
    report: IngestReport,
) -> None:
    """Mark repeated keys, then move every refused row into ``quarantine``."""
    keys = ", ".join(target.key)
    # The first occurrence of a key wins; later ones are quarantined naming it.
    con.execute("ALTER TABLE _stage ADD COLUMN _dup_of BIGINT")
    key_text = " || '/' || ".join(f"coalesce(s.{k}::VARCHAR, '')" for k in target.key)
    con.execute(
        f"""
        UPDATE _stage s SET _reason = 'duplicate key (' || {key_text} || ')', _dup_of = d.first
        FROM (
            SELECT _ord, min(_ord) OVER (PARTITION BY {keys}) AS first
            FROM _stage WHERE _reason IS NULL
        ) d
        WHERE s._ord = d._ord AND d._ord <> d.first
        """
    )
    # The raw row is rendered only for refused rows: JSON for every row is costly.
    refused = con.execute(
        f"""
        SELECT s._ord, s._reason, to_json(r)::VARCHAR, s._dup_of
        FROM _stage s JOIN _raw r ON s._ord = {RAW_ORDINAL}
        WHERE s._reason IS NOT NULL ORDER BY s._ord
        """
    ).fetchall()
    rejects = con.execute("SELECT line, reason, raw FROM _rejects ORDER BY line").fetchall()
    n_parsed = int(con.execute("SELECT count(*) FROM _stage").fetchone()[0])  # type: ignore[index]
    report.rows_read = n_parsed + len(rejects)
    if not refused and not rejects:
        return
    rejected_records = [r for r, _, _ in rejects]
    ordinals = [o for o, *_ in refused] + [d for *_, d in refused if d is not None]
    records = _ordinals_to_records(ordinals, rejected_records, header_records)
    lines = _record_lines(csv_path, set(records.values()) | set(rejected_records))
    rows = [(ingest_id, source, location, lines[r], reason, raw) for r, reason, raw in rejects]
    for ordinal, reason, raw, dup_of in refused:
        if dup_of is not None:
            reason += f" first seen at line {lines[records[dup_of]]}"
        rows.append((ingest_id, source, location, lines[records[ordinal]], reason, raw))
    con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?)", rows)
    report.rows_quarantined = len(rows)
    for *_, reason, _raw in rows:
        kind = reason.split(":")[0].split(" (")[0]
        report.quarantine_reasons[kind] = report.quarantine_reasons.get(kind, 0) + 1


def _ordinals_to_records(
    ordinals: Sequence[int], rejected_records: Sequence[int], header: int
) -> dict[int, int]:
    """Map parsed-row ordinals (0-based) to CSV record numbers (header = record 1).

    The reader skips rejected records, so the k-th parsed row is the k-th record that
    was not rejected.
    """
    rejected = sorted(rejected_records)
    out: dict[int, int] = {}
    skipped = 0  # rejected records before the current one, counted once over the file
    for ordinal in sorted(set(ordinals)):
        record = ordinal + 1 + header + skipped
        while skipped < len(rejected) and rejected[skipped] <= record:
            skipped += 1
            record += 1
        out[ordinal] = record
    return out


def _record_lines(path: Path, records: set[int]) -> dict[int, int]:
    """Physical line on which each CSV record starts (quoted fields may span lines).

    Records past the end of what Python's reader sees keep their record number.
    """
    out = {r: r for r in records}
    last = max(records)
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        start = 1
        for number, _ in enumerate(reader, start=1):
            if number in records:
                out[number] = start
            if number >= last:
                break
            start = reader.line_num + 1
    return out


def _merge(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    ingest_id: int,
    delete_scope: Predicate | None,
    report: IngestReport,
) -> None:
    """Insert new rows, update changed ones, mark withdrawn ones; count each, and keep
    the stored version of every row updated or marked withdrawn."""
    table_cols = [r[0] for r in con.execute(f"DESCRIBE {target.table}").fetchall()]
    stage_cols = {r[0] for r in con.execute("DESCRIBE _stage").fetchall()}
    cols = [c for c in table_cols if c in stage_cols and c != "ingest_id"]
    values = [c for c in cols if c not in target.key]
    con.execute(
        f"CREATE TEMP VIEW _valid AS SELECT {', '.join(cols)} FROM _stage WHERE _reason IS NULL"
    )
    on = " AND ".join(
        f"t.{k} IS NOT DISTINCT FROM v.{k}" if k in target.nullable_key else f"t.{k} = v.{k}"
        for k in target.key
    )
    newer = (
        "AND version_key(v.source_version) >= version_key(t.source_version)"
        if target.versioned
        else ""
    )
    stored_values = ", ".join("t." + c for c in values)
    changed = f"({stored_values}) IS DISTINCT FROM ({', '.join('v.' + c for c in values)})"
    con.execute(
        "CREATE OR REPLACE TEMP MACRO version_key(v) AS "
        r"list_transform(regexp_extract_all(v, '\d+'), x -> x::BIGINT)"
    )
    # A first load of a source has nothing to update: skip the join.
    stored = con.execute(
        f"SELECT 1 FROM {target.table} WHERE source IN (SELECT source FROM _valid) LIMIT 1"
    ).fetchone()
    assignments = ", ".join(f"{c} = v.{c}" for c in values)
    unordered_writes(con)
    if stored is not None:
        replaced = f"true {newer} AND {changed}"
        keep_versions(con, target.table, f"JOIN _valid v ON {on}", replaced, [], ingest_id)
        report.rows_updated = _count(
            con,
            f"UPDATE {target.table} t SET {assignments}, ingest_id = ? "
            f"FROM _valid v WHERE {on} AND {replaced}",
            [ingest_id],
        )
    report.rows_inserted = _count(
        con,
        f"INSERT INTO {target.table} ({', '.join(cols)}, ingest_id) "
        f"SELECT {', '.join('v.' + c for c in cols)}, ? FROM _valid v "
        f"ANTI JOIN {target.table} t ON {on}",
        [ingest_id],
    )
    n_valid = int(con.execute("SELECT count(*) FROM _valid").fetchone()[0])  # type: ignore[index]
    report.rows_unchanged = n_valid - report.rows_inserted - report.rows_updated
    if delete_scope:
        scope, params = delete_scope
        withdrawn = (
            f"({scope}) AND NOT t.deleted AND NOT EXISTS (SELECT 1 FROM _valid v WHERE {on})"
        )
        keep_versions(con, target.table, "", withdrawn, params, ingest_id)
        report.rows_deleted = _count(
            con,
            f"UPDATE {target.table} t SET deleted = true, ingest_id = ? WHERE {withdrawn}",
            [ingest_id, *params],
        )


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _register_actors(con: duckdb.DuckDBPyConnection, ingest_id: int) -> None:
    """Record every side named in the ingested events, with when it was seen."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seen AS
        SELECT source, actor_id AS source_actor_id, arg_max(name, date_end) AS name,
               min(date_start) AS first_seen, max(date_end) AS last_seen
        FROM (
            SELECT source, coalesce(side_a_id, side_a) AS actor_id, side_a AS name,
                   date_start, date_end FROM _valid WHERE side_a IS NOT NULL
            UNION ALL
            SELECT source, coalesce(side_b_id, side_b), side_b, date_start, date_end
            FROM _valid WHERE side_b IS NOT NULL
        ) GROUP BY ALL
        """
    )
    con.execute(
        """
        UPDATE actors a SET name = s.name,
            first_seen = least(a.first_seen, s.first_seen),
            last_seen = greatest(a.last_seen, s.last_seen)
        FROM _seen s
        WHERE a.source = s.source AND a.source_actor_id = s.source_actor_id
          AND (a.name <> s.name OR s.first_seen < a.first_seen OR s.last_seen > a.last_seen)
        """
    )
    con.execute(
        """
        INSERT INTO actors SELECT s.*, ? FROM _seen s
        ANTI JOIN actors a ON a.source = s.source AND a.source_actor_id = s.source_actor_id
        """,
        [ingest_id],
    )
    con.execute("DROP TABLE _seen")


__all__ = [
    "DEPLOYMENTS",
    "DEPLOYMENT_FIELDS",
    "EVENTS",
    "RAW_ORDINAL",
    "IngestReport",
    "Predicate",
    "Stage",
    "Target",
    "count_check",
    "date_check",
    "first_record",
    "no_step",
    "raw_column",
    "read_csv_raw",
    "run_ingest",
    "sha256_of",
    "sql_literal",
    "stage_deployments",
    "unordered_writes",
]
