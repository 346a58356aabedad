"""Actor jobs: who is active where and who fights whom; the situational picture."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from sentinelle.actors.situation import (
    AggregateSituation,
    aggregate_situation,
    write_aggregate_situation,
)
from sentinelle.errors import NoDataError, UsageError
from sentinelle.i18n import LANGS, Lang, translator
from sentinelle.steps import Step, no_step
from sentinelle.store.currency import (
    Coverage,
    Kind,
    currency_line,
    data_currency,
    months_covered,
    no_data_message,
    source_label,
)
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
    lang: Lang = "en",
    step: Step = no_step,
) -> ActorsRun:
    """Write activity and dyad tables (CSV) and the dyad network (GraphML, JSON, PNG).

    The PNG shows the most lethal actors labelled in ``lang`` (see
    :func:`sentinelle.actors.activity.plot_network`).

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
    files.append(plot_network(network, out / "network.png", lang=lang, period=period))
    return ActorsRun(activity, pairs, files)


def run_unmatched_actors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Side names of stored events that the actor registry does not know, for review."""
    return unmatched_names(con)


@dataclass(frozen=True)
class SituationRun:
    """The situational picture and the tables, charts and map written.

    ``picture`` is the event-based picture and ``aggregates`` the one of subnational
    monthly aggregates (one of them is set: see :func:`run_situation`); ``source`` the
    stored source used; ``coverage`` what it covers in the country, said by
    ``currency`` (``{'en': 'ACLED (HDX) to December 2024', 'fr': ...}``).
    """

    picture: Situation | None
    files: list[Path]
    source: str = ""
    aggregates: AggregateSituation | None = None
    coverage: list[Coverage] = field(default_factory=list)
    currency: dict[Lang, str] = field(default_factory=dict)


def pick_situation_source(
    con: duckdb.DuckDBPyConnection,
    country: str,
    period: str,
    source: str | None = None,
    *,
    lang: Lang = "en",
) -> tuple[str, Kind]:
    """The source a situation of ``country`` over ``period`` reads, and its kind.

    Returns ``(source, 'events' | 'aggregates')``. Given a ``source``, its kind is
    where the store holds it; without one, the event or aggregate source covering
    the most months of the period (events first on a tie: they say more, actors and
    the most lethal events). Two event sources covering it equally raise
    :class:`~sentinelle.errors.UsageError` (they report the same killings).

    Raises
    ------
    NoDataError
        When no chosen source covers a month of the period: the message says which
        source covers which months and what to ingest.
    """
    spans = data_currency(con, country=country, kinds=("events", "aggregates"))
    if source is not None:
        spans_of = [s for s in spans if s.source == source]
        if any(months_covered(s, period) for s in spans_of):
            return source, spans_of[0].kind
        message = no_data_message(
            spans, period, lang, country=country, suggest=[source, "acled-hdx"]
        )
        others = sorted({s.source for s in spans if months_covered(s, period)})
        if others:
            t = translator(lang)
            message += " " + t.gettext("These months are in %(sources)s: --source %(name)s.") % {
                "sources": ", ".join(source_label(o, lang) for o in others),
                "name": others[0],
            }
        raise NoDataError(message)
    best: dict[tuple[str, str], int] = {}
    for span in spans:
        key = (span.source, span.kind)
        best[key] = max(best.get(key, 0), months_covered(span, period))
    ranked = sorted(
        ((n, kind == "events", name) for (name, kind), n in best.items() if n), reverse=True
    )
    if not ranked:
        raise NoDataError(no_data_message(spans, period, lang, country=country))
    months, is_events, name = ranked[0]
    tied = [r[2] for r in ranked if r[0] == months and r[1] and is_events]
    if len(tied) > 1:
        raise UsageError(
            f"the store holds events of {', '.join(sorted(tied))} for {country} {period}: "
            "choose one with --source"
        )
    return name, "events" if is_events else "aggregates"


def run_situation(
    con: duckdb.DuckDBPyConnection,
    country: str,
    period: str,
    out: Path,
    *,
    source: str | None = None,
    boundaries: Path | None = None,
    lang: Lang = "en",
    step: Step = no_step,
) -> SituationRun:
    """The picture of ``country`` over ``period`` (``YYYY-MM..YYYY-MM``), written to ``out``.

    ``source`` is an event source (``ged``, ``acled``...) or an aggregate source
    (``acled-hdx``); None picks what covers the period (see
    :func:`pick_situation_source`). Events give the event picture of
    :func:`sentinelle.actors.situation`; aggregates the picture of
    :func:`~sentinelle.actors.situation.aggregate_situation` (by region and admin-2
    unit, trend, top units, against the year before; EN and FR charts). Every file
    says how far its data goes. A period no source covers raises
    :class:`~sentinelle.errors.NoDataError` naming which source covers which months
    (in ``lang``) and what to ingest; no file is written then.

    Examples
    --------
    >>> run_situation(con, "MLI", "2023-07..2024-06", Path("out/mli"))  # doctest: +SKIP
    """
    country = country.upper()
    chosen, kind = pick_situation_source(con, country, period, source, lang=lang)
    coverage = data_currency(con, country=country, kinds=(kind,), sources=[chosen])
    currency: dict[Lang, str] = {lg: currency_line(coverage, lg) for lg in LANGS}
    step(f"situation {country} {period} ({chosen})")
    if kind == "aggregates":
        picture = aggregate_situation(con, country, period, source=chosen, lang=lang)
        files = write_aggregate_situation(picture, out)
        return SituationRun(None, files, chosen, picture, coverage, currency)
    events = situation(con, country, period, source=chosen)
    files = write_situation(events, out, boundaries=boundaries, currency=coverage)
    return SituationRun(events, files, chosen, None, coverage, currency)
