"""The situational picture of a country over a period: tables, charts and a map.

:func:`situation` computes the tables from the ``events`` table; :func:`write_situation`
writes them as CSV with PNG charts (trends by violence type, civilian harm) and a map
(events sized by fatalities on the country outline).

Where the store holds no events for the period but subnational monthly aggregates
(ACLED's HDX workbooks, table ``admin_aggregates``), :func:`aggregate_situation`
gives the picture those allow: fatalities and events by admin-1 region and by
admin-2 unit (a cercle in Mali, a province in Burkina Faso), the trend by month and
the top units, each against the same months a year before;
:func:`write_aggregate_situation` writes it as CSV, EN and FR charts and summaries.

Every file written says how far its data goes (:mod:`sentinelle.store.currency`):
the charts in a footer, the CSVs in ``source`` and ``data_to`` columns, and
``data_currency.txt`` in EN and FR.

Several sources may describe the same events (UCDP GED and ACLED): ``source`` picks
one, since summing both would double count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import duckdb
import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # file output only; no display on servers
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sentinelle.actors.registry import Registry, load_registry, register_sides
from sentinelle.errors import NoDataError
from sentinelle.geo import month_string, parse_period
from sentinelle.geo.boundaries import default_boundaries, read_country_outlines
from sentinelle.i18n import LANGS, Lang, Translator, country_name, translator
from sentinelle.places import DEFAULT_UNIT_WORDS, UNIT_WORDS
from sentinelle.store.aggregates import current_aggregates
from sentinelle.store.currency import (
    SERIES_LABELS,
    Coverage,
    currency_line,
    data_currency,
    months_covered,
    no_data_message,
)
from sentinelle.store.queries import period_dates, scope_sql
from sentinelle.tables import write_csv

# PRIO-GRID cell id of a point (see sentinelle.geo.priogrid), as SQL.
_GID_SQL = "(floor((latitude + 90) * 2) * 720 + floor((longitude + 180) * 2) + 1)::BIGINT"


@dataclass
class Situation:
    """Tables of the situational picture; see :func:`situation`."""

    country_iso3: str
    period: str
    trends: pd.DataFrame
    hotspots_admin2: pd.DataFrame
    hotspots_cells: pd.DataFrame
    lethal_events: pd.DataFrame
    new_actors: pd.DataFrame
    new_areas: pd.DataFrame
    civilian_harm: pd.DataFrame
    events: pd.DataFrame


def situation(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str,
    *,
    source: str = "ged",
    top: int = 10,
    registry: Registry | None = None,
) -> Situation:
    """Compute the situational picture of ``country_iso3`` over ``period``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    country_iso3 : str
        E.g. ``'MLI'``.
    period : str
        ``'YYYY-MM..YYYY-MM'``, both ends included.
    source : str
        Event source to describe (``'ged'``, ``'ged_candidate'`` or ``'acled'``).
    top : int
        Number of hotspots and most lethal events listed.
    registry : Registry, optional
        Actor registry (defaults to the shipped one) for new actors.

    Returns
    -------
    Situation
        ``trends`` (month x violence type: events, fatalities); ``hotspots_admin2`` and
        ``hotspots_cells`` (PRIO-GRID gid) by fatalities; ``lethal_events``;
        ``new_actors`` (first event in the country within the period); ``new_areas``
        (admin2 with events in the period and none in the 12 months before it);
        ``civilian_harm`` (per month: civilian deaths, one-sided events and deaths);
        ``events`` (the points of the map).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> s = situation(open_store(":memory:"), "MLI", "2023-07..2024-06")
    >>> s.trends.empty
    True
    """
    where, params = scope_sql(country_iso3, period)
    where += " AND source = ? AND NOT deleted"
    params.append(source)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sit AS SELECT * FROM events WHERE {where}", params)

    def q(sql: str, args: list[object] | None = None) -> pd.DataFrame:
        return con.execute(sql, args or []).df()

    trends = q(
        """
        SELECT strftime(date_start, '%Y-%m') AS month, violence_type::VARCHAR AS violence_type,
               count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities
        FROM _sit GROUP BY ALL ORDER BY month, violence_type
        """
    )
    hotspots_admin2 = q(
        f"""
        SELECT admin1, admin2, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM _sit GROUP BY ALL ORDER BY fatalities DESC, events DESC LIMIT {int(top)}
        """
    )
    hotspots_cells = q(
        f"""
        SELECT {_GID_SQL} AS gid, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM _sit WHERE latitude IS NOT NULL AND longitude IS NOT NULL
        GROUP BY ALL ORDER BY fatalities DESC, events DESC LIMIT {int(top)}
        """
    )
    lethal_events = q(
        f"""
        SELECT source_event_id, date_start, admin1, admin2, location_name,
               violence_type::VARCHAR AS violence_type, side_a, side_b, fatalities_best,
               civilian_deaths
        FROM _sit ORDER BY fatalities_best DESC, date_start LIMIT {int(top)}
        """
    )
    civilian_harm = q(
        """
        SELECT strftime(date_start, '%Y-%m') AS month,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths,
               count(*) FILTER (WHERE violence_type = 'one_sided') AS one_sided_events,
               coalesce(sum(fatalities_best) FILTER (WHERE violence_type = 'one_sided'), 0)::BIGINT
                   AS one_sided_fatalities
        FROM _sit GROUP BY ALL ORDER BY month
        """
    )
    events = q(
        "SELECT latitude, longitude, fatalities_best, violence_type::VARCHAR AS violence_type "
        "FROM _sit"
    )

    start, _ = period_dates(period)
    country_where, country_params = scope_sql(country_iso3)
    country_where += " AND source = ?"
    country_params.append(source)
    new_areas = q(
        f"""
        WITH scoped AS (SELECT * FROM events WHERE {country_where} AND NOT deleted)
        SELECT admin1, admin2, count(*) AS events, sum(fatalities_best)::BIGINT AS fatalities,
               min(date_start) AS first_event
        FROM _sit
        WHERE admin2 IS NOT NULL AND admin2 NOT IN (
            SELECT admin2 FROM scoped WHERE admin2 IS NOT NULL
              AND date_start >= ? - INTERVAL 12 MONTH AND date_start < ?
        )
        GROUP BY ALL ORDER BY fatalities DESC, admin2
        """,
        [*country_params, start, start],
    )
    register_sides(con, registry or load_registry())
    new_actors = q(
        f"""
        SELECT actor, actor_id, actor_type, min(date_start) AS first_seen,
               count(DISTINCT source_event_id) AS events, sum(fatalities_best)::BIGINT AS fatalities
        FROM actor_sides WHERE {country_where}
        GROUP BY ALL
        HAVING min(date_start) >= ? AND min(date_start) <= ?
        ORDER BY first_seen, actor
        """,
        [*country_params, *period_dates(period)],
    )
    con.execute("DROP TABLE _sit")
    return Situation(
        country_iso3,
        period,
        trends,
        hotspots_admin2,
        hotspots_cells,
        lethal_events,
        new_actors,
        new_areas,
        civilian_harm,
        events,
    )


def _outline(country_iso3: str, boundaries: str | Path | None) -> gpd.GeoDataFrame:
    """Country outline from a Natural Earth file (the pyogrio copy when None)."""
    shapes = read_country_outlines(boundaries)
    outline = shapes[shapes["iso3"] == country_iso3]
    if outline.empty:
        raise NoDataError(f"{boundaries or default_boundaries()}: no outline for {country_iso3}")
    return outline


def write_situation(
    sit: Situation,
    out_dir: str | Path,
    *,
    boundaries: str | Path | None = None,
    currency: Sequence[Coverage] = (),
) -> list[Path]:
    """Write the tables as CSV and the charts and map as PNG into ``out_dir``.

    Parameters
    ----------
    sit : Situation
        From :func:`situation`.
    out_dir : str or pathlib.Path
        Created if missing.
    boundaries : str or pathlib.Path, optional
        Country outlines (e.g. ``naturalearth_10m_africa_admin0.geojson``); default:
        the Natural Earth low-resolution shapes inside the pyogrio wheel.
    currency : sequence of Coverage
        How far the data goes (see :func:`sentinelle.store.currency.data_currency`):
        in each chart's footer, the CSVs' ``source`` and ``data_to`` columns and
        ``data_currency.txt``; nothing is said when empty.

    Returns
    -------
    list of pathlib.Path
        The files written: one CSV per table, ``trends.png``, ``civilian_harm.png``,
        ``map.png`` (and ``data_currency.txt`` with ``currency``).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> s = situation(open_store(":memory:"), "MLI", "2023-07..2024-06")
    >>> sorted(p.name for p in write_situation(s, "/tmp/sit"))[-1]
    'trends.png'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for f in fields(sit):
        value = getattr(sit, f.name)
        if isinstance(value, pd.DataFrame):
            path = out / f"{f.name}.csv"
            write_csv(_with_currency(value, currency), path)
            written.append(path)
    if currency:
        written.append(_write_currency(currency, out))
    label = f"{sit.country_iso3}, {sit.period}"
    footer = _footer(currency, "en")

    fig, ax = plt.subplots(figsize=(10, 4))
    if not sit.trends.empty:
        sit.trends.pivot_table(
            index="month", columns="violence_type", values="fatalities", aggfunc="sum"
        ).plot(ax=ax, marker="o")
    ax.set(title=f"Fatalities by violence type, {label}", xlabel="month", ylabel="fatalities")
    written.append(_save(fig, out / "trends.png", footer))

    fig, ax = plt.subplots(figsize=(10, 4))
    if not sit.civilian_harm.empty:
        sit.civilian_harm.plot.bar(x="month", y="civilian_deaths", ax=ax, color="#d62728")
    ax.set(title=f"Civilian deaths, {label}", xlabel="month", ylabel="deaths")
    written.append(_save(fig, out / "civilian_harm.png", footer))

    fig, ax = plt.subplots(figsize=(8, 8))
    _outline(sit.country_iso3, boundaries).boundary.plot(ax=ax, color="black", linewidth=0.8)
    for vtype, group in sit.events.groupby("violence_type"):
        ax.scatter(
            group["longitude"],
            group["latitude"],
            s=5 + 3 * group["fatalities_best"].clip(upper=200),
            alpha=0.5,
            label=str(vtype),
        )
    if not sit.events.empty:
        ax.legend(title="violence type (size: fatalities)", fontsize=8)
    ax.set(title=f"Events, {label}", xlabel="longitude", ylabel="latitude")
    written.append(_save(fig, out / "map.png", footer))
    return written


