"""Panel jobs: build a unit-month panel (and export it), check it, export it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sentinelle.panel import PanelCheck, PanelReport, build_panel, check_panel, export_panel
from sentinelle.steps import Step, no_step


@dataclass(frozen=True)
class PanelBuild:
    """A panel built, and the Parquet file it was exported to when one was asked for."""

    report: PanelReport
    parquet: Path | None = None


def run_panel_build(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    start: str,
    end: str,
    *,
    countries: Sequence[str] | None = None,
    source: str = "ged",
    cells: Path | None = None,
    boundaries: Path | None = None,
    engine: str = "duckdb",
    parquet: Path | None = None,
    step: Step = no_step,
) -> PanelBuild:
    """Build the ``unit`` panel from ``start`` to ``end`` (``YYYY-MM``), store it, export it.

    Examples
    --------
    >>> run_panel_build(con, "cm", "2018-01", "2023-12").report.n_rows  # doctest: +SKIP
    """
    report = build_panel(
        con, unit, start, end, countries=countries, source=source, cells=cells,
        boundaries=boundaries, engine=engine, step=step,
    )  # fmt: skip
    return PanelBuild(report, export_panel(con, unit, parquet) if parquet else None)


def run_panel_check(con: duckdb.DuckDBPyConnection, unit: str) -> PanelCheck:
    """Check the stored ``unit`` panel (missing months, duplicates, totals against events)."""
    return check_panel(con, unit)


def run_panel_export(con: duckdb.DuckDBPyConnection, unit: str, path: Path) -> Path:
    """Write the stored ``unit`` panel to the Parquet file ``path``; return it."""
    return export_panel(con, unit, path)
