"""Withdrawal-impact results kept in the store, for briefings and the dashboard.

``store_impact`` writes one :class:`~sentinelle.impact.results.ImpactResult`'s effects
table and event study under a new run id (one transaction); a later analysis of the
same mission and outcome does not erase earlier ones, so a changed estimate stays
traceable. ``latest_impact`` reads back the newest run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from sentinelle.impact.bases import BASE_COLUMNS
from sentinelle.impact.results import (
    EFFECT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    ImpactResult,
    StoredImpact,
)
from sentinelle.store import records, transaction

if TYPE_CHECKING:
    from sentinelle.impact.staggered import StaggeredResult

__all__ = ["latest_impact", "store_impact", "store_staggered"]

# The per-run columns of ImpactResult.effects live once in impact_runs.
_EFFECT_ROW_COLUMNS = [c for c in EFFECT_COLUMNS if c not in ("mission", "outcome")]


def store_impact(con: duckdb.DuckDBPyConnection, result: ImpactResult) -> int:
    """Write ``result`` under a new run id and return it."""
    effects = result.effects.reindex(columns=_EFFECT_ROW_COLUMNS)
    event_study = result.event_study.reindex(columns=EVENT_STUDY_COLUMNS)
    with transaction(con):
        row = con.execute(
            "INSERT INTO impact_runs (mission, outcome, unit, radii_km, first_month, "
            "last_month, event_source, notes, runtime_s, ring_labels, country) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
            [
                result.mission,
                result.outcome,
                result.unit,
                [float(r) for r in result.radii_km],
                result.months.start,
                result.months.stop - 1,
                result.event_source,
                list(result.notes),
                float(result.runtime_s),
                list(result.labels),
                result.country,
            ],
        ).fetchone()
        assert row is not None  # RETURNING always yields the inserted row
        run_id = int(row[0])
        bases = result.bases.reindex(columns=BASE_COLUMNS)
        for table, frame in (
            ("impact_effects", effects),
            ("impact_event_study", event_study),
            ("impact_bases", bases),
        ):
            con.register("_impact_rows", frame)
            con.execute(f"INSERT INTO {table} SELECT ?, * FROM _impact_rows", [run_id])
            con.unregister("_impact_rows")
    return run_id


def latest_impact(
    con: duckdb.DuckDBPyConnection,
    mission: str | None = None,
    outcome: str | None = None,
    unit: str | None = None,
) -> StoredImpact | None:
    """The newest stored run, of ``mission`` (and ``outcome``, ``unit``) when given; None
    if none.

    A cross-mission run (:func:`~sentinelle.impact.staggered.run_staggered`, stored
    with :func:`store_staggered`) is found under each mission estimated and under its
    pooled label (``'ALL:africa'``).
    """
    found = records(
        con.execute(
            "SELECT * FROM impact_runs WHERE (? IS NULL OR upper(mission) = upper(?)) "
            "AND (? IS NULL OR outcome = ?) AND (? IS NULL OR unit = ?) "
            "ORDER BY created_at DESC, run_id DESC LIMIT 1",
            [mission, mission, outcome, outcome, unit, unit],
        )
    )
    if not found:
        return None
    run = found[0]
    effects = con.execute(
        f"SELECT {', '.join(_EFFECT_ROW_COLUMNS)} FROM impact_effects WHERE run_id = ? "
        "ORDER BY estimator, ring",
        [run["run_id"]],
    ).df()
    event_study = con.execute(
        f"SELECT {', '.join(EVENT_STUDY_COLUMNS)} FROM impact_event_study WHERE run_id = ? "
        "ORDER BY estimator, ring, rel_month",
        [run["run_id"]],
    ).df()
    bases = con.execute(
        f"SELECT {', '.join(BASE_COLUMNS)} FROM impact_bases WHERE run_id = ? "
        "ORDER BY closure_date, base",
        [run["run_id"]],
    ).df()
    return StoredImpact(run=run, effects=effects, event_study=event_study, bases=bases)


def store_staggered(con: duckdb.DuckDBPyConnection, result: StaggeredResult) -> dict[str, int]:
    """Store a cross-mission run: one run per mission label and outcome.

    Returns the run id of each mission label's main outcome (stored last, so that
    :func:`latest_impact` of the mission reads it).
    """
    ids: dict[str, int] = {}
    for part in result.impact_results():
        ids[part.mission] = store_impact(con, part)
    return ids
