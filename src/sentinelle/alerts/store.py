"""Alert records and tables: the ``alerts`` outbox and its ``alert_deliveries``.

A rule finds :class:`AlertCandidate` records; once recorded, a row of ``alerts`` is
read back as an :class:`Alert` (:meth:`Alert.from_row`), the one record the wording
and the delivery channels take.

Evaluation inserts each alert once: the key (rule, unit_type, unit_id, period) is
unique and a re-evaluation that finds the same alert inserts nothing (the first
recorded level and evidence are kept). Delivery reads the outbox (see
:mod:`~sentinelle.alerts.delivery`), so an alert whose delivery fails is still there
for the next run.

The tables are created by the store's migrations (``sentinelle.store.schema``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import duckdb

from sentinelle.store import records, transaction


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

    @property
    def key(self) -> str:
        """Stable idempotency key: ``rule/unit_type/unit_id/period`` (the table's unique key).

        Examples
        --------
        >>> AlertCandidate("new_area", "admin2", "MLI/Ségou/Niono", "2020-03", 1, 3.0, 1.0).key
        'new_area/admin2/MLI/Ségou/Niono/2020-03'
        """
        return "/".join((self.rule, self.unit_type, self.unit_id, self.period))


@dataclass(frozen=True, kw_only=True)
class Alert(AlertCandidate):
    """A recorded alert: a row of the ``alerts`` table.

    ``alert_id`` and ``created_at`` are ``None`` only for an alert described by hand
    (a text preview) rather than read from the store.
    """

    alert_id: int | None = None
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alert:
        """The alert of a row of ``alerts`` as a mapping (its ``evidence`` JSON decoded).

        Examples
        --------
        >>> row = {"alert_id": 7, "rule": "hdx_conflict", "unit_type": "country",
        ...        "unit_id": "MLI", "period": "2019-03", "level": 2, "value": 412.0,
        ...        "threshold": 300.0, "evidence": '{"floor": 100}', "created_at": None}
        >>> a = Alert.from_row(row)
        >>> a.alert_id, a.level, a.evidence
        (7, 2, {'floor': 100})
        """
        evidence = row.get("evidence")
        if isinstance(evidence, str):
            evidence = json.loads(evidence)
        values = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        return cls(
            **{
                **values,
                "level": int(row["level"]),
                "value": float(row["value"]),
                "threshold": float(row["threshold"]),
                "evidence": dict(evidence or {}),
            }
        )


def read_alerts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Alert]:
    """The rows of a query over ``alerts`` (``SELECT a.* ...``) as :class:`Alert` records."""
    return [Alert.from_row(row) for row in records(con.execute(sql, params))]


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
