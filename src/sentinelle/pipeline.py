"""The main job: from the data at hand to every output, in one run.

``run_main_job`` ingests what is available locally (the project's real-data folder,
``../shared/data`` by default) or, when that folder is absent, fetches from the
publishers; then builds the panels, runs the forecast, the withdrawal-impact analysis,
the actor and situation pictures, the alert rules and the Mali briefing (English and
French, HTML and PDF), writing everything under one output folder. Each stage calls
the same public function as its CLI command; a stage whose inputs are missing is
skipped with the reason recorded, never faked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.config import Settings
from sentinelle.sources import INGESTERS, IngestReport
from sentinelle.steps import Step, no_step
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
)

SAHEL = ("MLI", "BFA", "NER")
GED_RELEASE = "25.1"  # the yearly release fetched when no local data is given
COUNTRY_SHAPES = "admin/naturalearth_10m_africa_admin0.geojson"


@dataclass
class JobReport:
    """What the main job did: ingests, files written, and stages skipped with why."""

    ingests: list[IngestReport] = field(default_factory=list)
    outputs: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def ingest_local(
    con: duckdb.DuckDBPyConnection, data_dir: Path, step: Step = no_step
) -> list[IngestReport]:
    """Ingest every file of :data:`LOCAL_INPUTS` present under ``data_dir``."""
    reports = []
    for source, relative in LOCAL_INPUTS:
        path = data_dir / relative
        if path.exists():
            step(f"ingest {relative}")
            reports.append(INGESTERS[source](con, path, None, step))
    return reports


def fetch_inputs(
    con: duckdb.DuckDBPyConnection, settings: Settings, step: Step = no_step
) -> list[IngestReport]:
    """Download what the publishers serve (GED release; ACLED for the Sahel with credentials).

    Offline this fails at once with :class:`~sentinelle.sources.OfflineError`, whose
    message says how to pass local files instead. Geo-PKO and the VIEWS files have no
    download here: ingest local copies (`sentinelle ingest geopko FILE`).
    """
    from sentinelle.sources.acled_api import fetch_acled
    from sentinelle.sources.ucdp_api import fetch_ged_release

    step(f"fetch UCDP GED {GED_RELEASE}")
    reports = [fetch_ged_release(con, GED_RELEASE, settings=settings, step=step)]
    if settings.acled_username and settings.acled_password:
        step("fetch ACLED Mali, Burkina Faso, Niger")
        sahel = ["Mali", "Burkina Faso", "Niger"]
        acled = fetch_acled(
            con, settings=settings, countries=sahel, start=date(2012, 1, 1), end=date.today(),
            step=step,
        )  # fmt: skip
        reports.append(acled)
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
    if data_dir is not None and data_dir.exists():
        report = JobReport(ingests=ingest_local(con, data_dir, step))
        # Maps use the finer Natural Earth shapes when the data folder has them.
        shapes = data_dir / COUNTRY_SHAPES
        outline = shapes if shapes.exists() else None
    else:
        report = JobReport(ingests=fetch_inputs(con, settings or Settings(), step))
        outline = None
    stages: list[tuple[str, Callable[[], list[Path]]]] = [
        ("panel", lambda: _panels(con, out_dir, step)),
        ("forecast", lambda: _forecast(con, out_dir, step)),
        ("impact", lambda: _impact(con, out_dir, outline, step)),
        ("actors", lambda: _actors(con, out_dir, outline, step)),
        ("alerts", lambda: _alerts(con, out_dir, step)),
        ("brief", lambda: _brief(con, out_dir, outline, step)),
    ]
    for name, stage in stages:
        try:
            report.outputs[name] = stage()
        except (ValueError, LookupError) as exc:
            report.skipped[name] = str(exc)
    return report


def _panels(con: duckdb.DuckDBPyConnection, out_dir: Path, step: Step) -> list[Path]:
    from sentinelle.panel import build_panel, check_panel, export_panel

    if not has_events(con, "acled"):
        raise LookupError("no ACLED events for the Sahel PRIO-GRID panel")
    step("panel pgm (Mali, Burkina Faso, Niger)")
    built = build_panel(con, "pgm", "2012-01", "2020-06", countries=list(SAHEL), source="acled")
    found = check_panel(con, "pgm")
    if not found.ok:
        raise ValueError(f"panel check failed on {built.table}: {found}")
    return [export_panel(con, "pgm", out_dir / "panels" / "panel_pgm_sahel.parquet")]


def _forecast(con: duckdb.DuckDBPyConnection, out_dir: Path, step: Step) -> list[Path]:
    """Forecast the next 12 months for every country and for the Sahel's cells.

    Countries use the VIEWS cm panel; cells the ACLED pgm panel built by ``_panels``
    (a missing panel skips its forecast). Draws go to the store, where briefings,
    alerts and the dashboard read them, and to challenge-layout files.
    """
    from sentinelle.forecast import RECOMMENDED_MODEL, make_forecast, store_forecast
    from sentinelle.forecast.export import write_views_parquet
    from sentinelle.panel import panel_exists, read_panel

    written = []
    for unit in ("cm", "pgm"):
        if not panel_exists(con, unit):
            continue
        panel = read_panel(con, unit)
        step(f"forecast {unit} with {RECOMMENDED_MODEL}")
        origin = int(panel["month_id"].max())
        forecast = make_forecast(panel, origin=origin, horizons=range(1, 13), n_draws=1000)
        store_forecast(con, forecast, unit=unit)
        path = out_dir / "forecast" / f"{unit}_forecast.parquet"
        written.append(write_views_parquet(forecast, path, unit=unit))
    if not written:
        raise LookupError("no cm or pgm panel to forecast from")
    return written


def _impact(
    con: duckdb.DuckDBPyConnection, out_dir: Path, outline: Path | None, step: Step
) -> list[Path]:
    from sentinelle.impact import run_impact, store_impact, write_report

    step("impact MINUSMA (ACLED)")
    result = run_impact(con, "MINUSMA", event_source="acled")
    store_impact(con, result)
    return list(write_report(result, out_dir / "impact" / "minusma", outline=outline).values())


def _actors(
    con: duckdb.DuckDBPyConnection, out_dir: Path, outline: Path | None, step: Step
) -> list[Path]:
    from sentinelle.actors import situation, write_situation

    step("situation Mali 2019-07..2020-06 (ACLED)")
    picture = situation(con, "MLI", "2019-07..2020-06", source="acled")
    return write_situation(picture, out_dir / "situation" / "mli", boundaries=outline)


def _alerts(con: duckdb.DuckDBPyConnection, out_dir: Path, step: Step) -> list[Path]:
    from sentinelle.alerts import evaluate_alerts

    step("alerts")
    evaluate_alerts(con, source="acled")
    path = out_dir / "alerts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute("SELECT * FROM alerts ORDER BY period, unit_id").df().to_csv(path, index=False)
    return [path]


def _brief(
    con: duckdb.DuckDBPyConnection, out_dir: Path, outline: Path | None, step: Step
) -> list[Path]:
    """The Mali briefing, English and French, on the last complete month of event data.

    The month of the latest event is usually cut short by the data's end date (ACLED's
    file stops in July 2020): briefing on it would show a drop that is only missing data.
    """
    from sentinelle.report.brief import collect_brief, write_brief

    row = con.execute(
        "SELECT strftime(max(date_end) - INTERVAL 1 MONTH, '%Y-%m') FROM events "
        "WHERE country_iso3 = 'MLI' AND NOT deleted"
    ).fetchone()
    if row is None or row[0] is None:
        raise LookupError("no events in Mali to brief on")
    step(f"briefing Mali {row[0]} (EN, FR)")
    brief = collect_brief(con, "MLI", row[0], boundaries=outline)
    return [path for paths in write_brief(brief, out_dir / "brief").values() for path in paths]
