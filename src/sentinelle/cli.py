"""The ``sentinelle`` command line: a thin layer over the Python API.

Each command parses its options, calls one function of a capability subpackage and
renders the result with Rich. The analysis packages (impact, actors, alerts) import
statistics and plotting libraries that take seconds to load, so their commands import
them when run rather than making every command, and ``--help``, wait. Errors
Sentinelle raises on purpose are printed as one clear line and exit with status 1;
anything else is a bug and shows its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.sources import INGESTERS, IngestReport, SentinelleError, ingest_url
from sentinelle.sources.acled_api import fetch_acled
from sentinelle.sources.ucdp_api import fetch_ged, fetch_ged_release
from sentinelle.store import open_store
from sentinelle.store.status import store_status

if TYPE_CHECKING:  # the forecast package loads LightGBM: not for every command's --help
    from sentinelle.forecast import Forecast

app = typer.Typer(
    help="Sentinelle: conflict early warning and peace-operations impact, from public data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
console = Console()

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="DuckDB store file (env SENTINELLE_STORE; default ./sentinelle.duckdb)"
    ),
]


def settings(store: Path | None = None) -> Settings:
    """Settings with the CLI's ``--store`` taking precedence over env and config file."""
    return Settings(store=store) if store else Settings()


@contextmanager
def _store(store: Path | None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_store(settings(store).store, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _failures() -> Iterator[None]:
    """Turn Sentinelle's own errors into one red line and exit status 1."""
    try:
        yield
    except SentinelleError as exc:
        console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A Rich progress line that shows each step of a long operation as it starts."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(title, total=None)
        yield lambda text: progress.update(task, description=f"{title}: {text}")


def _print_report(report: IngestReport) -> None:
    if report.skipped:
        console.print(
            f"[yellow]{report.location}[/] was already ingested as ingest "
            f"#{report.ingest_id} (same sha256): nothing changed."
        )
        return
    console.print(
        f"[green]ingest #{report.ingest_id}[/] {report.source} {report.version or ''}: "
        f"read {report.rows_read:,}, inserted {report.rows_inserted:,}, "
        f"updated {report.rows_updated:,}, unchanged {report.rows_unchanged:,}, "
        f"marked deleted {report.rows_deleted:,}, quarantined {report.rows_quarantined:,}"
    )
    if report.rows_quarantined:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(report.quarantine_reasons.items()))
        console.print(
            f"[yellow]quarantined rows[/] ({reasons}); see them with "
            f"`sentinelle quarantine --ingest {report.ingest_id}`"
        )


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(INGESTERS)}")],
    path: Annotated[
        str, typer.Argument(help="File as published (CSV or zipped CSV), local path or URL")
    ],
    version: Annotated[
        str | None, typer.Option(help="Release, when the file name does not tell (e.g. 25.1)")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Ingest a file of SOURCE into the store, in one transaction.

    Re-running the same file changes nothing; rows that cannot be read are quarantined.
    A URL is downloaded first and cached with its checksum.

    Example: [bold]sentinelle ingest ged ~/Downloads/ged251-csv.zip[/]

    Example: [bold]sentinelle ingest geopko https://example.org/geopko/FrontMap_v2.3.csv[/]
    """
    if source not in INGESTERS:
        raise typer.BadParameter(f"unknown source {source!r}; choose from {', '.join(INGESTERS)}")
    with _failures(), _store(store) as con, _steps(f"ingest {source}") as step:
        if path.startswith(("http://", "https://")):
            report = ingest_url(con, source, path, version, settings=settings(store), step=step)
        else:
            report = INGESTERS[source](con, Path(path), version, step)
    _print_report(report)


FETCHABLE = ("ged", "ged-api", "acled")


@app.command()
def fetch(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(FETCHABLE)}")],
    version: Annotated[
        str | None,
        typer.Option(help="GED release (ged: 25.1) or API version (ged-api: 25.1, 25.0.9)"),
    ] = None,
    countries: Annotated[
        str | None,
        typer.Option(help="ged-api: GW codes (432,439); acled: names (Mali,Niger)"),
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day")
    ] = None,
    refresh: Annotated[bool, typer.Option(help="Download again even if cached")] = False,
    store: StoreOption = None,
) -> None:
    """Download SOURCE from its publisher, cache the raw file with its checksum, ingest it.

    Offline, it fails at once and says how to ingest a local file instead. Credentials
    come from SENTINELLE_UCDP_TOKEN and SENTINELLE_ACLED_USERNAME/_PASSWORD.

    Example: [bold]sentinelle fetch acled --countries Mali --from 2023-01-01 --to 2023-12-31[/]
    """
    config = settings(store)
    names = [c.strip() for c in countries.split(",")] if countries else None
    first, last = (d.date() if d else None for d in (start, end))
    with _failures(), _store(store) as con, _steps(f"fetch {source}") as step:
        if source in ("ged", "ged-api") and not version:
            raise typer.BadParameter("GED needs --version (e.g. 25.1)")
        if source == "ged":
            report = fetch_ged_release(
                con, str(version), settings=config, refresh=refresh, step=step
            )
        elif source == "ged-api":
            report = fetch_ged(
                con, str(version), settings=config, refresh=refresh, step=step,
                countries=[int(c) for c in names] if names else None, start=first, end=last,
            )  # fmt: skip
        elif source == "acled":
            if not (names and first and last):
                raise typer.BadParameter("ACLED needs --countries, --from and --to")
            report = fetch_acled(
                con, settings=config, countries=names, start=first, end=last,
                refresh=refresh, step=step,
            )  # fmt: skip
        else:
            raise typer.BadParameter(f"unknown source {source!r}; choose from {FETCHABLE}")
    _print_report(report)


@app.command()
def status(store: StoreOption = None) -> None:
    """Show what the store holds: sources, versions, counts, date spans, last ingest.

    Example: [bold]sentinelle status --store sahel.duckdb[/]
    """
    path = settings(store).store
    if not path.exists():
        console.print(f"No store at {path} yet: start with `sentinelle ingest` or `fetch`.")
        return
    with _store(store, read_only=True) as con:
        rows = store_status(con)
    table = Table(title=f"Store {path}", box=box.SIMPLE_HEAD)
    for column in ("source", "versions", "rows", "deleted", "quarantined", "span"):
        table.add_column(column, no_wrap=column in ("source", "span"))
    table.add_column("last ingest")
    for s in rows:
        table.add_row(
            s.source, ", ".join(s.versions), f"{s.rows:,}", f"{s.deleted:,}",
            f"{s.quarantined:,}", f"{s.first:%Y-%m} → {s.last:%Y-%m}" if s.first else "",
            f"{s.last_ingest:%Y-%m-%d}" if s.last_ingest else "",
        )  # fmt: skip
    console.print(table if rows else "The store is empty.")


@app.command()
def quarantine(
    ingest_id: Annotated[int | None, typer.Option("--ingest", help="Only this ingest")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show")] = 50,
    store: StoreOption = None,
) -> None:
    """List quarantined rows with their file, line and reason.

    Example: [bold]sentinelle quarantine --ingest 3 --limit 20[/]
    """
    with _store(store, read_only=True) as con:
        rows = con.execute(
            "SELECT ingest_id, source, location, line, reason FROM quarantine "
            "WHERE ? IS NULL OR ingest_id = ? ORDER BY ingest_id, line LIMIT ?",
            [ingest_id, ingest_id, limit],
        ).fetchall()
    table = Table(title="Quarantined rows")
    for column in ("ingest", "source", "file", "line", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table if rows else "No quarantined rows.")


def _print_frame(frame: pd.DataFrame, title: str, rows: int = 15) -> None:
    """Render the first rows of a table, numbers rounded for reading."""
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for values in frame.head(rows).itertuples(index=False):
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in values))
    console.print(table if len(frame) else f"{title}: nothing to show.")


OutOption = Annotated[Path, typer.Option("--out", help="Directory for the files written")]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Event source (ged, ged_candidate, acled); one is required "
                 "when the store holds several, as they report the same killings"),
]  # fmt: skip

panel_app = typer.Typer(
    help="Unit-month panels: build, check, export.\n\n"
    "Example: [bold]sentinelle panel build --unit cm --from 2018-01 --to 2023-12[/]",
    no_args_is_help=True,
)
app.add_typer(panel_app, name="panel")


@panel_app.command("build")
def panel_build(
    unit: Annotated[str, typer.Option(help="cm | pgm | admin1 | admin2")],
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM")],
    end: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM")],
    countries: Annotated[str | None, typer.Option(help="ISO3 codes, e.g. MLI,BFA,NER")] = None,
    source: Annotated[str, typer.Option(help="ged (GED then Candidate) | acled")] = "ged",
    cells: Annotated[Path | None, typer.Option(help="JSON list of PRIO-GRID gids")] = None,
    boundaries: Annotated[
        Path | None, typer.Option(help="Admin boundary file (admin1/admin2)")
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb | spark")] = "duckdb",
    parquet: Annotated[Path | None, typer.Option(help="Also export to this Parquet")] = None,
    store: StoreOption = None,
) -> None:
    """Build a complete unit-month panel (zeros where nothing happened) with causal features.

    Outcomes by violence type and civilian deaths; lags, rolling sums, time since the
    last event, spatial lags and peacekeeping presence, each from months before t.

    Example: [bold]sentinelle panel build --unit pgm --from 2012-01 --to 2020-10 --countries MLI[/]
    """
    from sentinelle.panel import build_panel, export_panel

    with _failures(), _store(store) as con, _steps(f"panel {unit}") as step:
        try:
            report = build_panel(
                con, unit, start, end, source=source, engine=engine, step=step,
                countries=countries.split(",") if countries else None, cells=cells,
                boundaries=boundaries,
            )  # fmt: skip
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
        if parquet:
            export_panel(con, unit, parquet)
    console.print(
        f"[green]{report.table}[/]: {report.n_units:,} units x "
        f"{report.last_month - report.first_month + 1} months = {report.n_rows:,} rows, "
        f"{len(report.columns)} columns, {report.events_used:,} events, "
        f"built on {report.engine} in {report.seconds:.1f} s"
    )
    if report.events_outside:
        console.print(
            f"[yellow]{report.events_outside:,} events ({report.fatalities_outside:,} deaths) "
            "fall outside the panel's units[/]"
        )


@panel_app.command("check")
def panel_check(
    unit: Annotated[str, typer.Option(help="cm | pgm | admin1 | admin2")],
    store: StoreOption = None,
) -> None:
    """Check a panel: missing months, duplicate keys, negative counts, totals vs events.

    Example: [bold]sentinelle panel check --unit pgm[/]
    """
    from sentinelle.panel import check_panel

    with _failures(), _store(store, read_only=True) as con:
        try:
            found = check_panel(con, unit)
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
    console.print(
        f"{found.table}: {found.n_units:,} units, {found.n_rows:,} rows; "
        f"missing {found.missing_rows:,}, duplicate keys {found.duplicate_keys:,}, "
        f"negative counts {sum(found.negative_counts.values()):,}, "
        f"totals disagreeing with events {len(found.total_mismatches):,}"
    )
    for note in found.notes:
        console.print(f"  note: {note}")
    if not found.ok:
        raise typer.Exit(1)


@panel_app.command("export")
def panel_export(
    unit: Annotated[str, typer.Option(help="cm | pgm | admin1 | admin2")],
    path: Annotated[Path, typer.Argument(help="Parquet file to write")],
    store: StoreOption = None,
) -> None:
    """Export a stored panel to Parquet.

    Example: [bold]sentinelle panel export --unit cm panel_cm.parquet[/]
    """
    from sentinelle.panel import export_panel

    with _store(store, read_only=True) as con:
        console.print(f"Written {export_panel(con, unit, path)}")


@app.command()
def forecast(
    origin: Annotated[str, typer.Option(help="Last month of data used, YYYY-MM")],
    unit: Annotated[str, typer.Option(help="cm | pgm | admin1 (a built panel)")] = "cm",
    horizon: Annotated[int, typer.Option(help="Months ahead: 1..horizon")] = 12,
    draws: Annotated[int, typer.Option(help="Sample draws per unit-month")] = 1000,
    target: Annotated[str, typer.Option(help="ged_sb | ged_os | civ_deaths")] = "ged_sb",
    model: Annotated[str | None, typer.Option(help="Model name (default: recommended)")] = None,
    scenario: Annotated[
        str | None,
        typer.Option(help="As if bases close: BASE@YYYY-MM,... (pgm; needs --mission)"),
    ] = None,
    mission: Annotated[
        str | None, typer.Option(help="Mission whose stored impact estimate the scenario uses")
    ] = None,
    out: Annotated[Path, typer.Option(help="Parquet file (VIEWS challenge layout)")] = Path(
        "out/forecast.parquet"
    ),
    store: StoreOption = None,
) -> None:
    """Probabilistic fatality forecasts as sample draws per unit-month.

    Fits on the stored panel up to the origin only, samples every month to the
    horizon, and stores the draws with model, data version and origin. With
    --scenario, the cells around the named bases get the effect of a closure that
    `sentinelle impact` estimated (run it first for the same outcome).

    Example: [bold]sentinelle forecast --unit cm --origin 2023-10 --horizon 36 --draws 1000[/]

    Example: [bold]sentinelle forecast --unit pgm --target civ_deaths --origin 2020-06
    --mission MINUSMA --scenario Kidal@2020-09[/]
    """
    from sentinelle.forecast import (
        RECOMMENDED_MODEL,
        make_forecast,
        store_forecast,
        write_views_parquet,
    )
    from sentinelle.geo import month_id_from_str
    from sentinelle.panel import read_panel

    name = model or RECOMMENDED_MODEL
    with _failures(), _store(store) as con, _steps(f"forecast {name}") as step:
        step("reading the panel")
        try:
            panel = read_panel(con, unit)
            step(f"fitting and sampling {draws} draws")
            result = make_forecast(
                panel, int(month_id_from_str(origin)), range(1, horizon + 1), model=name,
                n_draws=draws, target=target,
            )  # fmt: skip
            if scenario:
                step(f"applying the scenario {scenario}")
                result = _as_if(con, result, scenario, mission)
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
        step("storing the draws")
        run_id = store_forecast(con, result, unit=unit)
    path = write_views_parquet(result, out, unit=unit)
    console.print(
        f"[green]{name}[/] forecast of {target} from {origin}: stored as run {run_id}, "
        f"written {path}"
    )


def _as_if(
    con: duckdb.DuckDBPyConnection, forecast: Forecast, scenario: str, mission: str | None
) -> Forecast:
    """``forecast`` as if the bases of ``scenario`` (``BASE@YYYY-MM,...``) close."""
    from sentinelle.forecast import BaseClosure, apply_scenario
    from sentinelle.geo import month_id_from_str
    from sentinelle.impact import base_timeline, latest_impact, scenario_effect

    if not mission:
        raise ValueError("--scenario needs --mission (whose impact estimate to use)")
    stored = latest_impact(con, mission)
    if stored is None:
        raise ValueError(f"no impact estimate for {mission} in the store: run `sentinelle impact`")
    timeline = base_timeline(con, mission)
    bases: dict[str, tuple[float, float]] = {
        str(base): (float(lat), float(lon))
        for base, lat, lon in timeline[["base", "latitude", "longitude"]].to_numpy().tolist()
    }
    closures = []
    for item in scenario.split(","):
        name, _, month = item.strip().partition("@")
        if name not in bases:
            raise ValueError(f"{name!r} is not a {mission} base; bases: {', '.join(bases)}")
        closures.append(BaseClosure(name, *bases[name], month_id_from_str(month)))
    return apply_scenario(forecast, closures, scenario_effect(stored))


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="views-cm folder (actuals/, benchmarks/)")] = Path(
        "../shared/data/views-cm"
    ),
    years: Annotated[str, typer.Option(help="Challenge windows")] = "2018,2019,2020,2021,2022,2023",
    draws: Annotated[int, typer.Option(help="Sample draws per unit-month")] = 1000,
    out: OutOption = Path("out/evaluate"),
    store: StoreOption = None,
) -> None:
    """Backtest every model on the VIEWS challenge windows, beside the official files.

    The models and the official benchmark files are scored by the same code (CRPS,
    ignorance, MIS, coverage, Brier, AP). Window YYYY trains to October YYYY-1 and
    forecasts every month of YYYY. Needs the cm panel in the store
    (`sentinelle ingest views-cm DIR`).

    Example: [bold]sentinelle evaluate --data ../shared/data/views-cm --years 2022,2023[/]
    """
    from sentinelle.evaluate.backtest import run_backtest
    from sentinelle.panel import read_panel

    with _failures(), _store(store, read_only=True) as con:
        try:
            panel = read_panel(con, "cm")
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
    result = run_backtest(panel, data, [int(y) for y in years.split(",")], n_draws=draws)
    result.write(out)
    console.print(result.to_markdown())
    console.print(f"Tables and calibration plots written to {out}/")


@app.command()
def demo(
    data: Annotated[Path, typer.Option(help="Folder of real public data")] = Path("../shared/data"),
    out: OutOption = Path("out"),
    store: StoreOption = None,
) -> None:
    """The main job: ingest, panels, forecast, withdrawal impact, actors, alerts, briefing.

    Ingests the local copies in --data when the folder exists, else downloads from
    the publishers; then runs every stage and writes its files (the Mali briefing in
    English and French among them); a stage whose inputs are missing is skipped
    with the reason.

    Example: [bold]sentinelle demo --data ../shared/data --out out[/]
    """
    from sentinelle.pipeline import run_main_job

    if not data.exists():
        console.print(f"{data} not found: downloading from the publishers instead")
    with _failures(), _store(store) as con, _steps("main job") as step:
        report = run_main_job(con, data, out, settings=settings(store), step=step)
    for ingest_report in report.ingests:
        _print_report(ingest_report)
    for stage, paths in report.outputs.items():
        console.print(f"[green]{stage}[/]: {', '.join(str(p) for p in paths)}")
    for stage, why in report.skipped.items():
        console.print(f"[yellow]{stage} skipped[/]: {why}")


impact_app = typer.Typer(invoke_without_command=True)
app.add_typer(impact_app, name="impact")


@impact_app.callback()
def impact(
    ctx: typer.Context,
    mission: Annotated[str | None, typer.Option(help="Geo-PKO mission, e.g. MINUSMA")] = None,
    outcome: Annotated[str, typer.Option(help="civilian_deaths | one_sided | all")] = (
        "civilian_deaths"
    ),
    radius_km: Annotated[str, typer.Option(help="Ring edges in km")] = "25,50,100",
    unit: Annotated[str, typer.Option(help="pgm (PRIO-GRID cells) or admin2")] = "pgm",
    admin_file: Annotated[
        Path | None, typer.Option(help="Admin-2 boundaries (GeoJSON, GeoPackage, shapefile)")
    ] = None,
    source: SourceOption = None,
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    """Estimate what base closures did to violence nearby; write tables, plots, summaries.

    Staggered difference-in-differences event study, synthetic control and spillover
    rings; summaries in English and French.

    Example: [bold]sentinelle impact --mission MINUSMA --outcome civilian_deaths --source ged[/]
    """
    if ctx.invoked_subcommand:
        return
    if not mission:
        raise typer.BadParameter("--mission is required (e.g. MINUSMA)")
    from sentinelle.geo import read_admin
    from sentinelle.impact import run_impact, store_impact, write_report

    admin = read_admin(admin_file, 2) if admin_file else None
    radii = [float(r) for r in radius_km.split(",")]
    with _failures(), _store(store) as con, _steps("impact") as step:
        step(f"{mission}: estimating")
        try:
            result = run_impact(
                con, mission, outcome=outcome, radii_km=radii, unit=unit,
                admin_units=admin, event_source=source,
            )  # fmt: skip
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
        step("writing the report")
        store_impact(con, result)
        paths = write_report(result, out / mission.lower())
    _print_frame(
        result.effects[["estimator", "ring_label", "estimate", "lower", "upper", "p_value"]],
        f"{mission}: effect of base closures on {outcome} per unit-month",
    )
    console.print(f"Report: {', '.join(str(p) for p in paths.values())}")


@impact_app.command("compare")
def impact_compare(
    missions: Annotated[str, typer.Option(help="Comma-separated Geo-PKO missions")],
    outcome: Annotated[str, typer.Option(help="civilian_deaths | one_sided | all")] = (
        "civilian_deaths"
    ),
    source: SourceOption = None,
    out: OutOption = Path("out/impact"),
    store: StoreOption = None,
) -> None:
    """Run the same impact analysis for several missions and put them side by side.

    Example: [bold]sentinelle impact compare --missions MINUSMA,UNAMID,MONUSCO --source ged[/]
    """
    from sentinelle.impact import compare_missions, run_impact

    results = []
    with _failures(), _store(store, read_only=True) as con, _steps("impact compare") as step:
        for mission in missions.split(","):
            step(mission)
            try:
                results.append(run_impact(con, mission, outcome=outcome, event_source=source))
            except ValueError as exc:
                console.print(f"[yellow]{mission}[/]: {exc}")
    table = compare_missions(results) if results else pd.DataFrame()
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare.csv", index=False)
    _print_frame(table, "Effects of base closures across missions", rows=40)


@app.command()
def actors(
    country: Annotated[str | None, typer.Option(help="ISO3 code, e.g. MLI")] = None,
    period: Annotated[str | None, typer.Option(help="YYYY-MM..YYYY-MM")] = None,
    source: SourceOption = None,
    unmatched: Annotated[
        bool, typer.Option(help="List names the registry does not know, for review")
    ] = False,
    out: OutOption = Path("out/actors"),
    store: StoreOption = None,
) -> None:
    """Who is active where and when, who fights whom, and the dyad network.

    Writes activity and dyad tables (CSV) and the network as GraphML, JSON and PNG.

    Example: [bold]sentinelle actors --country MLI --period 2019-01..2020-10 --source acled[/]
    """
    from sentinelle.actors import (
        actor_activity,
        dyad_network,
        dyad_networks,
        dyads,
        plot_network,
        unmatched_names,
        write_network,
    )

    with _store(store) as con:
        if unmatched:
            _print_frame(unmatched_names(con), "Names the actor registry does not know", 50)
            return
        activity = actor_activity(
            con, country_iso3=country, period=period, freq="year", admin_level=1, source=source
        )
        pairs = dyads(con, country_iso3=country, period=period, source=source)
    out.mkdir(parents=True, exist_ok=True)
    activity.to_csv(out / "activity.csv", index=False)
    pairs.to_csv(out / "dyads.csv", index=False)
    network = dyad_network(pairs)
    write_network(network, out / "network.graphml")
    write_network(dyad_networks(pairs), out / "network_by_year.json")
    plot_network(network, out / "network.png", title=f"Dyads {country or ''} {period or ''}")
    _print_frame(activity, "Actor activity (by year and admin-1)")
    _print_frame(pairs, "Dyads")
    console.print(f"Written to {out}/: activity.csv, dyads.csv, network.graphml/.json/.png")


@app.command("situation")
def situation_cmd(
    country: Annotated[str, typer.Option(help="ISO3 code, e.g. MLI")],
    period: Annotated[str, typer.Option(help="YYYY-MM..YYYY-MM")],
    source: Annotated[str, typer.Option(help="Event source")] = "ged",
    out: OutOption = Path("out/situation"),
    store: StoreOption = None,
) -> None:
    """The situational picture of a country over a period, with charts and a map.

    Trends by violence type, hotspots, the most lethal events, new actors and areas,
    civilian harm.

    Example: [bold]sentinelle situation --country MLI --period 2023-07..2024-06[/]
    """
    from sentinelle.actors import situation, write_situation

    with _store(store) as con:
        picture = situation(con, country, period, source=source)
    paths = write_situation(picture, out)
    _print_frame(picture.trends, f"{country} {period}: trends by violence type")
    _print_frame(picture.hotspots_admin2, "Hotspots (admin-2)", rows=10)
    _print_frame(picture.lethal_events, "Most lethal events", rows=10)
    console.print(f"Written: {', '.join(str(p) for p in paths)}")


@app.command("alerts")
def alerts_cmd(
    source: Annotated[str, typer.Option(help="Event source the rules read")] = "ged",
    webhook: Annotated[str | None, typer.Option(help="POST each alert as JSON here")] = None,
    smtp: Annotated[str | None, typer.Option(help="SMTP server host:port")] = None,
    email_to: Annotated[str | None, typer.Option(help="Comma-separated recipients")] = None,
    email_from: Annotated[str, typer.Option(help="Sender address")] = "sentinelle@localhost",
    lang: Annotated[str, typer.Option(help="en | fr")] = "fr",
    store: StoreOption = None,
) -> None:
    """Evaluate the alert rules, record new alerts once, deliver those still pending.

    Example: [bold]sentinelle alerts --webhook http://127.0.0.1:8080/hook --lang fr[/]
    """
    from sentinelle.alerts import Email, Webhook, alert_text, deliver_pending, evaluate_alerts
    from sentinelle.alerts.delivery import Channel

    channels: list[Channel] = []
    if webhook:
        channels.append(Webhook(webhook))
    if smtp and email_to:
        host, _, port = smtp.partition(":")
        channels.append(Email(host, int(port or 25), email_from, tuple(email_to.split(","))))
    with _failures(), _store(store) as con:
        new = evaluate_alerts(con, source=source)
        delivery = deliver_pending(con, channels) if channels else None
        recent = con.execute("SELECT * FROM alerts ORDER BY period DESC, level DESC LIMIT 20").df()
    console.print("New alerts: " + ", ".join(f"{k} {v}" for k, v in new.items()))
    for alert in recent.to_dict("records"):
        subject, _ = alert_text(
            {str(k): v for k, v in alert.items()}, "fr" if lang == "fr" else "en"
        )
        console.print(f"  {subject}")
    if delivery:
        console.print(f"Delivered {delivery.delivered}, still pending {delivery.failed}")


@app.command()
def brief(
    country: Annotated[str, typer.Option(help="ISO3 code, e.g. MLI")],
    month: Annotated[str, typer.Option(help="Month of the briefing, YYYY-MM")],
    lang: Annotated[str, typer.Option(help="en | fr | both")] = "both",
    boundaries: Annotated[
        Path | None, typer.Option(help="Country boundaries for the maps (Natural Earth admin-0)")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Event source (ged, acled, ged_candidate); default: one with "
            "events in the country that month"
        ),
    ] = None,
    out: OutOption = Path("out/brief"),
    store: StoreOption = None,
) -> None:
    """A briefing of a few pages on a country and month, as HTML and PDF, in English and French.

    Key numbers and their change, maps of events and forecast risk, trends, actors,
    withdrawal-impact findings with caveats, active alerts, forecasts with uncertainty,
    and the sources and versions of the data; a section the store has no data for says
    what is missing.

    Example: [bold]sentinelle brief --country MLI --month 2020-06 --lang both[/]
    """
    from sentinelle.i18n import LANGS
    from sentinelle.report.brief import collect_brief, write_brief

    if lang not in (*LANGS, "both"):
        raise typer.BadParameter(f"--lang must be one of {', '.join(LANGS)} or both")
    langs = [code for code in LANGS if lang in (code, "both")]
    with _failures(), _store(store, read_only=True) as con, _steps(f"brief {country}") as step:
        step("reading the store")
        try:
            data = collect_brief(con, country, month, source=source, boundaries=boundaries)
        except ValueError as exc:
            raise SentinelleError(str(exc)) from exc
        step("rendering HTML and PDF")
        paths = write_brief(data, out, langs)
    for files in paths.values():
        console.print(f"Written {', '.join(str(p) for p in files)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="Natural Earth admin-0 file for map outlines (default: pyogrio's)"),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Serve the web dashboard and the JSON API (OpenAPI schema at /openapi.json).

    The server holds the store read-write while it runs (stop it to ingest). Sessions
    are signed with SENTINELLE_SECRET_KEY, or a key kept in STORE.secret. Create the
    first admin with `sentinelle users add NAME --role admin`.

    Example: [bold]sentinelle serve --port 8000 --boundaries africa_admin0.geojson[/]
    """
    import uvicorn

    from sentinelle.web import create_app
    from sentinelle.web.pages import vendor_missing

    missing = vendor_missing()
    if missing:
        console.print(
            f"[bold red]error:[/] the map's browser files are missing ({', '.join(missing)}): "
            "run `bash scripts/build_web.sh`",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    config = settings(store)
    if boundaries is not None:
        config = config.model_copy(update={"boundaries": boundaries})
    if host not in ("127.0.0.1", "localhost", "::1") and not config.cookie_secure:
        console.print(
            "[yellow]warning:[/] serving beyond loopback without SENTINELLE_COOKIE_SECURE=true:"
            " put the server behind HTTPS, and consider SENTINELLE_REQUIRE_LOGIN=true",
            soft_wrap=True,
        )
    try:
        web = create_app(config)
    except duckdb.IOException as exc:
        console.print(f"[bold red]error:[/] cannot open the store: {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"Sentinelle dashboard on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)


users_app = typer.Typer(
    help="Dashboard accounts: add, list.\n\n"
    "Example: [bold]sentinelle users add aminata --role admin[/]",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="viewer | analyst | admin")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Create a dashboard user; the password is asked for (twice) unless piped in.

    Example: [bold]sentinelle users add aminata --role admin[/]
    """
    import sys

    from sentinelle.web.auth import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _store(store) as con:
        try:
            user = create_user(con, name, password, role)  # type: ignore[arg-type]
        except ValueError as exc:
            console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(f"[green]user {user.username}[/] ({user.role}) created")


@users_app.command("list")
def users_list(store: StoreOption = None) -> None:
    """List dashboard users with their role and state.

    Example: [bold]sentinelle users list[/]
    """
    from sentinelle.web.auth import list_users

    with _store(store) as con:
        rows = list_users(con)
    _print_frame(
        pd.DataFrame(rows, columns=["username", "role", "disabled", "created_at"]), "Users", 100
    )


if __name__ == "__main__":
    app()
