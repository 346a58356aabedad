"""The main job: from the data at hand to every output, in one run.

:func:`run_main_job` ingests what is available locally (the project's real-data
folder, ``../shared/data`` by default) or, when that folder is absent, fetches from the
publishers; then builds the panels, runs the forecast, the withdrawal-impact analysis,
the actor and situation pictures, the alert rules and the Mali briefing (English and
French, HTML and PDF), writing everything under one output folder. It only sequences
the jobs of this package, the ones the CLI commands call. A stage is skipped, with
the reason recorded, only when the store lacks its data
(:class:`~sentinelle.errors.NoDataError`); any other error stops the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import NoDataError, PanelError
from sentinelle.geo.months import month_string
from sentinelle.jobs.actors import run_situation
from sentinelle.jobs.alerts import run_alerts
from sentinelle.jobs.brief import run_brief
from sentinelle.jobs.forecast import run_forecast
from sentinelle.jobs.impact import run_impact
from sentinelle.jobs.ingest import run_fetch, run_ingest
from sentinelle.jobs.panel import run_panel_build, run_panel_check, run_panel_export
from sentinelle.panel import panel_exists
from sentinelle.sources import FetchRequest, IngestReport
from sentinelle.steps import Step, no_step
from sentinelle.store.aggregates import aggregate_coverage
from sentinelle.store.currency import data_currency, last_month
from sentinelle.store.queries import has_events

# What the demo ingests from the real-data folder, in order: (source, relative path).
# ACLED's HDX copies cover Mali, Burkina Faso and Niger; the Mali export repeats Mali.
LOCAL_INPUTS: tuple[tuple[str, str], ...] = (
    ("ged", "ged/GEDEvent_v23_1_ETH.csv"),
    ("acled", "acled/acled_hdx_mli_1997-2020.csv"),
    ("acled", "acled/acled_hdx_bfa_1997-2020.csv"),
    ("acled", "acled/acled_hdx_ner_1997-2020.csv"),
    ("geopko", "geopko/FrontMap_v2.3.csv"),
    ("views-cm", "views-cm"),
    # ACLED's subnational monthly aggregates on HDX: the withdrawal window to 2024.
    ("acled-hdx", "acled-hdx/mali_acled_political_violence_admin2_month_1997-2024.xlsx"),
    (
        "acled-hdx",
        "acled-hdx/burkina-faso_hrp_political_violence_events_and_fatalities_by_month-year"
        "_as-of-03apr2025.xlsx",
    ),
    (
        "acled-hdx",
        "acled-hdx/burkina-faso_hrp_civilian_targeting_events_and_fatalities_by_month-year"
        "_as-of-03apr2025.xlsx",
    ),
)

SAHEL = ("MLI", "BFA", "NER")
GED_RELEASE = "25.1"  # the yearly release fetched when no local data is given
COUNTRY_SHAPES = "admin/naturalearth_10m_africa_admin0.geojson"
# Mali's cercles with the OCHA P-codes ACLED's HDX aggregates use.
MALI_CERCLES = "admin/mli_adm2_cercles_ocha_pcodes.geojson"


@dataclass(frozen=True)
class JobReport:
    """What the main job did: ingests, files written by stage, stages skipped with why."""

    ingests: list[IngestReport] = field(default_factory=list)
    outputs: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def ingest_local(
    con: duckdb.DuckDBPyConnection, data_dir: Path, settings: Settings, step: Step = no_step
) -> list[IngestReport]:
    """Ingest every file of :data:`LOCAL_INPUTS` present under ``data_dir``."""
    reports = []
    for source, relative in LOCAL_INPUTS:
        path = data_dir / relative
        if path.exists():
            step(f"ingest {relative}")
            reports.append(run_ingest(con, source, path, settings=settings, step=step))
    return reports


def fetch_inputs(
    con: duckdb.DuckDBPyConnection, settings: Settings, step: Step = no_step
) -> list[IngestReport]:
    """Download what the publishers serve (GED release; ACLED for the Sahel with credentials).

    Offline this fails at once with :class:`~sentinelle.errors.OfflineError`, whose
    message says how to pass local files instead. Geo-PKO and the VIEWS files have no
    download here: ingest local copies (`sentinelle ingest geopko FILE`).
    """
    step(f"fetch UCDP GED {GED_RELEASE}")
    ged = FetchRequest(version=GED_RELEASE)
    reports = [run_fetch(con, "ged", ged, settings=settings, step=step)]
    if settings.acled_username and settings.acled_password:
        step("fetch ACLED Mali, Burkina Faso, Niger")
        sahel = FetchRequest(
            countries=("Mali", "Burkina Faso", "Niger"), start=date(2012, 1, 1), end=date.today()
        )
        reports.append(run_fetch(con, "acled", sahel, settings=settings, step=step))
    return reports


def run_main_job(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path | None,
    out_dir: Path,
    *,
    settings: Settings | None = None,
    step: Step = no_step,
) -> JobReport:
    """Ingest, build panels, forecast, estimate impact, picture actors, raise alerts, brief.

    ``data_dir`` holds local copies of the publishers' files (:data:`LOCAL_INPUTS`);
    when it is None or absent, :func:`fetch_inputs` downloads instead.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> run_main_job(open_store("sentinelle.duckdb"), Path("../shared/data"),
    ...              Path("out"))                                     # doctest: +SKIP
    """
    config = settings or Settings()
    if data_dir is not None and data_dir.exists():
        ingests = ingest_local(con, data_dir, config, step)
        # Maps use the finer Natural Earth shapes when the data folder has them.
        shapes = data_dir / COUNTRY_SHAPES
        outline = shapes if shapes.exists() else None
    else:
        ingests = fetch_inputs(con, config, step)
        outline = None
    report = JobReport(ingests=ingests)
    stages: list[tuple[str, Callable[[], list[Path]]]] = [
        ("panel", lambda: _panels(con, out_dir, data_dir, step)),
        ("forecast", lambda: _forecast(con, out_dir, step)),
        ("impact", lambda: _impact(con, out_dir, data_dir, outline, step)),
        ("actors", lambda: _actors(con, out_dir, outline, step)),
        (
            "alerts",
            lambda: run_alerts(con, source="acled", csv=out_dir / "alerts.csv", step=step).files,
        ),
        ("brief", lambda: _brief(con, out_dir, outline, step)),
    ]
    for name, stage in stages:
        try:
            report.outputs[name] = stage()
        except NoDataError as exc:
            report.skipped[name] = str(exc)
    return report


def _panels(
    con: duckdb.DuckDBPyConnection, out_dir: Path, data_dir: Path | None, step: Step
) -> list[Path]:
    """The Sahel's PRIO-GRID panel from ACLED events, and Mali's cercle panel from ACLED's
    HDX aggregates (the briefing's hotspots are forecast on it) where they are stored."""
    written = []
    cercles = data_dir / MALI_CERCLES if data_dir is not None else None
    coverage = aggregate_coverage(con, source="acled-hdx", iso3="MLI", level=2)
    if cercles is not None and cercles.exists() and not coverage.empty:
        first = month_string(int(coverage["first_month"].min()))
        last = month_string(int(coverage["last_month"].max()))
        step("panel admin2 (Mali's cercles, ACLED on HDX)")
        run_panel_build(
            con, "admin2", first, last, countries=["MLI"], source="acled-hdx", boundaries=cercles
        )
        written.append(
            run_panel_export(con, "admin2", out_dir / "panels" / "panel_admin2_mli.parquet")
        )
    if has_events(con, "acled"):
        step("panel pgm (Mali, Burkina Faso, Niger)")
        built = run_panel_build(con, "pgm", "2012-01", "2020-06", countries=SAHEL, source="acled")
        found = run_panel_check(con, "pgm")
        if not found.ok:
            raise PanelError(f"panel check failed on {built.report.table}: {found}")
        written.append(run_panel_export(con, "pgm", out_dir / "panels" / "panel_pgm_sahel.parquet"))
    if not written:
        raise NoDataError(
            "no ACLED events for the Sahel cells and no ACLED (HDX) aggregates for Mali's "
            "cercles: no panel to build"
        )
    return written


def _forecast(con: duckdb.DuckDBPyConnection, out_dir: Path, step: Step) -> list[Path]:
    """Forecast the next 12 months for every country, the Sahel's cells and Mali's cercles.

    Countries use the VIEWS cm panel; cells the ACLED pgm panel and cercles the ACLED
    (HDX) admin2 panel built by ``_panels`` (a missing panel skips its forecast). Draws
    go to the store, where briefings, alerts and the dashboard read them, and to
    challenge-layout files (cercles also to CSV and XLSX).
    """
    written = []
    for unit in ("cm", "pgm"):
        if panel_exists(con, unit):
            step(f"forecast {unit}")
            path = out_dir / "forecast" / f"{unit}_forecast.parquet"
            written.append(run_forecast(con, None, path, unit=unit, step=step).path)
    if panel_exists(con, "admin2"):
        step("forecast admin2 (Mali's cercles)")
        path = out_dir / "forecast" / "admin2_mli_forecast.parquet"
        run = run_forecast(
            con, None, path, unit="admin2", source="acled-hdx", country="MLI", step=step
        )
        written.append(run.path)
    if not written:
        raise NoDataError("no cm, pgm or admin2 panel to forecast from")
    return written


def _impact(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    data_dir: Path | None,
    outline: Path | None,
    step: Step,
) -> list[Path]:
    """MINUSMA's 2023 closures on Mali's cercles, from ACLED's HDX aggregates."""
    cercles = data_dir / MALI_CERCLES if data_dir is not None else None
    if aggregate_coverage(con, source="acled-hdx", iso3="MLI").empty:
        raise NoDataError(
            "no ACLED (HDX) aggregates for Mali: the 2023 closures need data to 2024 "
            "(sentinelle ingest acled-hdx FILE)"
        )
    if cercles is None or not cercles.exists():
        raise NoDataError(f"no cercle boundaries with P-codes ({MALI_CERCLES}) for the impact")
    step("impact MINUSMA 2023 closures (ACLED on HDX, cercles)")
    run = run_impact(
        con, "MINUSMA", out_dir / "impact", unit="admin2", admin_file=cercles,
        event_source="acled-hdx", outline=outline, step=step,
    )  # fmt: skip
    return list(run.files.values())


def _actors(
    con: duckdb.DuckDBPyConnection, out_dir: Path, outline: Path | None, step: Step
) -> list[Path]:
    """Mali's situation over the last 12 months of data, from whichever source covers them."""
    last = last_month(data_currency(con, country="MLI", kinds=("events", "aggregates")))
    if last is None:
        raise NoDataError("no events or aggregates for Mali: nothing to picture")
    period = f"{month_string(last - 11)}..{month_string(last)}"
    out = out_dir / "situation" / "mli"
    return run_situation(con, "MLI", period, out, boundaries=outline, step=step).files


def _brief(
    con: duckdb.DuckDBPyConnection, out_dir: Path, outline: Path | None, step: Step
) -> list[Path]:
    """The Mali briefing, English and French, on the last complete month of event data."""
    brief = run_brief(con, "MLI", None, out_dir / "brief", boundaries=outline, step=step)
    return [path for paths in brief.files.values() for path in paths]
