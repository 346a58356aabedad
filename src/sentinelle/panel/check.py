"""Panel QA: missing months, duplicate keys, negative counts, totals against ``events``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb

from sentinelle.panel.build import panel_table
from sentinelle.panel.definitions import KEYS, OUTCOMES, VIOLENCE
from sentinelle.panel.inputs import select_events
from sentinelle.store.panels import panel_record

# Columns that count things and so can never be negative.
_COUNT_COLUMN = re.compile(r"^(ged_|ev_|civ_deaths|pko_troops|pko_months)")
_NUMERIC = ("INTEGER", "BIGINT", "DOUBLE")
_EXAMPLES = 10


@dataclass
class TotalMismatch:
    """A month whose panel total of ``column`` differs from the events table's."""

    month_id: int
    column: str
    panel: int
    events: int


@dataclass
class PanelCheck:
    """Findings of :func:`check_panel`; ``ok`` when there are none."""

    table: str
    n_units: int
    first_month: int
    last_month: int
    n_rows: int
    missing_rows: int = 0
    missing_examples: list[tuple[int, int]] = field(default_factory=list)
    duplicate_keys: int = 0
    duplicate_examples: list[tuple[int, int]] = field(default_factory=list)
    negative_counts: dict[str, int] = field(default_factory=dict)
    totals_checked: bool = False
    total_mismatches: list[TotalMismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not (
            self.missing_rows
            or self.duplicate_keys
            or self.negative_counts
            or self.total_mismatches
        )


def check_panel(con: duckdb.DuckDBPyConnection, unit: str) -> PanelCheck:
    """Check the stored ``panel_<unit>`` for completeness and agreement with ``events``.

    Reports unit-months missing from the unit x month grid of the panel's span,
    duplicate ``(unit_id, month_id)`` keys, negative values in count columns, and, for
    panels built from events, months whose outcome totals differ from the events
    table's (events re-selected and placed with the panel's recorded source and units;
    a mismatch means the events changed since the build, or a bug).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    unit : str
        Panel unit (``'cm'``, ``'pgm'``, ``'admin1'``, ``'admin2'``).

    Returns
    -------
    PanelCheck

    Examples
    --------
    >>> report = check_panel(con, "pgm")                                     # doctest: +SKIP
    >>> report.ok, report.missing_rows, report.total_mismatches              # doctest: +SKIP
    (True, 0, [])
    """
    table = panel_table(unit)
    record = panel_record(con, table)
    span = con.execute(
        f"SELECT count(DISTINCT unit_id), min(month_id), max(month_id), count(*) FROM {table}"
    ).fetchone()
    assert span is not None
    first = int(record["first_month"]) if record else int(span[1])  # type: ignore[call-overload]
    last = int(record["last_month"]) if record else int(span[2])  # type: ignore[call-overload]
    report = PanelCheck(table, int(span[0]), first, last, int(span[3]))
    if record is None:
        report.notes.append(f"{table} has no row in panels: span taken from the table")

    grid = (
        f"(SELECT u.unit_id, m.range AS month_id FROM (SELECT DISTINCT unit_id FROM {table}) u "
        f"CROSS JOIN range({first}, {last + 1}) m)"
    )
    missing = con.execute(
        f"SELECT unit_id, month_id FROM {grid} g ANTI JOIN {table} p USING (unit_id, month_id) "
        "ORDER BY ALL"
    ).fetchall()
    report.missing_rows = len(missing)
    report.missing_examples = [(int(u), int(m)) for u, m in missing[:_EXAMPLES]]

    duplicates = con.execute(
        f"SELECT unit_id, month_id FROM {table} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL"
    ).fetchall()
    report.duplicate_keys = len(duplicates)
    report.duplicate_examples = [(int(u), int(m)) for u, m in duplicates[:_EXAMPLES]]

    columns = [
        name
        for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()
        if name not in KEYS and _COUNT_COLUMN.match(name) and kind in _NUMERIC
    ]
    if columns:
        counts = con.execute(
            f"SELECT {', '.join(f'count(*) FILTER ({c} < 0)' for c in columns)} FROM {table}"
        ).fetchone()
        assert counts is not None
        report.negative_counts = {c: int(n) for c, n in zip(columns, counts, strict=True) if n}

    if record is None or record["source"] not in ("ged", "acled"):
        report.notes.append("totals not checked: the panel was not built from the events table")
        return report
    _check_totals(con, report, record)
    return report


def _check_totals(
    con: duckdb.DuckDBPyConnection, report: PanelCheck, record: dict[str, object]
) -> None:
    """Compare monthly outcome totals of the panel with the events table's."""
    params = json.loads(str(record["params"]))
    select_events(
        con,
        unit=str(record["unit"]),
        source=str(record["source"]),
        last_month=report.last_month,
        boundaries=params.get("boundaries"),
    )
    sums = [
        *(
            f"sum(CASE WHEN violence_type = '{t}' THEN best ELSE 0 END) AS ged_{v}"
            for v, t in VIOLENCE.items()
        ),
        "sum(civ) AS civ_deaths",
        *(f"count(*) FILTER (violence_type = '{t}') AS ev_{v}" for v, t in VIOLENCE.items()),
    ]
    try:
        rows = con.execute(
            f"""
            WITH ev AS (
                SELECT month_id, {", ".join(sums)} FROM _sel
                WHERE month_id BETWEEN {report.first_month} AND {report.last_month}
                  AND unit_id IN (SELECT DISTINCT unit_id FROM {report.table})
                GROUP BY month_id
            ), pa AS (
                SELECT month_id, {", ".join(f"sum({c}) AS {c}" for c in OUTCOMES)}
                FROM {report.table} GROUP BY month_id
            )
            SELECT pa.month_id, {", ".join(f"pa.{c}, coalesce(ev.{c}, 0)" for c in OUTCOMES)}
            FROM pa LEFT JOIN ev USING (month_id) ORDER BY pa.month_id
            """
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _sel")
    report.totals_checked = True
    for row in rows:
        for i, column in enumerate(OUTCOMES):
            panel, events = int(row[1 + 2 * i]), int(row[2 + 2 * i])
            if panel != events:
                report.total_mismatches.append(TotalMismatch(int(row[0]), column, panel, events))
