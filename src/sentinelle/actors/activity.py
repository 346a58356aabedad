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
* Civilians are the targets of violence: :func:`rank_actors` ranks armed actors
  without them and :func:`targets` lists them apart.

Tables keep the canonical (English) names as keys; readers see the names of their
language (:func:`sentinelle.actors.registry.localise_actors`), and the network drawing
(:func:`network_drawing`, :func:`plot_network`) labels actors by their short names.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import networkx as nx
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sentinelle.actors.registry import (
    TARGET_TYPES,
    UNMATCHED_TYPE,
    Registry,
    actor_type_label,
    load_registry,
    register_sides,
    short_name,
)
from sentinelle.errors import UsageError
from sentinelle.i18n import Lang, translator
from sentinelle.store.queries import Freq, freq_sql, scope_sql

# Node colours of network plots, by actor type.
TYPE_COLOURS = {
    "state": "#1f77b4",
    "rebel": "#ff7f0e",
    "jihadist": "#d62728",
    "militia": "#8c564b",
    "foreign": "#9467bd",
    "peacekeeping": "#17becf",
    "unidentified": "#e377c2",
    "protesters": "#aec7e8",
    "rioters": "#ffbb78",
    "civilians": "#7f7f7f",
    "unmatched": "#bcbd22",
}
# How many actors a network drawing shows by default (the most lethal; targets apart).
NETWORK_TOP = 15


def rank_actors(activity: pd.DataFrame) -> pd.DataFrame:
    """Armed actors of an :func:`actor_activity` table, most lethal first, without the
    targets of violence (civilians: see :func:`targets`).

    Examples
    --------
    >>> table = pd.DataFrame({"actor": ["Civilians", "JNIM"], "actor_type": ["civilians",
    ...     "jihadist"], "fatalities": [90, 40], "events": [9, 4]})
    >>> rank_actors(table)["actor"].tolist()
    ['JNIM']
    """
    armed = activity[~activity["actor_type"].isin(TARGET_TYPES)]
    return armed.sort_values(["fatalities", "events"], ascending=False, kind="stable")


def targets(activity: pd.DataFrame) -> pd.DataFrame:
    """The targets of violence (civilians) of an :func:`actor_activity` table."""
    hit = activity[activity["actor_type"].isin(TARGET_TYPES)]
    return hit.sort_values(["fatalities", "events"], ascending=False, kind="stable")


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


@dataclass(frozen=True)
class NetworkDrawing:
    """What a network picture shows, decided before any drawing (and tested as such).

    ``graph`` holds the actors shown: the ``top`` most lethal armed actors and the
    targets (civilians) they attacked, with the edges among them. ``labels`` are the
    short names in the drawing's language, ``colours`` the node colours by type,
    ``widths`` the edge widths (proportional to fatalities), ``sizes`` the node areas
    (by fatalities of the node's events), ``positions`` the layout, ``legend`` the types
    present in words with their colours, ``left_out`` how many actors were not shown.
    """

    graph: nx.Graph
    labels: dict[str, str]
    colours: dict[str, str]
    widths: dict[tuple[str, str], float]
    sizes: dict[str, float]
    positions: dict[str, tuple[float, float]]
    legend: list[tuple[str, str]]
    title: str
    note: str
    left_out: int


def _involvement(graph: nx.Graph, node: str) -> tuple[int, int]:
    edges = [graph.edges[node, other] for other in graph[node]]
    return sum(e["fatalities"] for e in edges), sum(e["events"] for e in edges)