def _save(fig: Figure, path: Path, footer: str = "") -> Path:
    if footer:
        fig.text(0.01, -0.02, footer, ha="left", va="top", fontsize=8, color="#555555")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _currency_frame_columns(currency: Sequence[Coverage]) -> tuple[str, str] | None:
    """The ``source`` and ``data_to`` values of the CSVs: labels and the last month."""
    if not currency:
        return None
    labels = ", ".join(dict.fromkeys(span.label for span in currency))
    return labels, month_string(max(span.last_month for span in currency))


def _with_currency(frame: pd.DataFrame, currency: Sequence[Coverage]) -> pd.DataFrame:
    """``frame`` with the ``source`` and ``data_to`` columns of :func:`_currency_frame_columns`."""
    values = _currency_frame_columns(currency)
    if values is None:
        return frame
    return frame.assign(source=values[0], data_to=values[1])


def _footer(currency: Sequence[Coverage], lang: Lang) -> str:
    if not currency:
        return ""
    t = translator(lang)
    return t.gettext("Data: %(currency)s") % {"currency": currency_line(currency, lang)}


def _write_currency(currency: Sequence[Coverage], out: Path) -> Path:
    path = out / "data_currency.txt"
    path.write_text("".join(_footer(currency, lang) + "\n" for lang in LANGS), encoding="utf-8")
    return path


