"""Actor jobs: who is active where and who fights whom; the situational picture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from sentinelle.actors import (
    Situation,
    actor_activity,
    dyad_network,
    dyad_networks,
    dyads,
    plot_network,
    situation,
    unmatched_names,
    write_network,
    write_situation,
)
from sentinelle.steps import Step, no_step
from sentinelle.tables import write_csv


@dataclass(frozen=True)
class ActorsRun:
    """Activity (by year and admin-1) and dyad tables, and the files written."""

    activity: pd.DataFrame
    dyads: pd.DataFrame
    files: list[Path]


def run_actors(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    country: str | None = None,
    period: str | None = None,
    source: str | None = None,
    step: Step = no_step,
) -> ActorsRun:
    """Write activity and dyad tables (CSV) and the dyad network (GraphML, JSON, PNG).

    Examples
    --------
    >>> run_actors(con, Path("out/actors"), country="MLI", source="acled")  # doctest: +SKIP
    """
    step("activity and dyads")
    activity = actor_activity(
        con, country_iso3=country, period=period, freq="year", admin_level=1, source=source
    )
    pairs = dyads(con, country_iso3=country, period=period, source=source)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "activity.csv", out / "dyads.csv"]
    write_csv(activity, files[0])
    write_csv(pairs, files[1])
    step("the dyad network")
    network = dyad_network(pairs)
    files.append(write_network(network, out / "network.graphml"))
    files.append(write_network(dyad_networks(pairs), out / "network_by_year.json"))
    title = f"Dyads {country or ''} {period or ''}"
    files.append(plot_network(network, out / "network.png", title=title))
    return ActorsRun(activity, pairs, files)


def run_unmatched_actors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Side names of stored events that the actor registry does not know, for review."""
    return unmatched_names(con)


@dataclass(frozen=True)
class SituationRun:
    """The situational picture and the tables, charts and map written."""

    picture: Situation
    files: list[Path]


def run_situation(
    con: duckdb.DuckDBPyConnection,
    country: str,
    period: str,
    out: Path,
    *,
    source: str = "ged",
    boundaries: Path | None = None,
    step: Step = no_step,
) -> SituationRun:
    """The picture of ``country`` over ``period`` (``YYYY-MM..YYYY-MM``), written to ``out``.

    Examples
    --------
    >>> run_situation(con, "MLI", "2019-07..2020-06", Path("out/mli"))  # doctest: +SKIP
    """
    step(f"situation {country} {period} ({source})")
    picture = situation(con, country, period, source=source)
    return SituationRun(picture, write_situation(picture, out, boundaries=boundaries))
