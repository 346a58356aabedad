"""Withdrawal-impact jobs: one mission's base closures, or entries and exits across missions.

``run_impact`` here is the whole job (estimate, store, write the report); the estimate
alone is :func:`sentinelle.impact.run_impact`. ``run_impact_staggered`` runs the
cross-mission design (:func:`sentinelle.impact.staggered.run_staggered`: pooled and
per mission), stores it and writes the comparison; ``run_impact_compare`` is the same
for a list of missions, without storing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from sentinelle import impact
from sentinelle.errors import UsageError
from sentinelle.geo import read_admin
from sentinelle.impact.staggered import (
    DEFAULT_ENGINE,
    EVENTS,
    MIN_TREATED,
    RINGS,
    StaggeredResult,
    run_staggered,
)
from sentinelle.impact.staggered_report import write_comparison
from sentinelle.impact.store import store_staggered
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
class StaggeredRun:
    """A cross-mission estimate, the store run id of each mission label, the files."""

    result: StaggeredResult
    run_ids: dict[str, int]
    files: dict[str, Path]


def run_impact_staggered(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    missions: Sequence[str] | None = None,
    region: str = "africa",
    years: tuple[int, int] | None = None,
    events: Sequence[str] = EVENTS,
    event_source: str | None = None,
    outcomes: Sequence[str] | None = None,
    min_treated: int = MIN_TREATED,
    store: bool = True,
    engine: str = DEFAULT_ENGINE,
    step: Step = no_step,
) -> StaggeredRun:
    """Entries and exits of ``missions`` (all of ``region`` if None): estimate, store, write.

    The files go to ``out/<label in lower case>`` (``out/all-africa``); the pooled run
    is stored as ``'ALL:<region>'`` and each mission estimated under its name.
    ``engine`` builds the cells x periods panel: ``'duckdb'`` (numpy, the default) or
    ``'spark'`` (identical matrices; an unknown name is a ``UsageError``).

    Examples
    --------
    >>> run_impact_staggered(con, Path("out/impact"), years=(2000, 2017),
    ...                      event_source="ged_extract")  # doctest: +SKIP
    """
    step("building the cells x periods design and estimating")
    result = run_staggered(
        con, missions=missions, region=region, years=years, events=events,
        event_source=event_source, outcomes=outcomes, min_treated=min_treated, engine=engine,
    )  # fmt: skip
    step("writing the comparison")
    run_ids = store_staggered(con, result) if store else {}
    folder = out / result.label.lower().replace(":", "-").replace("+", "-")
    return StaggeredRun(result, run_ids, write_comparison(result, folder))


@dataclass(frozen=True)
class ImpactComparison:
    """Missions side by side (``table``, written to ``path``); missions that could not
    be estimated are in ``skipped`` with the reason; ``files`` the table in EN and FR
    (CSV, XLSX), the forest plots and caveats."""

    table: pd.DataFrame
    path: Path
    skipped: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    result: StaggeredResult | None = None


def run_impact_compare(
    con: duckdb.DuckDBPyConnection,
    missions: Sequence[str],
    out: Path,
    *,
    outcome: str | None = None,
    event_source: str | None = None,
    years: tuple[int, int] | None = None,
    events: Sequence[str] = EVENTS,
    min_treated: int = MIN_TREATED,
    engine: str = DEFAULT_ENGINE,
    step: Step = no_step,
) -> ImpactComparison:
    """Entries and exits of ``missions`` side by side: pooled over them and per mission.

    Runs the cross-mission design on the missions listed (every year the events and
    deployments share unless ``years``), writes ``out/compare.csv`` (English),
    ``compare_fr.csv``, ``compare.xlsx``, ``forest_en.png``/``forest_fr.png`` and the
    caveats, and stores nothing. A mission with no estimate is in ``skipped`` with
    why (no deployments, too few treated cells, no comparison cell). ``engine`` as for
    :func:`run_impact_staggered`.
    """
    if not missions:
        raise UsageError("name the missions to compare, e.g. MINUSMA,UNAMID,MONUSCO")
    step(", ".join(missions))
    result = run_staggered(
        con, missions=list(missions), years=years, events=events, event_source=event_source,
        outcomes=[outcome] if outcome else None, min_treated=min_treated, engine=engine,
    )  # fmt: skip
    files = write_comparison(result, out)
    path = write_csv(result.effects, out / "compare.csv")
    estimated = set(result.effects["mission"])
    skipped: dict[str, str] = {}
    for row in result.skipped.itertuples(index=False):
        mission = str(row.mission)
        if mission in estimated:
            continue
        ring = int(str(row.ring))
        where = f"{row.event} {RINGS[ring]}: " if 0 <= ring < len(RINGS) else ""
        reason = f"{where}{row.reason}"
        skipped[mission] = f"{skipped[mission]}; {reason}" if mission in skipped else reason
    return ImpactComparison(result.effects, path, skipped, files, result)