# What each country calls its admin units (reader-facing, translated when shown): the
# one table of sentinelle.places, UNIT_WORDS and DEFAULT_UNIT_WORDS imported above.

# Columns of the tables of an aggregate situation.
_COMPARED = ["events", "fatalities", "events_year_before", "fatalities_year_before"]


@dataclass
class AggregateSituation:
    """The picture subnational monthly aggregates give; see :func:`aggregate_situation`."""

    country_iso3: str
    period: str
    source: str
    series: str
    level: int
    regions: pd.DataFrame
    units: pd.DataFrame
    top_units: pd.DataFrame
    trend: pd.DataFrame
    civilian_trend: pd.DataFrame
    coverage: list[Coverage] = field(default_factory=list)
    months_with_data: int = 0
    months_asked: int = 0
    year_before_complete: bool = False

    @property
    def totals(self) -> dict[str, float | None]:
        """Events and fatalities over the period and the same months a year before
        (``None`` for the year before when the data does not cover all of it)."""
        out: dict[str, float | None] = {
            "events": float(self.trend["events"].sum()),
            "fatalities": float(self.trend["fatalities"].sum()),
        }
        for column in ("events_year_before", "fatalities_year_before"):
            out[column] = float(self.trend[column].sum()) if self.year_before_complete else None
        return out