def network_drawing(
    graph: nx.Graph,
    lang: Lang = "en",
    *,
    top: int = NETWORK_TOP,
    title: str | None = None,
    period: str | None = None,
    registry: Registry | None = None,
) -> NetworkDrawing:
    """Choose and place what a readable picture of a dyad network shows.

    The ``top`` armed actors with most fatalities in their events (then most events)
    are kept, with the targets (civilians) linked to them; nodes sit on a circle
    grouped by type (so labels do not pile up), targets at the centre. Labels are short
    names in ``lang`` (:func:`~sentinelle.actors.registry.short_name`); a name outside
    the registry keeps its published spelling. The default title names ``period``
    (else the graph's own period, unless it sums all periods).
    """
    if top < 1:
        raise UsageError(f"top must be at least 1, got {top}")
    t = translator(lang)
    types = {n: str(k or UNMATCHED_TYPE) for n, k in graph.nodes(data="type")}
    armed = [n for n in graph.nodes if types[n] not in TARGET_TYPES]
    ranked = sorted(armed, key=lambda n: (*(-v for v in _involvement(graph, n)), str(n)))
    kept = set(ranked[:top])
    hit = {n for n in graph.nodes if types[n] in TARGET_TYPES and any(m in kept for m in graph[n])}
    shown = graph.subgraph(kept | hit).copy()
    shown.remove_edges_from(list(nx.selfloop_edges(shown)))  # fights within a group
    order = sorted(kept, key=lambda n: (types[n], ranked.index(n)))
    positions: dict[str, tuple[float, float]] = {}
    for i, node in enumerate(order):
        angle = math.pi / 2 - 2 * math.pi * i / max(len(order), 1)
        positions[node] = (math.cos(angle), math.sin(angle))
    for j, node in enumerate(sorted(hit)):
        positions[node] = (0.0, -0.15 * j)
    most = max([f for *_, f in shown.edges(data="fatalities")] + [1])
    widths = {(a, b): 0.6 + 8.0 * f / most for a, b, f in shown.edges(data="fatalities")}
    involvement = {n: _involvement(shown, n)[0] for n in shown.nodes}
    top_node = max([*involvement.values(), 1])
    sizes = {n: 150 + 1350 * math.sqrt(v / top_node) for n, v in involvement.items()}
    present = {types[n] for n in shown.nodes}
    legend = [
        (actor_type_label(kind, lang), colour)
        for kind, colour in TYPE_COLOURS.items()
        if kind in present
    ]
    period = period or str(graph.graph.get("period", "all"))
    default = (
        t.gettext("Who fought whom") if period == "all"
        else t.gettext("Who fought whom, %(period)s") % {"period": period}
    )  # fmt: skip
    left_out = len(armed) - len(kept)
    note = t.gettext("Line width: fatalities. Civilians (grey square) are targets.")
    if left_out:
        note += " " + t.ngettext(
            "%(n)d other actor not shown.", "%(n)d other actors not shown.", left_out
        ) % {"n": left_out}
    return NetworkDrawing(
        graph=shown,
        labels={n: short_name(n, lang, registry) for n in shown.nodes},
        colours={n: TYPE_COLOURS.get(types[n], TYPE_COLOURS[UNMATCHED_TYPE]) for n in shown},
        widths=widths,
        sizes=sizes,
        positions=positions,
        legend=legend,
        title=title or default,
        note=note,
        left_out=left_out,
    )


def network_figure(drawing: NetworkDrawing) -> Figure:
    """A matplotlib figure of a :func:`network_drawing` (the caller saves and closes it)."""
    fig = Figure(figsize=(11, 9))
    ax = fig.subplots()
    graph = drawing.graph
    if graph.number_of_nodes():
        pos = drawing.positions
        edges = list(graph.edges)
        nx.draw_networkx_edges(
            graph, pos, ax=ax, edgelist=edges, edge_color="#555555", alpha=0.45,
            width=[drawing.widths.get((a, b), drawing.widths.get((b, a), 1.0)) for a, b in edges],
        )  # fmt: skip
        for shape, nodes in (
            ("o", [n for n in graph if graph.nodes[n].get("type") not in TARGET_TYPES]),
            ("s", [n for n in graph if graph.nodes[n].get("type") in TARGET_TYPES]),
        ):
            if nodes:
                nx.draw_networkx_nodes(
                    graph, pos, ax=ax, nodelist=nodes, node_shape=shape,
                    node_color=[drawing.colours[n] for n in nodes],
                    node_size=[drawing.sizes[n] for n in nodes], edgecolors="white",
                )  # fmt: skip
        for node, (x, y) in pos.items():
            outside = math.hypot(x, y) > 0.5
            ha = "center" if not outside or abs(x) < 0.2 else ("left" if x > 0 else "right")
            va = "center" if outside and abs(x) >= 0.2 else ("bottom" if y >= 0 else "top")
            offset = 1.12 if outside else 1.0
            ax.text(
                x * offset, y * offset - (0 if outside else 0.17), drawing.labels[node],
                ha=ha, va=va, fontsize=10,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            )  # fmt: skip
        handles = [
            Line2D([], [], marker="o", ls="", color=colour, markersize=9, label=label)
            for label, colour in drawing.legend
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9,
                  frameon=False)  # fmt: skip
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.35, 1.35)
    ax.set_title(drawing.title, fontsize=13)
    ax.text(0.0, -0.04, drawing.note, transform=ax.transAxes, fontsize=9, color="#333333")
    ax.axis("off")
    return fig


def plot_network(
    graph: nx.Graph,
    path: str | Path,
    *,
    title: str | None = None,
    lang: Lang = "en",
    top: int = NETWORK_TOP,
    period: str | None = None,
) -> Path:
    """Draw a dyad network to PNG, readably: the ``top`` most lethal actors labelled by
    their short names in ``lang``, node colour by actor type, edge width by fatalities,
    civilians as targets (see :func:`network_drawing`). The picture is deterministic.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = network_figure(network_drawing(graph, lang, top=top, title=title, period=period))
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path
