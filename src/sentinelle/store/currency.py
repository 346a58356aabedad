"""Data currency: the months each source in a store covers, said the same way everywhere.

Every output of Sentinelle says how far the data it used goes ("ACLED (HDX) to
December 2024"), and a command asked about months no source covers says which source
covers which months and what to ingest, rather than showing nothing. This module
reads the spans and words both, for the command line, the briefing, the dashboard
and the main job alike:

- :func:`data_currency`: one :class:`Coverage` per source (per series, country and
  admin level for the subnational aggregates) from ``events``, ``admin_aggregates``,
  ``deployments`` and the VIEWS cm panel.
- :func:`panel_currency`: the last month of the data behind a stored panel (a panel
  built past its events would otherwise look current).
- :func:`currency_line`, :func:`no_data_message`: the reader-facing sentences, EN and
  FR through the catalogue, with the source names of :data:`SOURCE_LABELS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from sentinelle.errors import UsageError
from sentinelle.geo import month_id, parse_period, year_month
from sentinelle.geo.countries import iso3_from_name
from sentinelle.i18n import N_, Lang, Translator, country_name, translator
from sentinelle.store.aggregates import aggregate_coverage
from sentinelle.store.panels import panel_record
from sentinelle.store.queries import event_coverage

__all__ = [
    "INGEST_COMMANDS",
    "SERIES_LABELS",
    "SOURCE_LABELS",
    "Coverage",
    "Kind",
    "covering",
    "currency_line",
    "data_currency",
    "ingest_hint",
    "last_month",
    "months_covered",
    "no_data_message",
    "panel_currency",
    "source_label",
]

Kind = Literal["events", "aggregates", "deployments", "panel"]

# Reader-facing names of the stored sources (``events.source``, ``admin_aggregates
# .source``, ``deployments.source``, ``panels.source``). Proper names stay as the
# publishers write them; the words around them are translated when shown.
SOURCE_LABELS: dict[str, str] = {
    "acled-hdx": "ACLED (HDX)",
    "acled": "ACLED",
    "ged": "UCDP GED",
    "ged_candidate": "UCDP GED Candidate",
    "ged_extract": N_("UCDP GED (extract)"),
    "ged_candidate_extract": N_("UCDP GED Candidate (extract)"),
    "geopko_frontmap": "Geo-PKO",
    "geopko_full": "Geo-PKO",
    "geopko_raw": "Geo-PKO",
    "radpko": "RADPKO",
    "radpko_yearly": "RADPKO",
    "views-cm": "VIEWS (cm)",
}

# Names of the subnational aggregate series, translated when shown.
SERIES_LABELS: dict[str, str] = {
    "political_violence": N_("political violence"),
    "civilian_targeting": N_("civilian targeting"),
    "demonstrations": N_("demonstrations"),
}

# The command that stores more of a source (stored name -> `sentinelle ingest` line).
INGEST_COMMANDS: dict[str, str] = {
    "acled-hdx": "sentinelle ingest acled-hdx FILE",
    "acled": "sentinelle ingest acled FILE",
    "ged": "sentinelle ingest ged FILE",
    "ged_candidate": "sentinelle ingest ged-candidate FILE",
    "ged_extract": "sentinelle ingest ged FILE",
    "ged_candidate_extract": "sentinelle ingest ged-candidate FILE",
    "geopko_frontmap": "sentinelle ingest geopko FILE",
    "geopko_full": "sentinelle ingest geopko FILE",
    "geopko_raw": "sentinelle ingest geopko FILE",
    "radpko": "sentinelle ingest radpko FILE",
    "radpko_yearly": "sentinelle ingest radpko FILE",
    "views-cm": "sentinelle ingest views-cm DIR",
}


@dataclass(frozen=True)
class Coverage:
    """The months one source covers in the store (both ends included).

    ``first_month`` and ``last_month`` are VIEWS month ids (1 = January 1980).
    ``precision`` is ``'year'`` for yearly records (Geo-PKO's FrontMap): they cover
    January of the first year to December of the last, and are said by year.
    ``series``, ``iso3`` and ``level`` qualify subnational aggregates (``iso3`` also a
    country-scoped query); ``as_of`` is the publisher's latest as-of date stored.
    """

    source: str
    kind: Kind
    first_month: int
    last_month: int
    precision: Literal["month", "year"] = "month"
    series: str | None = None
    iso3: str | None = None
    level: int | None = None
    as_of: dt.date | None = None

    @property
    def label(self) -> str:
        """The reader-facing source name (untranslated; see :func:`source_label`)."""
        return SOURCE_LABELS.get(self.source, self.source)

    def covers(self, month: int) -> bool:
        """Whether VIEWS month ``month`` is within the span."""
        return self.first_month <= month <= self.last_month


def source_label(source: str, lang: Lang | None = None) -> str:
    """The reader-facing name of a stored source, in ``lang`` when given.

    Examples
    --------
    >>> source_label("acled-hdx"), source_label("ged"), source_label("geopko_frontmap")
    ('ACLED (HDX)', 'UCDP GED', 'Geo-PKO')
    >>> source_label("ged_extract", "fr")
    'UCDP GED (extrait)'
    """
    label = SOURCE_LABELS.get(source, source)
    return translator(lang).gettext(label) if lang else label


def _event_spans(con: duckdb.DuckDBPyConnection, iso3: str | None) -> list[Coverage]:
    return [
        Coverage(source, "events", first, last, iso3=iso3)
        for source, (first, last) in sorted(event_coverage(con, iso3).items())
    ]


def _aggregate_spans(con: duckdb.DuckDBPyConnection, iso3: str | None) -> list[Coverage]:
    frame = aggregate_coverage(con, iso3=iso3)
    spans = []
    for row in frame.to_dict("records"):
        as_of = row["as_of"]
        spans.append(
            Coverage(
                str(row["source"]),
                "aggregates",
                int(row["first_month"]),
                int(row["last_month"]),
                series=str(row["series"]),
                iso3=str(row["iso3"]),
                level=int(row["admin_level"]),
                as_of=None if pd.isna(as_of) else pd.Timestamp(as_of).date(),
            )
        )
    return spans


def _deployment_spans(con: duckdb.DuckDBPyConnection, iso3: str | None) -> list[Coverage]:
    rows = con.execute(
        "SELECT source, country, min(year), max(year), "
        "min(year * 12 + month) FILTER (WHERE month > 0), "
        "max(year * 12 + month) FILTER (WHERE month > 0), count(*) FILTER (WHERE month = 0) "
        "FROM deployments GROUP BY ALL"
    ).fetchall()
    spans: dict[str, list[tuple[int, int, bool]]] = {}
    for source, country, y0, y1, m0, m1, yearly in rows:
        if iso3 is not None:
            try:
                if iso3_from_name(str(country)) != iso3:
                    continue
            except (KeyError, ValueError):
                continue
        if int(yearly) or m0 is None:
            first, last, by_year = month_id(int(y0), 1), month_id(int(y1), 12), True
        else:
            first = month_id(int(m0 - 1) // 12, int(m0 - 1) % 12 + 1)
            last = month_id(int(m1 - 1) // 12, int(m1 - 1) % 12 + 1)
            by_year = False
        spans.setdefault(str(source), []).append((first, last, by_year))
    return [
        Coverage(
            source,
            "deployments",
            min(s[0] for s in parts),
            max(s[1] for s in parts),
            precision="year" if any(s[2] for s in parts) else "month",
            iso3=iso3,
        )
        for source, parts in sorted(spans.items())
    ]


def _views_spans(con: duckdb.DuckDBPyConnection) -> list[Coverage]:
    record = panel_record(con, "panel_cm")
    if record is None or record.get("source") != "views-cm":
        return []
    first, last = int(str(record["first_month"])), int(str(record["last_month"]))
    return [Coverage("views-cm", "panel", first, last)]


def data_currency(
    con: duckdb.DuckDBPyConnection,
    *,
    country: str | None = None,
    kinds: Iterable[Kind] = ("events", "aggregates", "deployments", "panel"),
    sources: Iterable[str] | None = None,
) -> list[Coverage]:
    """The months every source of the store covers (in ``country``, an ISO3 code).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    country : str, optional
        ISO3 code: events, aggregates and deployments in that country only. The VIEWS
        cm panel is global and listed whatever the country.
    kinds : iterable of {'events', 'aggregates', 'deployments', 'panel'}
        The tables to read: live events per source, current subnational aggregates
        per source, series, country and admin level, deployments per source, and the
        VIEWS cm panel (``panel_cm`` loaded by ``sentinelle ingest views-cm``).
    sources : iterable of str, optional
        Keep only these stored source names.

    Returns
    -------
    list of Coverage
        In the order events, aggregates, deployments, panel; sorted by source inside.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> data_currency(open_store(":memory:"))
    []
    """
    chosen = set(kinds)
    unknown = chosen - {"events", "aggregates", "deployments", "panel"}
    if unknown:
        raise UsageError(f"unknown coverage kind(s) {', '.join(sorted(unknown))}")
    iso3 = country.upper() if country else None
    spans: list[Coverage] = []
    if "events" in chosen:
        spans += _event_spans(con, iso3)
    if "aggregates" in chosen:
        spans += _aggregate_spans(con, iso3)
    if "deployments" in chosen:
        spans += _deployment_spans(con, iso3)
    if "panel" in chosen:
        spans += _views_spans(con)
    if sources is not None:
        keep = set(sources)
        spans = [s for s in spans if s.source in keep]
    return spans


def last_month(spans: Iterable[Coverage]) -> int | None:
    """The latest month any of ``spans`` covers (None when there is none)."""
    months = [s.last_month for s in spans]
    return max(months) if months else None


def months_covered(span: Coverage, period: str) -> int:
    """How many months of ``period`` (``YYYY-MM..YYYY-MM``) ``span`` covers."""
    months = parse_period(period)
    return max(0, min(span.last_month, months.stop - 1) - max(span.first_month, months.start) + 1)


def covering(spans: Iterable[Coverage], period: str) -> list[Coverage]:
    """The spans that cover at least one month of ``period``."""
    return [s for s in spans if months_covered(s, period) > 0]


def panel_currency(con: duckdb.DuckDBPyConnection, unit: str) -> Coverage | None:
    """The months of real data behind the stored ``unit`` panel (None: no panel).

    A panel may be built past the last month of its events (its later months are then
    zeros, not observations): the span ends at the earlier of the panel's last month
    and the last month its source holds in the panel's countries. A ``ged`` panel
    reads GED and, after it, GED Candidate; a VIEWS cm panel is its own data.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> panel_currency(open_store(":memory:"), "cm") is None
    True
    """
    record = panel_record(con, f"panel_{unit}")
    if record is None:
        return None
    source = str(record["source"])
    first, last = int(str(record["first_month"])), int(str(record["last_month"]))
    countries = record.get("countries")
    scopes: Sequence[str | None] = (
        [str(c) for c in countries] if isinstance(countries, list) and countries else [None]
    )
    names = {"ged": ("ged", "ged_candidate")}.get(source, (source,))
    held = [
        span.last_month
        for scope in scopes
        for span in data_currency(con, country=scope, kinds=("events", "aggregates"))
        if span.source in names
    ]
    # A panel whose source is no longer in the store has only its own months.
    if source != "views-cm" and held:
        last = min(last, max(held))
    return Coverage(source, "panel", first, last)


def _when(span: Coverage, t: Translator, *, end: bool = True) -> str:
    """The last (or first) month of a span as the reader says it."""
    month = span.last_month if end else span.first_month
    if span.precision == "year":
        return str(year_month(month)[0])
    return t.month(month)


def _qualifier(span: Coverage, t: Translator) -> str:
    parts = []
    if span.iso3:
        parts.append(country_name(span.iso3, t.lang))
    if span.series:
        parts.append(t.gettext(SERIES_LABELS.get(span.series, span.series.replace("_", " "))))
    return ", ".join(parts)


def _to(label: str, span: Coverage, t: Translator) -> str:
    if span.precision == "year":
        return t.gettext("%(source)s to %(year)s") % {"source": label, "year": _when(span, t)}
    return t.gettext("%(source)s to %(month)s") % {"source": label, "month": _when(span, t)}


def currency_line(spans: Sequence[Coverage], lang: Lang) -> str:
    """How far the data of ``spans`` goes, for a reader: one phrase per source.

    Spans of one source that end in the same month make one phrase; when they end in
    different months, each says its country and series.

    Examples
    --------
    >>> span = Coverage("acled-hdx", "aggregates", 205, 540, series="political_violence",
    ...                 iso3="MLI", level=2)
    >>> currency_line([span], "en"), currency_line([span], "fr")
    ('ACLED (HDX) to December 2024', "ACLED (HDX) jusqu'à décembre 2024")
    >>> currency_line([span, Coverage("geopko_frontmap", "deployments", 169, 540,
    ...                               precision="year")], "fr")
    "ACLED (HDX) jusqu'à décembre 2024 ; Geo-PKO jusqu'en 2024"
    """
    t = translator(lang)
    by_label: dict[str, list[Coverage]] = {}
    for span in spans:
        by_label.setdefault(t.gettext(span.label), []).append(span)
    phrases = []
    for label, group in by_label.items():
        ends = {(s.last_month, s.precision) for s in group}
        if len(ends) == 1:
            phrases.append(_to(label, max(group, key=lambda s: s.last_month), t))
            continue
        details = []
        for span in sorted(group, key=lambda s: (-s.last_month, s.iso3 or "", s.series or "")):
            qualifier = _qualifier(span, t)
            text = _to(label, span, t)
            details.append(f"{text} ({qualifier})" if qualifier else text)
        phrases.append(", ".join(details))
    return (" ; " if lang == "fr" else "; ").join(phrases)


def ingest_hint(sources: Iterable[str] = ()) -> str:
    """The ``sentinelle ingest`` commands that store more of ``sources`` (acled-hdx's,
    the subnational monthly data to the latest month, first when none is given)."""
    commands = [INGEST_COMMANDS[s] for s in sources if s in INGEST_COMMANDS]
    if not commands:
        commands = [INGEST_COMMANDS["acled-hdx"]]
    return " or ".join(f"`{c}`" for c in dict.fromkeys(commands))


def no_data_message(
    spans: Sequence[Coverage],
    period: str,
    lang: Lang,
    *,
    country: str | None = None,
    suggest: Sequence[str] = ("acled-hdx",),
) -> str:
    """One line for a period no source covers: which source covers which months, and
    what to ingest. Never "nothing to show" alone.

    Parameters
    ----------
    spans : sequence of Coverage
        What the store holds (from :func:`data_currency`, usually for the country).
    period : str
        ``YYYY-MM..YYYY-MM`` asked for.
    lang : {'en', 'fr'}
    country : str, optional
        ISO3 code asked for, named in the message.
    suggest : sequence of str
        Stored source names whose ingest command the message proposes.

    Examples
    --------
    >>> span = Coverage("acled", "events", 205, 490, iso3="MLI")
    >>> print(no_data_message([span], "2023-07..2024-06", "en", country="MLI"))
    No data for Mali, July 2023 to June 2024: ACLED covers January 1997 to October 2020. \
Ingest data for these months: `sentinelle ingest acled-hdx FILE`.
    """
    t = translator(lang)
    months = parse_period(period)
    first, last = t.month(months.start), t.month(months.stop - 1)
    where = country_name(country, lang) if country else None
    args = {"first": first, "last": last}
    if where:
        head = t.gettext("No data for %(place)s, %(first)s to %(last)s") % {**args, "place": where}
    else:
        head = t.gettext("No data for %(first)s to %(last)s") % args
    seen: dict[str, Coverage] = {}
    for span in spans:  # one phrase per source and span, widest first
        key = f"{span.label}|{span.first_month}|{span.last_month}|{span.precision}"
        seen.setdefault(key, span)
    held = [
        t.gettext("%(source)s covers %(first)s to %(last)s")
        % {
            "source": t.gettext(span.label),
            "first": _when(span, t, end=False),
            "last": _when(span, t),
        }
        for span in seen.values()
    ]
    if held:
        body = (" ; " if lang == "fr" else "; ").join(held)
    else:
        body = t.gettext("the store holds no data for it")
    hint = t.gettext("Ingest data for these months: %(commands)s.") % {
        "commands": ingest_hint(suggest).replace(" or ", " " + t.gettext("or") + " ")
    }
    colon = " : " if lang == "fr" else ": "
    return f"{head}{colon}{body}. {hint}"
