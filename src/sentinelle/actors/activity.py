"""Who is active where and when, who fights whom, and the dyad network over time.

Counting conventions (stated because they change the numbers):

* An event counts once for each actor party to it; its fatalities and civilian deaths
  are attributed to every party. ACLED and UCDP do not say who killed whom in a battle,
  so per-actor fatalities measure involvement, not responsibility.
* A dyad is an unordered pair of actors (sides a and b of one event); events with one
  side only have no dyad.
* Actors are canonical registry actors where matched, otherwise the published name
  (column ``matched`` says which): nothing is merged that the registry does not merge.
* Several sources may describe the same events (GED and ACLED): pass ``source`` to
  count one of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # file output only; no display on servers
import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
from matplotlib.lines import Line2D

from sentinelle.actors.registry import Registry, load_registry, register_sides
from sentinelle.errors import UsageError
from sentinelle.store.queries import Freq, freq_sql, scope_sql

# Node colours of network plots, by actor type.
TYPE_COLOURS = {
    "state": "#1f77b4",
    "rebel": "#ff7f0e",
    "jihadist": "#d62728",
    "militia": "#8c564b",
    "foreign": "#9467bd",
    "peacekeeping": "#17becf",
    "civilians": "#7f7f7f",
    "unmatched": "#bcbd22",
}


def _sides_where(
    country_iso3: str | None, period: str | None, source: str | None
) -> tuple[str, list[object]]:
    where, params = scope_sql(country_iso3, period)
    if source is not None:
        where += " AND source = ?"
        params.append(source)
    return where, params


def actor_activity(
    con: duckdb.DuckDBPyConnection,
    *,
    country_iso3: str | None = None,
    period: str | None = None,
    freq: Freq = "month",
    admin_level: int | None = None,
    source: str | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """Events, fatalities and civilian deaths per actor, period and admin region.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store.
    country_iso3 : str, optional
        Restrict to one country (ISO3).
    period : str, optional
        ``'YYYY-MM..YYYY-MM'``, both ends included.
    freq : {'month', 'quarter', 'year', 'all'}
        Period of aggregation.
    admin_level : {None, 1, 2}
        Also break down by admin1 or admin1 and admin2.
    source : str, optional
        Count only this event source (e.g. ``'ged'``).
    registry : Registry, optional
        Defaults to the shipped registry.

    Returns
    -------
    pandas.DataFrame
        Columns ``actor, actor_id, actor_type, matched, period, [admin1, [admin2]],
        events, fatalities, civilian_deaths``.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> actor_activity(open_store(":memory:"), country_iso3="MLI", freq="year").empty
    True
    """
    if admin_level not in (None, 1, 2):
        raise UsageError(f"admin_level must be None, 1 or 2, got {admin_level!r}")
    register_sides(con, registry or load_registry())
    where, params = _sides_where(country_iso3, period, source)
    admin = ["admin1", "admin2"][: admin_level or 0]
    admin_cols = "".join(f", {c}" for c in admin)
    return con.execute(
        f"""
        SELECT actor, actor_id, actor_type, actor_id IS NOT NULL AS matched,
               {freq_sql(freq)} AS period{admin_cols},
               count(DISTINCT source || '/' || source_event_id) AS events,
               sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM actor_sides WHERE {where}
        GROUP BY ALL ORDER BY period{admin_cols}, fatalities DESC, actor
        """,
        params,
    ).df()


def dyads(
    con: duckdb.DuckDBPyConnection,
    *,
    country_iso3: str | None = None,
    period: str | None = None,
    freq: Freq = "year",
    source: str | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """Who fights whom: events, fatalities and civilian deaths per actor pair and period.

    Returns
    -------
    pandas.DataFrame
        Columns ``period, actor_1, actor_2, type_1, type_2, events, fatalities,
        civilian_deaths``; ``actor_1 < actor_2`` (pairs are unordered).

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> dyads(open_store(":memory:"), country_iso3="MLI", period="2023-07..2024-06").empty
    True
    """
    register_sides(con, registry or load_registry())
    where, params = _sides_where(country_iso3, period, source)
    label = freq_sql(freq).replace("date_start", "a.date_start")
    return con.execute(
        f"""
        WITH a AS (SELECT * FROM actor_sides WHERE side = 'a' AND {where}),
        pairs AS (
            SELECT {label} AS period,
                   a.source, a.source_event_id, a.fatalities_best, a.civilian_deaths,
                   least(a.actor, b.actor) AS actor_1, greatest(a.actor, b.actor) AS actor_2,
                   CASE WHEN a.actor <= b.actor THEN coalesce(a.actor_type, 'unmatched')
                        ELSE coalesce(b.actor_type, 'unmatched') END AS type_1,
                   CASE WHEN a.actor <= b.actor THEN coalesce(b.actor_type, 'unmatched')
                        ELSE coalesce(a.actor_type, 'unmatched') END AS type_2
            FROM a JOIN actor_sides b
              ON b.side = 'b' AND b.source = a.source AND b.source_event_id = a.source_event_id
        )
        SELECT period, actor_1, actor_2, type_1, type_2, count(*) AS events,
               sum(fatalities_best)::BIGINT AS fatalities,
               coalesce(sum(civilian_deaths), 0)::BIGINT AS civilian_deaths
        FROM pairs GROUP BY ALL ORDER BY period, events DESC, actor_1, actor_2
        """,
        params,
    ).df()


def dyad_network(dyad_table: pd.DataFrame, period: str | None = None) -> nx.Graph:
    """The dyad network of one period (all periods summed if ``period`` is None).

    Nodes are actors (attribute ``type``); edges carry ``events``, ``fatalities`` and
    ``civilian_deaths``.

    Examples
    --------
    >>> rows = pd.DataFrame({"period": ["2019"], "actor_1": ["A"], "actor_2": ["B"],
    ...     "type_1": ["state"], "type_2": ["rebel"], "events": [2], "fatalities": [5],
    ...     "civilian_deaths": [0]})
    >>> dyad_network(rows, "2019").edges["A", "B"]["fatalities"]
    5
    """
    rows = dyad_table if period is None else dyad_table[dyad_table["period"] == period]
    totals = rows.groupby(["actor_1", "actor_2", "type_1", "type_2"], as_index=False)[
        ["events", "fatalities", "civilian_deaths"]
    ].sum()
    graph = nx.Graph(period=period or "all")
    for row in totals.to_dict("records"):
        graph.add_node(row["actor_1"], type=row["type_1"])
        graph.add_node(row["actor_2"], type=row["type_2"])
        graph.add_edge(
            row["actor_1"],
            row["actor_2"],
            events=int(row["events"]),
            fatalities=int(row["fatalities"]),
            civilian_deaths=int(row["civilian_deaths"]),
        )
    return graph


def dyad_networks(dyad_table: pd.DataFrame) -> dict[str, nx.Graph]:
    """The dyad network of each period of a :func:`dyads` table, in period order."""
    return {p: dyad_network(dyad_table, p) for p in sorted(dyad_table["period"].unique())}


def write_network(graph: nx.Graph | dict[str, nx.Graph], path: str | Path) -> Path:
    """Write a network as GraphML (``.graphml``) or node-link JSON (``.json``).

    A dict of networks (see :func:`dyad_networks`) is written as JSON only:
    ``{period: node-link graph}``, the network over time.

    Examples
    --------
    >>> write_network(nx.Graph(), "/tmp/empty.json").name
    'empty.json'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".graphml":
        if isinstance(graph, dict):
            raise UsageError("a network over time is written as .json, not .graphml")
        nx.write_graphml(graph, path)
    elif path.suffix == ".json":
        if isinstance(graph, dict):
            data: object = {p: nx.node_link_data(g, edges="links") for p, g in graph.items()}
        else:
            data = nx.node_link_data(graph, edges="links")
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    else:
        raise UsageError(f"{path}: expected a .graphml or .json file name")
    return path


def plot_network(graph: nx.Graph, path: str | Path, *, title: str | None = None) -> Path:
    """Draw a dyad network to PNG: node colour by actor type, edge width by fatalities.

    The layout is seeded, so the same network gives the same picture.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(10, 8))
    if graph.number_of_nodes():
        pos = nx.spring_layout(graph, seed=1, weight="events")
        colours = [TYPE_COLOURS.get(t, "#000000") for _, t in graph.nodes(data="type")]
        fatalities = [f for *_, f in graph.edges(data="fatalities")]
        top = max(max(fatalities, default=1), 1)
        widths = [0.5 + 6 * f / top for f in fatalities]
        nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, alpha=0.6)
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=400)
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=8)
        present = {t for _, t in graph.nodes(data="type")}
        handles = [
            Line2D([], [], marker="o", ls="", color=c, label=t)
            for t, c in TYPE_COLOURS.items()
            if t in present
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title(title or f"Dyads, {graph.graph.get('period', 'all')} (edge width: fatalities)")
    ax.axis("off")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
