"""A briefing's charts and maps, drawn with matplotlib as PNG data URIs.

Pure functions of a collected :class:`~sentinelle.report.collect.Brief` and the
reader's :class:`~sentinelle.i18n.Translator` (legends, axes and month names are in
the briefing's language): :func:`draw_charts` gives the events map, the forecast risk
map, the trend chart, the forecast chart and the chart of subnational hotspots, each
as a ``data:image/png`` URI so the page embeds it and needs no file or network, or
None where the data do not allow it.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # briefings are written on headless machines
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sentinelle.geo.priogrid import CELL_SIZE
from sentinelle.i18n import Translator
from sentinelle.report.collect import Brief
from sentinelle.report.references import CM_THRESHOLD, PGM_THRESHOLD, VIOLENCE_LABELS
from sentinelle.store.schema import VIOLENCE_TYPES

__all__ = ["draw_charts"]

VIOLENCE_COLOURS = {
    "state_based": "#1f77b4",
    "non_state": "#ff7f0e",
    "one_sided": "#d62728",
    "other": "#7f7f7f",
}


def _png(fig: Figure) -> str:
    """The figure as a PNG data URI (and closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _base_map(brief: Brief, ax: Axes) -> None:
    assert brief.region is not None
    brief.shapes.boundary.plot(ax=ax, color="#888888", linewidth=0.5)
    own = brief.shapes[brief.shapes["iso3"] == brief.country_iso3]
    own.boundary.plot(ax=ax, color="black", linewidth=1.0)
    ax.set_xlim(brief.region[0], brief.region[2])
    ax.set_ylim(brief.region[1], brief.region[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels the axes with the CRS, in English
    ax.set_ylabel("")


def _events_map(brief: Brief, t: Translator) -> str:
    fig, ax = plt.subplots(figsize=(5, 4.5))
    _base_map(brief, ax)
    for vtype in VIOLENCE_TYPES:
        group = brief.events[brief.events["violence_type"] == vtype]
        if group.empty:
            continue
        ax.scatter(
            group["longitude"],
            group["latitude"],
            s=8 + 4 * group["fatalities"].clip(upper=100),
            color=VIOLENCE_COLOURS[vtype],
            alpha=0.6,
            edgecolor="black",
            linewidth=0.3,
            label=t.gettext(VIOLENCE_LABELS[vtype]),
        )
    if not brief.events.empty:
        ax.legend(
            title=t.gettext("point size: deaths"),
            fontsize=7,
            title_fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),  # below the map, where it hides no event
            ncols=2,
        )
    return _png(fig)


def _risk_map(brief: Brief, t: Translator) -> str:
    fig, ax = plt.subplots(figsize=(5, 4.5))
    cmap = plt.get_cmap("YlOrRd")
    mesh: ScalarMappable
    if brief.risk_unit == "pgm":
        assert brief.region is not None
        rows, cols = np.divmod(brief.risk["unit_id"].to_numpy(np.int64) - 1, 720)
        row0, col0 = rows.min(), cols.min()
        grid = np.full((rows.max() - row0 + 1, cols.max() - col0 + 1), np.nan)
        grid[rows - row0, cols - col0] = brief.risk["p_exceed"].to_numpy(float)
        lat_edges = (np.arange(grid.shape[0] + 1) + row0) * CELL_SIZE - 90
        lon_edges = (np.arange(grid.shape[1] + 1) + col0) * CELL_SIZE - 180
        mesh = ax.pcolormesh(lon_edges, lat_edges, grid, cmap=cmap, vmin=0, vmax=1, alpha=0.85)
        threshold = PGM_THRESHOLD
    else:
        shaded = brief.shapes.merge(brief.risk, left_on="views_id", right_on="unit_id")
        shaded.plot(ax=ax, column="p_exceed", cmap=cmap, vmin=0, vmax=1, alpha=0.85)
        mesh = ScalarMappable(cmap=cmap, norm=Normalize(0, 1))
        threshold = CM_THRESHOLD
    _base_map(brief, ax)
    label = t.ngettext(
        "probability of at least %(n)s death", "probability of at least %(n)s deaths", threshold
    ) % {"n": t.number(threshold)}
    fig.colorbar(mesh, ax=ax, shrink=0.7, label=label)
    return _png(fig)


def _aggregate_trend_chart(brief: Brief, t: Translator) -> str:
    """Deaths in political violence per month as bars; civilian targeting (a part of
    them, where the series exists) as a line over them."""
    table = brief.trends.pivot_table(
        index="month_id", columns="violence_type", values="fatalities", aggfunc="sum"
    ).sort_index()
    fig, ax = plt.subplots(figsize=(7.5, 3))
    x = np.arange(len(table))
    if "political_violence" in table.columns:
        ax.bar(x, table["political_violence"].to_numpy(float), color="#7a1f1f",
               label=t.gettext("Deaths in political violence"))  # fmt: skip
    if "civilian_targeting" in table.columns:
        ax.plot(x, table["civilian_targeting"].to_numpy(float), color=VIOLENCE_COLOURS["one_sided"],
                marker="o", ms=2, label=t.gettext("Deaths in attacks on civilians"))  # fmt: skip
    ticks = np.arange(0, len(table), 6)
    ax.set_xticks(ticks, [t.month(int(table.index[int(i)]), short=True) for i in ticks], fontsize=7)
    ax.set_ylabel(t.gettext("deaths per month"))
    ax.legend(fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _trend_chart(brief: Brief, t: Translator) -> str:
    if brief.trend_origin == "aggregates":
        return _aggregate_trend_chart(brief, t)
    table = brief.trends.pivot_table(
        index="month_id", columns="violence_type", values="fatalities", aggfunc="sum"
    ).sort_index()
    fig, ax = plt.subplots(figsize=(7.5, 3))
    bottom = np.zeros(len(table))
    for vtype in VIOLENCE_TYPES:
        if vtype in table.columns and table[vtype].sum() > 0:
            values = table[vtype].to_numpy(float)
            ax.bar(
                np.arange(len(table)),
                values,
                bottom=bottom,
                color=VIOLENCE_COLOURS[vtype],
                label=t.gettext(VIOLENCE_LABELS[vtype]),
            )
            bottom += values
    ticks = np.arange(0, len(table), 6)  # one label a half-year keeps them legible
    ax.set_xticks(ticks, [t.month(int(table.index[int(i)]), short=True) for i in ticks], fontsize=7)
    ax.set_ylabel(t.gettext("deaths per month"))
    ax.legend(fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _forecast_chart(brief: Brief, t: Translator) -> str:
    fig, ax = plt.subplots(figsize=(7.5, 3))
    history = brief.forecast_history
    months = list(history["month_id"]) + list(brief.forecast["month_id"])
    position = {m: i for i, m in enumerate(sorted(set(months)))}
    if not history.empty:
        ax.plot(
            history["month_id"].map(position),
            history["value"],
            color="black",
            label=t.gettext("observed"),
        )
    x = brief.forecast["month_id"].map(position)
    ax.fill_between(
        x, brief.forecast["q05"], brief.forecast["q95"], color="#fdae6b", alpha=0.6,
        label=t.gettext("forecast interval (90%)"),
    )  # fmt: skip
    ax.plot(x, brief.forecast["median"], color="#d94801", marker="o", ms=3,
            label=t.gettext("median"))  # fmt: skip
    labels = sorted(position)
    ticks = list(range(0, len(labels), 3 if len(labels) <= 18 else 6))
    ax.set_xticks(ticks, [t.month(int(labels[i]), short=True) for i in ticks], fontsize=7)
    ax.set_ylabel(t.gettext("deaths per month"))
    ax.legend(fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _hotspot_chart(brief: Brief, t: Translator) -> str | None:
    """The hotspot units of next month and of the next 12 months side by side: median
    and mean with the 90% interval of each unit's deaths (None: no unit to show)."""
    found = brief.hotspots
    if found is None or (found.next_month.empty and found.year.empty):
        return None
    first, last = found.months
    panels = [
        (found.next_month, t.month(found.month)),
        (found.year, f"{t.month(first, short=True)} \u2013 {t.month(last, short=True)}"),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.8))
    for ax, (frame, title) in zip(axes, panels, strict=True):
        y = np.arange(len(frame))[::-1]  # the unit with most deaths on top
        median = frame["median"].to_numpy(float)
        spread = np.vstack([median - frame["q05"].to_numpy(float),
                            frame["q95"].to_numpy(float) - median])  # fmt: skip
        ax.errorbar(median, y, xerr=spread.clip(min=0), fmt="o", color="#d94801", ms=4,
                    ecolor="#fdae6b", elinewidth=3, label=t.gettext("median"))  # fmt: skip
        ax.plot(frame["mean"].to_numpy(float), y, "x", color="black", ms=4,
                label=t.gettext("mean"))  # fmt: skip
        ax.set_yticks(y, frame["unit_name"].astype(str).tolist(), fontsize=7)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(t.gettext("deaths"), fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlim(left=0)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].legend(fontsize=6, loc="lower right")  # the caption names the bars
    fig.tight_layout()
    return _png(fig)


def draw_charts(brief: Brief, t: Translator) -> dict[str, str | None]:
    """Data URIs of the charts and maps the data allow (None where it does not)."""
    return {
        "events_map": _events_map(brief, t) if brief.region and brief.covered else None,
        "risk_map": _risk_map(brief, t) if brief.risk_unit else None,
        "trends": _trend_chart(brief, t) if not brief.trends.empty else None,
        "forecast": _forecast_chart(brief, t) if not brief.forecast.empty else None,
        "hotspots": _hotspot_chart(brief, t),
    }
