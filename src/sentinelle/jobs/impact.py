"""Withdrawal-impact jobs: estimate one mission's base closures, or compare several.

``run_impact`` here is the whole job (estimate, store, write the report); the estimate
alone is :func:`sentinelle.impact.run_impact`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from sentinelle import impact
from sentinelle.errors import ImpactError, NoDataError, UsageError
from sentinelle.geo import read_admin
from sentinelle.steps import Step, no_step
from sentinelle.tables import write_csv


@dataclass(frozen=True)
class ImpactRun:
    """An impact estimate, its store run id and the report files written."""

    result: impact.ImpactResult
    run_id: int
    files: dict[str, Path]


def run_impact(
    con: duckdb.DuckDBPyConnection,
    mission: str,
    out: Path,
    *,
    outcome: str | None = None,
    radii_km: Sequence[float] = (25.0, 50.0, 100.0),
    unit: str = "pgm",
    admin_file: Path | None = None,
    event_source: str | None = None,
    min_precision: str = "month",
    country: str | None = None,
    outline: Path | None = None,
    step: Step = no_step,
) -> ImpactRun:
    """Estimate what ``mission``'s base closures did nearby; store it; write the report.

    The report goes to ``out/<mission in lower case>``; ``admin_file`` holds the
    admin-2 boundaries ``unit='admin2'`` needs (with P-codes for an aggregate source
    such as ``acled-hdx``); ``outline`` draws country outlines on the maps. Closures
    dated less precisely than ``min_precision`` are left out of a monthly design.

    Examples
    --------
    >>> run_impact(con, "MINUSMA", Path("out/impact"), unit="admin2",
    ...            admin_file=Path("mli_adm2.geojson"), event_source="acled-hdx")  # doctest: +SKIP
    """
    if unit == "admin2" and admin_file is None:
        raise UsageError(
            "an admin2 analysis needs the units' boundaries (--admin-file): e.g. OCHA's "
            "admin-2 polygons with P-codes (mli_adm2_cercles_ocha_pcodes.geojson)"
        )
    step(f"{mission}: estimating")
    result = impact.run_impact(
        con, mission, outcome=outcome, radii_km=radii_km, unit=unit,
        admin_units=read_admin(admin_file, 2) if admin_file else None,
        event_source=event_source, min_precision=min_precision, country=country,
    )  # fmt: skip
    step("writing the report")
    run_id = impact.store_impact(con, result)
    files = impact.write_report(result, out / mission.lower(), outline=outline)
    return ImpactRun(result, run_id, files)


@dataclass(frozen=True)
class ImpactComparison:
    """Missions side by side (``table``, written to ``path``); missions that could not
    be estimated are in ``skipped`` with the reason."""

    table: pd.DataFrame
    path: Path
    skipped: dict[str, str] = field(default_factory=dict)


def run_impact_compare(
    con: duckdb.DuckDBPyConnection,
    missions: Sequence[str],
    out: Path,
    *,
    outcome: str | None = None,
    event_source: str | None = None,
    step: Step = no_step,
) -> ImpactComparison:
    """Run the same impact analysis for each of ``missions``; write ``out/compare.csv``."""
    results = []
    skipped = {}
    for mission in missions:
        step(mission)
        try:
            results.append(
                impact.run_impact(con, mission, outcome=outcome, event_source=event_source)
            )
        except (ImpactError, NoDataError) as exc:  # one mission's gap does not stop the rest
            skipped[mission] = str(exc)
    table = impact.compare_missions(results) if results else pd.DataFrame()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.csv"
    write_csv(table, path)
    return ImpactComparison(table, path, skipped)
