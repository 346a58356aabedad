"""``sentinelle forecast`` and ``evaluate``: probabilistic forecasts and their backtests.

Model names are those of :data:`sentinelle.forecast.MODELS`, plug-ins included; the
registry loads LightGBM, so it is imported when a command runs, not for ``--help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import OutOption, StoreOption, _, cli_lang, console, job
from sentinelle.i18n import N_

DrawsOption = Annotated[int, typer.Option(help=N_("Sample draws per unit-month"))]
PanelSourceOption = Annotated[
    str | None, typer.Option(help=N_("Source the panel must come from, e.g. acled-hdx"))
]
PanelCountryOption = Annotated[
    str | None, typer.Option(help=N_("ISO3 code the panel must be built for, e.g. MLI"))
]

FORECAST_HELP = N_(
    "Probabilistic fatality forecasts as sample draws per unit-month.\n\n"
    "Fits on the stored panel up to the origin only, samples every month to the horizon, "
    "and stores the draws with model, data version and origin. With --scenario, the cells "
    "around the named bases get the effect of a closure that `sentinelle impact` estimated "
    "(run it first for the same outcome).\n\n"
    "Example: [bold]sentinelle forecast --unit cm --origin 2023-10 --horizon 36 "
    "--draws 1000[/]\n\n"
    "Example: [bold]sentinelle forecast --unit pgm --target civ_deaths --origin 2020-06 "
    "--mission MINUSMA --scenario Kidal@2020-09[/]\n\n"
    "Admin units (a panel built with --source acled-hdx) also get a CSV and XLSX summary "
    "and a CSV of the draws beside the Parquet file, with each unit's P-code and name.\n\n"
    "Example: [bold]sentinelle forecast --unit admin2 --source acled-hdx --country MLI[/]"
)


def forecast(
    origin: Annotated[
        str | None,
        typer.Option(help=N_("Last month of data used, YYYY-MM (default: the data's last)")),
    ] = None,
    unit: Annotated[
        str, typer.Option(help=N_("cm | pgm | admin1 | admin2 (a built panel)"))
    ] = "cm",
    horizon: Annotated[int, typer.Option(help=N_("Months ahead: 1..horizon"))] = 12,
    draws: DrawsOption = 1000,
    target: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "ged_sb | ged_os | civ_deaths | fatalities (default: ged_sb; admin: fatalities)"
            )
        ),
    ] = None,
    source: PanelSourceOption = None,
    country: PanelCountryOption = None,
    model: Annotated[str | None, typer.Option(help=N_("Model name (default: recommended)"))] = None,
    scenario: Annotated[
        str | None,
        typer.Option(help=N_("As if bases close: BASE@YYYY-MM,... (pgm; needs --mission)")),
    ] = None,
    mission: Annotated[
        str | None,
        typer.Option(help=N_("Mission whose stored impact estimate the scenario uses")),
    ] = None,
    out: Annotated[Path, typer.Option(help=N_("Parquet file (VIEWS challenge layout)"))] = Path(
        "out/forecast.parquet"
    ),
    store: StoreOption = None,
) -> None:
    from sentinelle.forecast import RECOMMENDED_MODEL
    from sentinelle.jobs.forecast import run_forecast

    name = model or RECOMMENDED_MODEL
    with job(store, f"forecast {name}") as (con, step):
        run = run_forecast(
            con, origin, out, unit=unit, horizon=horizon, draws=draws, target=target,
            model=name, scenario=scenario, mission=mission, source=source, country=country,
            step=step,
        )  # fmt: skip
    from sentinelle.geo import month_string

    written = ", ".join(str(p) for p in (run.path, *run.tables))
    console.print(
        f"[green]{run.model}[/] "
        + _(
            "forecast of %(target)s from %(origin)s: stored as run %(run)s, written %(files)s",
            target=run.target, origin=month_string(run.origin), run=run.run_id, files=written,
        )
    )  # fmt: skip


EVALUATE_HELP = N_(
    "Backtest every model on the VIEWS challenge windows, beside the official files.\n\n"
    "The models and the official benchmark files are scored by the same code (CRPS, "
    "ignorance, MIS, coverage, Brier, AP). Window YYYY trains to October YYYY-1 and "
    "forecasts every month of YYYY. Needs the cm panel in the store "
    "(`sentinelle ingest views-cm DIR`).\n\n"
    "Example: [bold]sentinelle evaluate --data ../shared/data/views-cm --years 2022,2023[/]"
    "\n\n"
    "Admin units have no official files: their windows are scored against the panel's own "
    "values, beside zero, conflictology and boot_240 fitted on the same units.\n\n"
    "Example: [bold]sentinelle evaluate --unit admin2 --source acled-hdx --country MLI[/]"
)


def evaluate(
    data: Annotated[Path, typer.Option(help=N_("views-cm folder (actuals/, benchmarks/)"))] = Path(
        "../shared/data/views-cm"
    ),
    years: Annotated[
        str | None,
        typer.Option(help=N_("Challenge windows (default: 2018-2023 for cm, 2019-2024 otherwise)")),
    ] = None,
    draws: DrawsOption = 1000,
    unit: Annotated[str, typer.Option(help=N_("cm | admin1 | admin2 (a built panel)"))] = "cm",
    source: PanelSourceOption = None,
    country: PanelCountryOption = None,
    models: Annotated[
        str | None, typer.Option(help=N_("Models to backtest, comma-separated (default: all)"))
    ] = None,
    out: OutOption = Path("out/evaluate"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.forecast import run_evaluate

    default = "2018,2019,2020,2021,2022,2023" if unit == "cm" else "2019,2020,2021,2022,2023,2024"
    windows = [int(y) for y in (years or default).split(",")]
    chosen = [m.strip() for m in models.split(",")] if models else None
    with job(store, "evaluate", read_only=True) as (con, step):
        evaluation = run_evaluate(
            con, data, windows, out, draws=draws, unit=unit, source=source, country=country,
            models=chosen, step=step,
        )  # fmt: skip
    console.print(evaluation.result.to_markdown(lang=cli_lang()))
    folder = f"{out}/"
    console.print(_("Tables and calibration plots written to %(folder)s", folder=folder))
