"""Alert tables: the ``alerts`` outbox and its ``alert_deliveries``.

Evaluation inserts each alert once: the key (rule, unit_type, unit_id, period) is
unique and a re-evaluation that finds the same alert inserts nothing (the first
recorded level and evidence are kept). Delivery reads the outbox (see
:mod:`~sentinelle.alerts.delivery`), so an alert whose delivery fails is still there
for the next run.

The tables are created by the store's migrations (``sentinelle.store.schema``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from sentinelle.store import transaction


@dataclass(frozen=True)
class AlertCandidate:
    """An alert a rule found, before it is recorded."""

    rule: str
    unit_type: str
    unit_id: str
    period: str
    level: int
    value: float
    threshold: float
    evidence: dict[str, Any] = field(default_factory=dict)


def record_alerts(con: duckdb.DuckDBPyConnection, candidates: list[AlertCandidate]) -> int:
    """Insert alerts not yet recorded (one transaction); return how many were new.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store(":memory:")
    >>> a = AlertCandidate("hdx_conflict", "country", "MLI", "2019-03", 2, 250.0, 100.0)
    >>> record_alerts(con, [a]), record_alerts(con, [a])
    (1, 0)
    """
    if not candidates:
        return 0
    before = _count(con)
    with transaction(con):
        con.executemany(
            """
            INSERT INTO alerts (rule, unit_type, unit_id, period, level, value, threshold,
                                evidence)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """,
            [
                [c.rule, c.unit_type, c.unit_id, c.period, c.level, c.value, c.threshold,
                 json.dumps(c.evidence, default=str)]
                for c in candidates
            ],
        )  # fmt: skip
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM alerts").fetchone()
    return int(row[0]) if row else 0