def aggregate_situation(
    con: duckdb.DuckDBPyConnection,
    country_iso3: str,
    period: str,
    *,
    source: str = "acled-hdx",
    series: str = "political_violence",
    top: int = 10,
    lang: Lang = "en",
) -> AggregateSituation:
    """The situation of ``country_iso3`` over ``period`` from subnational monthly aggregates.

    Reads the current values of ``admin_aggregates`` (the latest as-of version of each
    unit-month). Admin-2 rows are used where the store holds them (regions are then
    their sums by admin-1 P-code), admin-1 rows otherwise. Every table compares the
    period with the same months a year before; a month whose year-before month the
    data does not cover has no comparison (empty cells), never a zero.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    country_iso3 : str
        E.g. ``'MLI'``.
    period : str
        ``'YYYY-MM..YYYY-MM'``, both ends included.
    source, series : str
        The aggregates to read; ``civilian_trend`` reads ``civilian_targeting`` of the
        same source where it is stored.
    top : int
        Number of admin-2 units in ``top_units``.
    lang : {'en', 'fr'}
        Language of the no-data message.

    Returns
    -------
    AggregateSituation
        ``regions`` (per admin-1: ``admin1_pcode, admin1``, then events, fatalities,
        their year-before values and ``fatalities_change``); ``units`` (per admin-2, the
        same with ``pcode, name``; empty for admin-1-only data); ``top_units`` (the
        ``top`` units by fatalities); ``trend`` (per month of the period with data:
        ``month``, the same four counts); ``civilian_trend`` (likewise for civilian
        targeting, or empty); ``coverage`` (what the source covers in the country).

    Raises
    ------
    NoDataError
        When the aggregates cover no month of the period: the message says which
        source covers which months and what to ingest.
    """
    iso3 = country_iso3.upper()
    months = parse_period(period)
    coverage = [
        s for s in data_currency(con, country=iso3, kinds=("aggregates",)) if s.source == source
    ]
    main = [s for s in coverage if s.series == series]
    if not any(months_covered(s, period) for s in main):
        spans = data_currency(con, country=iso3, kinds=("events", "aggregates"))
        raise NoDataError(no_data_message(spans, period, lang, country=iso3, suggest=[source]))
    level = max(int(s.level or 1) for s in main if months_covered(s, period))
    span = next(s for s in main if s.level == level)
    rows = current_aggregates(con, source=source, series=series, iso3=iso3, level=level)
    first_prior = months.start - 12
    rows = rows[(rows["month_id"] >= first_prior) & (rows["month_id"] < months.stop)]
    with_data = [m for m in months if span.covers(m)]
    prior_ok = all(span.covers(m - 12) for m in with_data)
    trend = _compare(rows, [], with_data, span)
    if level == 1:
        rows = rows.assign(admin1_pcode=rows["pcode"], admin1_name=rows["name"])
    regions = _compare(rows, ["admin1_pcode", "admin1_name"], with_data, span)
    regions = regions.rename(columns={"admin1_name": "admin1"})
    if level >= 2:
        units = _compare(rows, ["admin1_name", "pcode", "name"], with_data, span)
        units = units.rename(columns={"admin1_name": "admin1"})
    else:
        units = pd.DataFrame(columns=["admin1", "pcode", "name", *_COMPARED, "fatalities_change"])
    civilian = pd.DataFrame(columns=["month", *_COMPARED])
    if series != "civilian_targeting":
        civ_spans = [s for s in coverage if s.series == "civilian_targeting" and s.level == level]
        if civ_spans:
            civ_rows = current_aggregates(
                con, source=source, series="civilian_targeting", iso3=iso3, level=level
            )
            civ_months = [m for m in months if civ_spans[0].covers(m)]
            civilian = _compare(civ_rows, [], civ_months, civ_spans[0])
    return AggregateSituation(
        country_iso3=iso3,
        period=period,
        source=source,
        series=series,
        level=level,
        regions=regions,
        units=units,
        top_units=units.head(int(top)).reset_index(drop=True),
        trend=trend,
        civilian_trend=civilian,
        coverage=coverage,
        months_with_data=len(with_data),
        months_asked=len(months),
        year_before_complete=prior_ok and bool(with_data),
    )


