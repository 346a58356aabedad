"""Missions side by side: the table (CSV, XLSX), forest plot and caveats, in EN and FR.

:func:`write_comparison` writes, for a :class:`~sentinelle.impact.staggered.StaggeredResult`,
``compare_en.csv`` and ``compare_fr.csv`` (one row per mission, event, ring and
outcome: the pooled rows first), ``compare.xlsx`` (one sheet per language), the
forest plots ``forest_en.png`` and ``forest_fr.png`` (the main outcome, every
estimate with its 95 % interval), ``caveats_en.md``/``caveats_fr.md`` (design,
precision, what the data cannot show, the notes of the run, the missions not
estimated and why) and ``event_study.csv``. Every text cell of the tables is escaped
against formula injection (:mod:`sentinelle.tables`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are written on headless machines
import matplotlib.pyplot as plt
import pandas as pd

from sentinelle.i18n import LANGS, N_, Lang, Translator, translator
from sentinelle.impact.staggered import (
    ANTICIPATION,
    RINGS,
    StaggeredResult,
)
from sentinelle.tables import escape_formulas, write_csv

__all__ = ["MAIN_OUTCOME", "comparison_table", "write_comparison"]

# The outcome the forest plot shows (the binary outcome of the cross-mission literature).
MAIN_OUTCOME = "any_civilian_deaths"

TEXT = {
    "exit": N_("exit"),
    "entry": N_("entry"),
    "same cell": N_("same cell"),
    "neighbouring cells": N_("neighbouring cells"),
    "any_civilian_deaths": N_("any civilian death (0/1)"),
    "civilian_deaths": N_("civilian deaths"),
    "any_civilian_deaths_government": N_("any civilian death by government forces (0/1)"),
    "any_civilian_deaths_rebel": N_("any civilian death by rebels (0/1)"),
    "civilian_deaths_government": N_("civilian deaths by government forces"),
    "civilian_deaths_rebel": N_("civilian deaths by rebels"),
}
SKIP_TEXT = {
    "few": N_("%(n)d treated cells (fewer than %(min)d)"),
    "no_comparison": N_("%(n)d treated cells but no comparison cell for any cohort"),
    "no_variation": N_("%(n)d treated cells, but the outcome never changes in its cells"),
}
COLUMNS = {
    "mission": N_("Mission"),
    "event": N_("Event"),
    "ring_label": N_("Cells"),
    "outcome": N_("Outcome"),
    "estimate": N_("Effect (ATT)"),
    "se": N_("Standard error"),
    "lower": N_("95% CI, lower"),
    "upper": N_("95% CI, upper"),
    "p_value": N_("p-value"),
    "placebo": N_("Placebo (before the event)"),
    "n_treated": N_("Treated cells"),
    "n_units": N_("Cells compared"),
    "n_cohorts": N_("Cohorts"),
}


def _text(value: object, t: Translator) -> str:
    return t.gettext(TEXT[str(value)]) if str(value) in TEXT else str(value)


def comparison_table(result: StaggeredResult, lang: Lang) -> pd.DataFrame:
    """The effects table with headers and labels in ``lang`` (numbers left as numbers)."""
    t = translator(lang)
    table = result.effects[list(COLUMNS)].copy()
    for column in ("event", "ring_label", "outcome"):
        table[column] = table[column].map(lambda v: _text(v, t))
    return table.rename(columns={k: t.gettext(v) for k, v in COLUMNS.items()})


def _forest(result: StaggeredResult, path: Path, lang: Lang) -> None:
    """Every estimate of the main outcome with its 95 % interval, labelled in ``lang``."""
    t = translator(lang)
    rows = result.effects[result.effects["outcome"] == MAIN_OUTCOME]
    rows = rows.dropna(subset=["estimate"]).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.5, max(3.0, 0.32 * len(rows) + 1.4)))
    colours = {"exit": "#b2182b", "entry": "#2166ac"}
    labels = [
        f"{m} · {_text(e, t)} · {_text(r, t)}"
        for m, e, r in zip(rows["mission"], rows["event"], rows["ring_label"], strict=True)
    ]
    ys = range(len(rows))
    for y, (_, row) in zip(ys, rows.iterrows(), strict=True):
        pooled = str(row["mission"]) == result.label
        ax.errorbar(
            row["estimate"],
            y,
            xerr=[[row["estimate"] - row["lower"]], [row["upper"] - row["estimate"]]],
            fmt="D" if pooled else "o",
            color=colours[str(row["event"])],
            markersize=7 if pooled else 5,
            capsize=2,
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.set_xlabel(
        t.gettext("Effect on the probability of any civilian death in a cell-%(period)s")
        % {"period": t.gettext("year") if result.precision == "year" else t.gettext("month")}
    )
    ax.set_title(t.gettext("Peacekeeping bases: entry and exit effects, 95% intervals"))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def caveats(result: StaggeredResult, lang: Lang) -> str:
    """The caveats of a comparison in ``lang``: design, precision, data limits, notes."""
    t = translator(lang)
    period = t.gettext("year") if result.precision == "year" else t.gettext("month")
    first, last = int(result.design.periods[0]), int(result.design.periods[-1])
    lines = [
        "# " + t.gettext("Caveats"),
        "",
        "- "
        + t.gettext(
            "Design: staggered difference-in-differences (Callaway-Sant'Anna) on "
            "PRIO-GRID cells; the cohort of a cell is the first full %(period)s after the "
            "base arrives (entry) or leaves (exit); the %(period)s of the event itself "
            "goes to neither side (anticipation of %(anticipation)d); comparison cells "
            "neither host nor neighbour a base, or have not been treated yet."
        )
        % {"period": period, "anticipation": ANTICIPATION},
        "- "
        + t.gettext(
            "Neighbouring cells are the 8 cells around a host cell (Queen contiguity) "
            "that never host a base themselves."
        ),
        "- "
        + t.gettext(
            "Precision: one period is a %(period)s (%(first)s to %(last)s); no date finer "
            "than the data give is invented."
        )
        % {"period": period, "first": first, "last": last},
        "- "
        + t.gettext(
            "Per mission: estimated where a ring has at least %(n)d treated cells, "
            "against the comparison cells of the mission's countries."
        )
        % {"n": result.min_treated},
        "- "
        + t.gettext(
            "What the data cannot show: where bases are placed is not random (bases go "
            "where violence is); standard errors are clustered by cell, not across "
            "neighbouring cells; recorded deaths depend on reporting, which the "
            "peacekeepers' presence may itself change."
        ),
    ]
    if result.event_source and result.event_source.endswith("extract"):
        lines.append(
            "- "
            + t.gettext(
                "The events are an extract (%(source)s), not every event: results are "
                "indicative only; the full release gives the real answer."
            )
            % {"source": result.event_source}
        )
    if result.notes:
        lines += ["", "## " + t.gettext("Notes of this run"), ""]
        lines += [f"- {note}" for note in result.notes]
    if not result.skipped.empty:
        lines += ["", "## " + t.gettext("Not estimated"), ""]
        for row in result.skipped.itertuples(index=False):
            if row.kind == "no_data":
                lines.append(f"- {row.mission}: {row.reason}")
                continue
            why = t.gettext(SKIP_TEXT[str(row.kind)]) % {
                "n": row.n_treated,
                "min": result.min_treated,
            }
            where = f"{_text(row.event, t)} · {_text(RINGS[int(str(row.ring))], t)}"
            lines.append(f"- {row.mission} · {where}: {why}")
    return "\n".join(lines) + "\n"


def write_comparison(result: StaggeredResult, out: str | Path) -> dict[str, Path]:
    """Write the comparison files of ``result`` to ``out``; their paths by name."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    tables = {}
    for lang in LANGS:
        tables[lang] = comparison_table(result, lang)
        paths[f"table_{lang}"] = write_csv(tables[lang], folder / f"compare_{lang}.csv")
        _forest(result, folder / f"forest_{lang}.png", lang)
        paths[f"forest_{lang}"] = folder / f"forest_{lang}.png"
        caveat = folder / f"caveats_{lang}.md"
        caveat.write_text(caveats(result, lang), encoding="utf-8")
        paths[f"caveats_{lang}"] = caveat
    xlsx = folder / "compare.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        for lang, table in tables.items():
            escape_formulas(table).to_excel(writer, sheet_name=lang.upper(), index=False)
    paths["xlsx"] = xlsx
    paths["event_study"] = write_csv(result.event_study, folder / "event_study.csv")
    return paths
