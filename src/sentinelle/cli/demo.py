"""``sentinelle demo``: the main job, from the data at hand to every output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sentinelle.cli._common import (
    OutOption,
    StoreOption,
    _,
    console,
    job,
    labelled,
    print_ingest,
    settings,
)
from sentinelle.i18n import N_

DEMO_HELP = N_(
    "The main job: ingest, panels, forecast, withdrawal impact, actors, alerts, briefing.\n\n"
    "Ingests the local copies in --data when the folder exists, else downloads from the "
    "publishers; then runs every stage and writes its files (the Mali briefing in English "
    "and French among them); a stage whose inputs are missing is skipped with the reason.\n\n"
    "Example: [bold]sentinelle demo --data ../shared/data --out out[/]"
)


def demo(
    data: Annotated[Path, typer.Option(help=N_("Folder of real public data"))] = Path(
        "../shared/data"
    ),
    out: OutOption = Path("out"),
    store: StoreOption = None,
) -> None:
    from sentinelle.jobs.main import run_main_job

    if not data.exists():
        console.print(
            _("%(folder)s not found: downloading from the publishers instead", folder=data)
        )
    with job(store, "main job") as (con, step):
        report = run_main_job(con, data, out, settings=settings(store), step=step)
    for ingest_report in report.ingests:
        print_ingest(ingest_report)
    for stage, paths in report.outputs.items():
        console.print(labelled(f"[green]{stage}[/]", ", ".join(str(p) for p in paths)))
    for stage, why in report.skipped.items():
        skipped = _("%(stage)s skipped", stage=stage)
        console.print(labelled(f"[yellow]{skipped}[/]", why))