def _compare(
    rows: pd.DataFrame, keys: list[str], months: list[int], span: Coverage
) -> pd.DataFrame:
    """Events and fatalities over ``months`` by ``keys`` (by month when empty), and over
    the same months a year before where ``span`` covers them (else missing)."""
    now = rows[rows["month_id"].isin(months)]
    prior_months = [m - 12 for m in months if span.covers(m - 12)]
    before = rows[rows["month_id"].isin(prior_months)].assign(month_id=lambda f: f["month_id"] + 12)
    by = keys or ["month_id"]
    current = now.groupby(by, dropna=False)[["events", "fatalities"]].sum()
    prior = before.groupby(by, dropna=False)[["events", "fatalities"]].sum()
    prior.columns = ["events_year_before", "fatalities_year_before"]
    table = current.join(prior, how="left").reset_index()
    complete = len(prior_months) == len(months)
    for column in ("events_year_before", "fatalities_year_before"):
        table[column] = table[column].astype("Int64")
        if keys and not complete:
            table[column] = pd.array([pd.NA] * len(table), dtype="Int64")
    for column in ("events", "fatalities"):
        table[column] = table[column].astype("int64")
    if keys:
        table["fatalities_change"] = table["fatalities"] - table["fatalities_year_before"]
        return table.sort_values(
            ["fatalities", "events", *keys], ascending=[False, False, *[True] * len(keys)]
        ).reset_index(drop=True)
    table.insert(0, "month", [month_string(int(m)) for m in table.pop("month_id")])
    return table


def _period_text(period: str, t: Translator) -> str:
    months = parse_period(period)
    return t.gettext("%(first)s to %(last)s") % {
        "first": t.month(months.start),
        "last": t.month(months.stop - 1),
    }


def aggregate_summary(sit: AggregateSituation, lang: Lang) -> str:
    """The picture in a few sentences for a reader, in ``lang``, ending with the data's currency."""
    t = translator(lang)
    region_word, unit_word = UNIT_WORDS.get(sit.country_iso3, DEFAULT_UNIT_WORDS)
    totals = sit.totals
    args: dict[str, str] = {
        "place": country_name(sit.country_iso3, lang),
        "period": _period_text(sit.period, t),
        "series": t.gettext(SERIES_LABELS.get(sit.series, sit.series)),
        "fatalities": t.number(totals["fatalities"] or 0),
        "events": t.number(totals["events"] or 0),
    }
    lines = [
        t.gettext(
            "%(place)s, %(period)s (%(series)s): %(fatalities)s fatalities in %(events)s events."
        )
        % args
    ]
    before = totals["fatalities_year_before"]
    if before is not None:
        change = (
            t.percent(((totals["fatalities"] or 0) - before) / before, sign=True) if before else "—"
        )
        lines.append(
            t.gettext("Same months a year before: %(before)s fatalities (%(change)s).")
            % {"before": t.number(before), "change": change}
        )
    if not sit.civilian_trend.empty:
        lines.append(
            t.gettext("Civilian targeting: %(fatalities)s fatalities in %(events)s events.")
            % {
                "fatalities": t.number(int(sit.civilian_trend["fatalities"].sum())),
                "events": t.number(int(sit.civilian_trend["events"].sum())),
            }
        )
    if sit.months_with_data < sit.months_asked:
        lines.append(
            t.gettext("Only %(n)s of the %(total)s months asked have data.")
            % {"n": t.number(sit.months_with_data), "total": t.number(sit.months_asked)}
        )
    top = sit.top_units if not sit.top_units.empty else sit.regions
    if not top.empty:
        name_column = "name" if "name" in top.columns and not sit.top_units.empty else "admin1"
        word = unit_word if not sit.top_units.empty else region_word
        first = top.iloc[0]
        lines.append(
            t.gettext("Most fatalities: %(unit)s of %(name)s (%(fatalities)s).")
            % {
                "unit": t.gettext(word),
                "name": str(first[name_column]),
                "fatalities": t.number(int(first["fatalities"])),
            }
        )
    lines.append(_footer(sit.coverage, lang) + ".")
    return " ".join(lines)


