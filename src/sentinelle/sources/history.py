"""Row versions: what each ingest replaced, so that any ingest can be undone exactly.

Before an ingest updates or marks deleted a stored row of ``events``, ``deployments``
or ``admin_aggregates``, :func:`keep_versions` copies that row into ``<table>_history``
with the ingest that replaced it (``replaced_by``), in the ingest's own transaction. A
row the ingest inserted needs no copy: it is the live row carrying the ingest's id.

:func:`undo_ingest` then restores the store as it was before ingest N: it removes the
rows N wrote (inserted, updated or marked deleted: they carry ``ingest_id = N``) and
puts back the versions N replaced. It refuses when a later ingest replaced rows that
N wrote (their copy in history names N and a later ``replaced_by``): undoing N would
silently drop that later ingest's changes, so the later one must be undone first.
Ingests are thus undone in reverse order where they overlap, in any order otherwise.

The actor registry is derived from events and says who was ever seen: undoing an
ingest removes the actors it registered that no stored event names any more, and
leaves the seen-dates it widened.
"""

from __future__ import annotations

import duckdb

from sentinelle.errors import NoDataError, UsageError
from sentinelle.store.transaction import transaction

# Tables whose rows ingests write, keyed as the ingest merge keeps them.
TABLES = ("events", "deployments", "admin_aggregates")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Columns a table shares with its history (a later migration may add to either)."""
    live = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    kept = {r[0] for r in con.execute(f"DESCRIBE {table}_history").fetchall()}
    return ", ".join(c for c in live if c in kept)


def keep_versions(
    con: duckdb.DuckDBPyConnection,
    table: str,
    joins: str,
    where: str,
    params: list[object],
    ingest_id: int,
) -> None:
    """Copy the rows of ``table`` (aliased ``t``) that ingest ``ingest_id`` is about to
    replace: ``FROM {table} t {joins} WHERE {where}`` with ``params``."""
    cols = _columns(con, table)
    selected = ", ".join(f"t.{c}" for c in cols.split(", "))
    con.execute(
        f"INSERT INTO {table}_history ({cols}, replaced_by) "
        f"SELECT {selected}, ? FROM {table} t {joins} WHERE {where}",
        [ingest_id, *params],
    )


def undo_ingest(con: duckdb.DuckDBPyConnection, ingest_id: int) -> dict[str, int]:
    """Restore every row ingest ``ingest_id`` wrote to its state before; return, per
    table, how many rows it had written (each now removed or back to its old version).

    Raises :class:`~sentinelle.errors.NoDataError` for an ingest the store does not
    hold and :class:`~sentinelle.errors.UsageError` when it was undone already, wrote a
    panel rather than rows (views-cm), or a later ingest changed rows it wrote.
    """
    row = con.execute(
        "SELECT source, status FROM ingests WHERE ingest_id = ?", [ingest_id]
    ).fetchone()
    if row is None:
        raise NoDataError(f"no ingest {ingest_id} in the store: see `sentinelle status`")
    source, status = row
    if status != "ok":
        raise UsageError(f"ingest {ingest_id} ({source}) is {status} already")
    if source == "views-cm":
        raise UsageError(
            f"ingest {ingest_id} (views-cm) replaced the panel table panel_cm, not rows: "
            "ingest the views-cm folder you want instead"
        )
    later = sorted(
        {
            int(r[0])
            for table in TABLES
            for r in con.execute(
                f"SELECT DISTINCT replaced_by FROM {table}_history "
                "WHERE ingest_id = ? AND replaced_by > ?",
                [ingest_id, ingest_id],
            ).fetchall()
        }
    )
    if later:
        names = ", ".join(str(i) for i in later)
        raise UsageError(
            f"ingest {ingest_id} cannot be undone: later ingest(s) {names} changed rows it "
            f"wrote; undo those first (`sentinelle undo {later[-1]}`), newest first"
        )
    counts: dict[str, int] = {}
    with transaction(con):
        for table in TABLES:
            cols = _columns(con, table)
            # Every row the ingest wrote goes; those it replaced come back.
            removed = con.execute(f"DELETE FROM {table} WHERE ingest_id = ?", [ingest_id])
            counts[table] = int(removed.fetchone()[0])  # type: ignore[index]
            con.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table}_history "
                "WHERE replaced_by = ?",
                [ingest_id],
            )
            con.execute(f"DELETE FROM {table}_history WHERE replaced_by = ?", [ingest_id])
        con.execute(
            """
            DELETE FROM actors a WHERE a.ingest_id = ? AND NOT EXISTS (
                SELECT 1 FROM events e WHERE e.source = a.source
                AND a.source_actor_id IN (coalesce(e.side_a_id, e.side_a),
                                          coalesce(e.side_b_id, e.side_b)))
            """,
            [ingest_id],
        )
        con.execute("DELETE FROM quarantine WHERE ingest_id = ?", [ingest_id])
        con.execute("UPDATE ingests SET status = 'undone' WHERE ingest_id = ?", [ingest_id])
    return counts


__all__ = ["TABLES", "keep_versions", "undo_ingest"]
