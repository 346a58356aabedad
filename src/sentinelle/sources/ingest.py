"""The ingest engine every source adapter runs through.

An adapter only knows its publisher's layout: it reads a file into a staging table
``_stage`` whose columns are the target table's (``events`` or ``deployments``) plus
``_ord`` (the row's position among the rows the CSV reader could parse, see
``RAW_ORDINAL``) and ``_reason`` (why the row cannot be accepted, NULL if it can).
This module does the rest, identically for every source:

* one transaction per ingest: the provenance row, the quarantine, the merge and the
  actor registry commit together or not at all (an exception or Ctrl-C rolls back);
* idempotence: a file whose checksum was already ingested for the source is skipped,
  and re-merging identical rows changes nothing;
* supersession: a row replaces the stored row with the same key only when its
  ``source_version`` is the same or newer (release '24.1' beats '23.1', an ACLED row
  revised later beats the earlier revision), and the provenance of both is kept in
  ``ingests``;
* withdrawn rows: an adapter may name the scope a file is authoritative for (ACLED
  exports of a country and period); stored rows in that scope missing from the file
  are marked ``deleted`` rather than removed;
* quarantine: rows the reader cannot parse and rows the adapter rejects go to the
  ``quarantine`` table with the file's line number and the reason; repeated ids keep
  their first occurrence and quarantine the others.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from sentinelle.errors import IngestError, SchemaError, SourceFileError
from sentinelle.steps import Step, no_step
from sentinelle.store.transaction import transaction


@dataclass(frozen=True)
class Target:
    """A table that ingests merge into."""

    table: str
    key: tuple[str, ...]
    # Rows carrying an older version than the stored row never overwrite it.
    versioned: bool


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


@contextmanager
def unpacked_csv(path: Path) -> Iterator[Path]:
    """Yield a readable CSV path: the file itself, or the one CSV inside a zip."""
    if not zipfile.is_zipfile(path):
        yield path
        return
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
        if len(members) != 1:
            raise SourceFileError(
                f"{path}: expected exactly one .csv in the archive, found {members or 'none'}"
            )
        with tempfile.TemporaryDirectory(prefix="sentinelle-") as tmp:
            target = Path(tmp) / Path(members[0]).name
            with archive.open(members[0]) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            yield target


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
    options: dict[str, object] = {
        "all_varchar": True,
        "header": names is None,
        "store_rejects": True,
        "rejects_table": "_reject_errors",
        "rejects_scan": "_reject_scans",
        "strict_mode": True,
        "parallel": True,
    }
    if names is not None:
        options["names"] = list(names)
    column_types = {c: t for c, t in (types or {}).items() if c in header}
    if column_types:
        options["types"] = column_types
    opts = ", ".join(f"{k} := {sql_literal(v)}" for k, v in options.items())
    con.execute("DROP TABLE IF EXISTS _raw")
    try:
        con.execute(
            f"CREATE TEMP TABLE _raw AS SELECT * FROM read_csv({sql_literal(str(path))}, {opts})"
        )
    except duckdb.Error as exc:
        raise SourceFileError(f"{path}: cannot be read as CSV: {exc}") from exc
    con.execute(
        """
        INSERT INTO _rejects
        SELECT DISTINCT ON (line) line, error_type || ': ' || error_message, csv_line
        FROM _reject_errors ORDER BY line
        """
    )


def sql_literal(value: object) -> str:
    """A Python value (text, bool, list, dict) as a DuckDB SQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in value.items()) + "}"
        )
    return "'" + str(value).replace("'", "''") + "'"


# Fills ``_stage`` from a CSV path; returns how many header records precede the data.
# A row's position in ``_raw`` (aliased ``r``): rowids of a table made inside a
# transaction are offset, so count from the first.
RAW_ORDINAL = "(r.rowid - (SELECT min(rowid) FROM _raw))"

# One quarantine rule for every event source: a point must be on the globe.
COORDINATES_CHECK = """
                WHEN latitude IS NULL OR longitude IS NULL OR latitude NOT BETWEEN -90 AND 90
                     OR longitude NOT BETWEEN -180 AND 180
                    THEN 'coordinates out of range: ' || coalesce(latitude::VARCHAR, 'empty')
                         || ', ' || coalesce(longitude::VARCHAR, 'empty')"""


Stage = Callable[[duckdb.DuckDBPyConnection, Path], int]


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    version: str | None,
    path: Path,
    stage: Stage,
    target: Target,
    location: str | None = None,
    delete_scope: str | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest ``path`` in one transaction; see the module docstring for the rules.

    ``stage`` fills ``_stage`` (and may add to ``_rejects``) and returns the number
    of header records before the data; ``delete_scope`` is a SQL
    predicate over the target table aliased ``t`` naming the rows this file is
    authoritative for. ``location`` is what provenance records (a URL for downloads).
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
    if previous:
        report.ingest_id, report.skipped = int(previous[0]), True
        return report

    started = datetime.now()
    try:
        with transaction(con):
            ingest_id = int(con.execute("SELECT nextval('ingest_id_seq')").fetchone()[0])  # type: ignore[index]
            report.ingest_id = ingest_id
            con.execute("DROP TABLE IF EXISTS _rejects")
            con.execute("CREATE TEMP TABLE _rejects (line BIGINT, reason VARCHAR, raw VARCHAR)")
            step(f"read {path.name}")
            with unpacked_csv(path) as csv_path:
                header_records = stage(con, csv_path)
                step("validate")
                _quarantine(
                    con, target, ingest_id, source, location, csv_path, header_records, report
                )
            step("merge")
            _merge(con, target, ingest_id, delete_scope, report)
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
    except Exception as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(f"{path}: ingest of {source} abandoned, store unchanged: {exc}") from exc
    finally:
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
    key_text = " || '/' || ".join(f"s.{k}::VARCHAR" for k in target.key)
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
    for ordinal in sorted(set(ordinals)):
        record = ordinal + 1 + header
        for r in rejected:
            if r <= record:
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
    delete_scope: str | None,
    report: IngestReport,
) -> None:
    """Insert new rows, update changed ones, mark withdrawn ones; count each."""
    table_cols = [r[0] for r in con.execute(f"DESCRIBE {target.table}").fetchall()]
    stage_cols = {r[0] for r in con.execute("DESCRIBE _stage").fetchall()}
    cols = [c for c in table_cols if c in stage_cols and c != "ingest_id"]
    values = [c for c in cols if c not in target.key]
    con.execute(
        f"CREATE TEMP VIEW _valid AS SELECT {', '.join(cols)} FROM _stage WHERE _reason IS NULL"
    )
    on = " AND ".join(f"t.{k} = v.{k}" for k in target.key)
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
    report.rows_updated = (
        0
        if stored is None
        else _count(
            con,
            f"UPDATE {target.table} t SET {assignments}, ingest_id = ? "
            f"FROM _valid v WHERE {on} {newer} AND {changed}",
            [ingest_id],
        )
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
        report.rows_deleted = _count(
            con,
            f"UPDATE {target.table} t SET deleted = true, ingest_id = ? "
            f"WHERE ({delete_scope}) AND NOT t.deleted "
            f"AND NOT EXISTS (SELECT 1 FROM _valid v WHERE {on})",
            [ingest_id],
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
    "EVENTS",
    "RAW_ORDINAL",
    "IngestReport",
    "Stage",
    "Target",
    "first_record",
    "no_step",
    "read_csv_raw",
    "run_ingest",
    "sha256_of",
    "sql_literal",
]