def write_aggregate_situation(
    sit: AggregateSituation, out_dir: str | Path, *, langs: Sequence[Lang] = LANGS
) -> list[Path]:
    """Write the aggregate picture: CSVs, charts and summaries in each of ``langs``.

    Returns
    -------
    list of pathlib.Path
        ``regions.csv``, ``units.csv``, ``top_units.csv``, ``trend.csv``,
        ``civilian_trend.csv`` (each with ``source`` and ``data_to`` columns),
        ``data_currency.txt``, and per language ``summary_<lang>.txt``,
        ``trend_<lang>.png``, ``regions_<lang>.png``, ``top_units_<lang>.png`` (when
        there are admin-2 units) and ``civilian_trend_<lang>.png`` (when that series
        is stored).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("regions", "units", "top_units", "trend", "civilian_trend"):
        path = out / f"{name}.csv"
        write_csv(_with_currency(getattr(sit, name), sit.coverage), path)
        written.append(path)
    written.append(_write_currency(sit.coverage, out))
    region_word, unit_word = UNIT_WORDS.get(sit.country_iso3, DEFAULT_UNIT_WORDS)
    for lang in langs:
        t = translator(lang)
        summary = out / f"summary_{lang}.txt"
        summary.write_text(aggregate_summary(sit, lang) + "\n", encoding="utf-8")
        written.append(summary)
        footer = _footer(sit.coverage, lang)
        where = f"{country_name(sit.country_iso3, lang)}, {_period_text(sit.period, t)}"
        written.append(
            _save(_trend_chart(sit.trend, sit.series, where, t), out / f"trend_{lang}.png", footer)
        )
        if not sit.civilian_trend.empty:
            chart = _trend_chart(sit.civilian_trend, "civilian_targeting", where, t)
            written.append(_save(chart, out / f"civilian_trend_{lang}.png", footer))
        chart = _bar_chart(sit.regions, "admin1", region_word, where, t)
        written.append(_save(chart, out / f"regions_{lang}.png", footer))
        if not sit.top_units.empty:
            chart = _bar_chart(sit.top_units, "name", unit_word, where, t, top=True)
            written.append(_save(chart, out / f"top_units_{lang}.png", footer))
    return written


def _trend_chart(trend: pd.DataFrame, series: str, where: str, t: Translator) -> Figure:
    """Fatalities and events by month, against the same months a year before."""
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    x = range(len(trend))
    this, before = t.gettext("this period"), t.gettext("same months a year before")
    for ax, column, label in (
        (axes[0], "fatalities", t.gettext("fatalities")),
        (axes[1], "events", t.gettext("events")),
    ):
        ax.plot(x, trend[column], marker="o", color="#b2182b", label=this)
        prior = pd.to_numeric(trend[f"{column}_year_before"], errors="coerce")
        if prior.notna().any():
            ax.plot(x, prior, linestyle="--", marker=".", color="#777777", label=before)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[0].set_title(
        t.gettext("Fatalities and events by month (%(series)s), %(where)s")
        % {"series": t.gettext(SERIES_LABELS.get(series, series)), "where": where}
    )
    axes[1].set_xticks(list(x))
    axes[1].set_xticklabels(
        [t.month(str(m), short=True) for m in trend["month"]], rotation=45, ha="right"
    )
    axes[1].set_xlabel(t.gettext("month"))
    return fig


def _bar_chart(
    table: pd.DataFrame, name: str, word: str, where: str, t: Translator, *, top: bool = False
) -> Figure:
    """Fatalities by unit, the period against the same months a year before."""
    shown = table.head(15).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.35 * max(len(shown), 1)))
    y = range(len(shown))
    ax.barh([i + 0.2 for i in y], shown["fatalities"], height=0.4, color="#b2182b",
            label=t.gettext("this period"))  # fmt: skip
    prior = pd.to_numeric(shown["fatalities_year_before"], errors="coerce")
    if prior.notna().any():
        ax.barh([i - 0.2 for i in y], prior.fillna(0), height=0.4, color="#bbbbbb",
                label=t.gettext("same months a year before"))  # fmt: skip
    ax.set_yticks(list(y))
    ax.set_yticklabels([str(v) for v in shown[name]])
    ax.set_xlabel(t.gettext("fatalities"))
    ax.legend(fontsize=8, loc="lower right")
    title = (
        t.gettext("Fatalities by %(unit)s: the %(n)s highest, %(where)s")
        % {"unit": t.gettext(word), "n": t.number(len(shown)), "where": where}
        if top
        else t.gettext("Fatalities by %(unit)s, %(where)s")
        % {"unit": t.gettext(word), "where": where}
    )
    ax.set_title(title)
    return fig


__all__ = [
    "AggregateSituation",
    "Situation",
    "aggregate_situation",
    "aggregate_summary",
    "situation",
    "write_aggregate_situation",
    "write_situation",
]
