"""Rolling-origin backtests over the VIEWS 2023/24 challenge windows.

Window ``YYYY`` has its origin in October of ``YYYY - 1`` and forecasts every month of
``YYYY`` (horizons 3 to 14). For each window every model is fitted on the panel up to
the origin and sampled, the official benchmark files (``benchmarks/<name>/cm_YYYY.parquet``)
are read, and all are scored by the same code (:mod:`sentinelle.scoring`) against the actuals
(``actuals/cm_actuals_YYYY.parquet``). The result holds one row per model and
unit-month, and a summary table per window (mean CRPS, ignorance, MIS, 90% coverage
over every unit-month and over the unit-months with at least one death, Brier score
and average precision for ">= 25 fatalities"), and, for the recommended
model, what its selection rule chose at each origin and the validation scores behind
the choice (from the forecast's ``meta``, see :mod:`sentinelle.forecast.ensemble`).

``sentinelle evaluate`` runs it on the store's cm panel, prints the tables and writes
them (CSV, Markdown) with calibration plots.

Panels without official files (admin units from ACLED's HDX aggregates) are backtested
by :func:`run_panel_backtest` on the same windows: the actuals are the panel's own
values of the window's months, and the benchmarks are the same recipes fitted on the
same units (``zero``, ``conflictology``, ``boot_240`` of :data:`sentinelle.forecast.MODELS`),
scored by the same code as every other model.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import Progress

from sentinelle.errors import UsageError
from sentinelle.evaluate.calibration import plot_calibration
from sentinelle.forecast import MODELS, RECOMMENDED_MODEL, get_model
from sentinelle.geo.countries import country_table
from sentinelle.geo.months import month_id
from sentinelle.i18n import N_, Lang, translator
from sentinelle.scoring import (
    EVENT_THRESHOLD,
    average_precision,
    brier_score,
    coverage,
    crps_ensemble,
    event_probability,
    ignorance_score,
    interval_score,
    nonzero_coverage,
    randomized_pit,
)
from sentinelle.tables import write_csv

__all__ = [
    "BENCHMARK_FILES",
    "BacktestResult",
    "Window",
    "challenge_window",
    "load_actuals",
    "load_draw_file",
    "markdown_table",
    "panel_actuals",
    "run_backtest",
    "run_panel_backtest",
    "score_rows",
]

BENCHMARK_FILES = ("zero", "last", "conflictology", "boot_240")
# Prefix of the model label of an official benchmark file in the tables.
FILE_PREFIX = "file:"
# Benchmarks (as files) the recommended model must beat on CRPS, and on ignorance.
CRPS_RIVALS = ("zero", "conflictology", "boot_240")
IGN_RIVALS = ("conflictology",)
# Subnational goal (issue 15): mean CRPS over the windows this far below the best rival.
GOAL_REDUCTION = 0.15

SUMMARY_COLUMNS = [
    "crps",
    "ign",
    "mis",
    "coverage",
    "coverage90_nonzero",
    "brier",
    "ap",
    "n_draws",
    "seconds",
]
# What the coverage columns of the tables mean, in the reader's language.
NONZERO_COVERAGE_HEADING = N_("Coverage (months with deaths)")
COVERAGE_LEGEND = N_(
    "**%(heading)s** (`coverage90_nonzero`): the share of the unit-months with at least "
    "one death that fall inside the 90%% interval. `coverage` counts every unit-month, and "
    "an interval whose lower end is 0 covers every month without deaths: it can be high "
    "while the months with deaths are missed."
)
NO_NONZERO_MONTH = N_(
    "Window %(window)s has no unit-month with at least one death: its coverage on "
    "months with deaths is empty (nan), not zero."
)


@dataclass(frozen=True)
class Window:
    """One challenge window: the origin month and the twelve months forecast."""

    year: int
    origin: int
    month_ids: tuple[int, ...]

    @property
    def horizons(self) -> list[int]:
        """Months after the origin of each forecast month (3..14 for the challenge)."""
        return [m - self.origin for m in self.month_ids]


def challenge_window(year: int) -> Window:
    """The window of ``year``: origin October ``year - 1``, months January-December ``year``.

    Examples
    --------
    >>> w = challenge_window(2018)
    >>> w.origin, w.month_ids[0], w.horizons[-1]
    (454, 457, 14)
    """
    january = month_id(year, 1)
    return Window(year, january - 3, tuple(range(january, january + 12)))


def load_actuals(data_dir: str | Path, year: int) -> pd.Series:
    """Observed fatalities of a window: ``actuals/cm_actuals_YYYY.parquet`` as a Series.

    The index is ``(month_id, unit_id)``, sorted.
    """
    frame = pd.read_parquet(Path(data_dir, "actuals", f"cm_actuals_{year}.parquet"))
    series = frame["outcome"].sort_index()
    series.index = _month_unit_index(series.index)
    return series


def _month_unit_index(index: pd.Index) -> pd.MultiIndex:
    """The first two levels of a challenge file's index, named ``month_id, unit_id``."""
    return pd.MultiIndex.from_arrays(
        [index.get_level_values(0), index.get_level_values(1)], names=["month_id", "unit_id"]
    )


def load_draw_file(path: str | Path, index: pd.MultiIndex) -> np.ndarray:
    """Draws ``[len(index), D]`` of a challenge-layout file, in the order of ``index``.

    Parameters
    ----------
    path : str or pathlib.Path
        Parquet file indexed ``(month_id, country_id | priogrid_gid, draw)``.
    index : pandas.MultiIndex
        ``(month_id, unit_id)`` pairs wanted; each must be in the file.
    """
    frame = pd.read_parquet(path)
    wide = frame["outcome"].unstack("draw")
    wide.index = _month_unit_index(wide.index)
    missing = index.difference(wide.index)
    if len(missing):
        raise UsageError(f"{path} lacks {len(missing)} unit-months, e.g. {missing[0]}")
    return wide.reindex(index).to_numpy(np.float64)


def score_rows(obs: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Per-row scores of draws ``(n, D)`` against observations ``(n,)``.

    Columns: ``obs, crps, ign, mis, covered, brier, p_event, pit``.
    """
    return pd.DataFrame(
        {
            "obs": obs,
            "crps": crps_ensemble(obs, draws),
            "ign": ignorance_score(obs, draws),
            "mis": interval_score(obs, draws, alpha=0.1),
            "covered": coverage(obs, draws, alpha=0.1),
            "brier": brier_score(obs, draws),
            "p_event": event_probability(draws),
            "pit": randomized_pit(obs, draws, rng),
        }
    )


@dataclass
class BacktestResult:
    """Scores of a backtest.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per window, model and unit-month: ``window, model, month_id, unit_id``
        and the columns of ``score_rows``.
    runs : pandas.DataFrame
        One row per window and model: ``n_draws``, ``seconds`` (fit and sample) and
        ``meta`` (the forecast's provenance, empty for benchmark files).
    """

    rows: pd.DataFrame
    runs: pd.DataFrame
    # Label prefix of the rivals: the official files (cm), or none when the benchmarks
    # are models fitted on the same units (panels without files).
    rival_prefix: str = FILE_PREFIX
    # Names of the units (admin units); None: VIEWS countries, named from country_table.
    unit_names: dict[int, str] | None = None

    def summary(self) -> pd.DataFrame:
        """Mean scores per window and model (index ``window, model``)."""
        grouped = self.rows.groupby(["window", "model"], sort=False)
        table = grouped.agg(
            crps=("crps", "mean"),
            ign=("ign", "mean"),
            mis=("mis", "mean"),
            coverage=("covered", "mean"),
            brier=("brier", "mean"),
        )
        # NaN in a window without a unit-month with deaths (see NO_NONZERO_MONTH).
        table["coverage90_nonzero"] = pd.Series(
            {key: nonzero_coverage(g["obs"], g["covered"]) for key, g in grouped},
            dtype="float64",
        )
        table["ap"] = pd.Series(
            {
                key: average_precision(g["obs"] >= EVENT_THRESHOLD, g["p_event"])
                for key, g in grouped
            }
        )
        runs = self.runs.set_index(["window", "model"])
        return table.join(runs)[SUMMARY_COLUMNS]

    def selection(self, model: str = RECOMMENDED_MODEL) -> pd.DataFrame:
        """What ``model``'s selection rule chose per window, and the scores behind it.

        Returns
        -------
        pandas.DataFrame
            Indexed ``window, candidate``: ``weight`` given to the candidate,
            ``validation_crps`` (its mean CRPS on the validation origins) and
            ``validation_origins`` (those origins, all before the window's origin).
            Empty if ``model`` records no selection.
        """
        # Runs read back without their provenance (no ``meta``) record no selection.
        chosen = self.runs[self.runs["model"] == model] if "meta" in self.runs else None
        records = []
        pairs = [] if chosen is None else zip(chosen["window"], chosen["meta"], strict=True)
        for window, meta in pairs:
            if "validation_crps" not in meta:
                continue
            weights = json.loads(meta["weights"])
            scores = json.loads(meta["validation_crps"])
            origins = ", ".join(str(o) for o in json.loads(meta["validation_origins"]))
            for candidate, weight in weights.items():
                records.append(
                    {
                        "window": window,
                        "candidate": candidate,
                        "weight": weight,
                        "validation_crps": scores[candidate],
                        "validation_origins": origins,
                    }
                )
        columns = ["window", "candidate", "weight", "validation_crps", "validation_origins"]
        return pd.DataFrame(records, columns=columns).set_index(["window", "candidate"])

    def verdicts(self, model: str = RECOMMENDED_MODEL) -> pd.DataFrame:
        """Per window: does ``model`` beat the benchmark files it must beat?

        Columns ``crps_vs_<file>`` (lower mean CRPS than the file) for ``CRPS_RIVALS``
        and ``ign_vs_<file>`` for ``IGN_RIVALS``; NaN where a file was not scored.
        """
        table = self.summary()
        out = {}
        for window in table.index.get_level_values("window").unique():
            per = table.loc[window]
            row: dict[str, float] = {}
            for metric, rivals in (("crps", CRPS_RIVALS), ("ign", IGN_RIVALS)):
                for rival in rivals:
                    label = self.rival_prefix + rival
                    if model in per.index and label in per.index:
                        row[f"{metric}_vs_{rival}"] = float(
                            per.loc[model, metric] < per.loc[label, metric]
                        )
                    else:
                        row[f"{metric}_vs_{rival}"] = np.nan
            out[window] = row
        return pd.DataFrame.from_dict(out, orient="index").rename_axis("window")

    def contributions(self, window: int, model: str, rival: str, n: int = 5) -> pd.DataFrame:
        """The units that add most to ``model``'s mean-CRPS deficit against ``rival``.

        Each unit's share is its summed CRPS difference divided by the window's number
        of unit-months, so the shares of all units add up to the difference of the means.

        Returns
        -------
        pandas.DataFrame
            ``n`` rows, largest share first, indexed by ``unit_id``: ``country``,
            ``share`` (of the difference), ``model`` and ``rival`` (each unit's share of
            their mean CRPS) and ``observed`` (the unit's total over the window).
        """
        rows = self.rows[(self.rows["window"] == window) & self.rows["model"].isin([model, rival])]
        crps = rows.pivot_table(index="unit_id", columns="model", values="crps", aggfunc="sum")
        own = rows[rows["model"] == model]
        size = len(own)
        out = pd.DataFrame(
            {
                "share": (crps[model] - crps[rival]) / size,
                "model": crps[model] / size,
                "rival": crps[rival] / size,
                "observed": own.groupby("unit_id")["obs"].sum(),
            }
        ).nlargest(n, "share")
        if self.unit_names is not None:
            names = pd.Series(self.unit_names, dtype=object)
            out.insert(0, "unit", names.reindex(out.index).fillna("").to_numpy())
            return out
        names = country_table().set_index("views_id")["name"]
        out.insert(0, "country", names.reindex(out.index).fillna("").to_numpy())
        return out

    def overall(self, model: str = RECOMMENDED_MODEL) -> pd.DataFrame:
        """Mean CRPS of every model over all windows, and ``model``'s gap to each.

        Returns
        -------
        pandas.DataFrame
            Indexed by model, sorted by ``crps`` (the mean of the windows' mean CRPS,
            each window weighing the same), with ``vs_model`` = ``model``'s mean CRPS
            relative to the row's, minus one (-0.15: 15% below it).
        """
        table = self.summary()["crps"].unstack("window")
        crps = table.mean(axis=1).sort_values()
        windows = table.notna().sum(axis=1).reindex(crps.index)
        out = pd.DataFrame({"crps": crps, "windows": windows}, index=crps.index)
        if model in crps.index:
            out["vs_model"] = crps[model] / crps - 1.0
        return out.rename_axis("model")

    def goal(self, model: str = RECOMMENDED_MODEL) -> dict[str, object]:
        """Whether ``model``'s mean CRPS over the windows is ``GOAL_REDUCTION`` below the
        best of ``CRPS_RIVALS``: ``best_rival``, ``rival_crps``, ``model_crps``,
        ``reduction`` (1 - model / best) and ``met``."""
        overall = self.overall(model)["crps"]
        labels = [self.rival_prefix + r for r in CRPS_RIVALS if self.rival_prefix + r in overall]
        if model not in overall or not labels:
            return {}
        best = min(labels, key=lambda label: overall[label])
        reduction = 1.0 - overall[model] / overall[best]
        return {
            "best_rival": best,
            "rival_crps": float(overall[best]),
            "model_crps": float(overall[model]),
            "reduction": float(reduction),
            "met": bool(reduction >= GOAL_REDUCTION),
        }

    def to_markdown(self, model: str = RECOMMENDED_MODEL, lang: Lang = "en") -> str:
        """Tables per window, the verdicts, and which units a lost comparison comes from.

        What the coverage columns mean, and any window without a unit-month with
        deaths, is said in ``lang``.
        """
        table = self.summary()
        t = translator(lang)
        heading = t.gettext(NONZERO_COVERAGE_HEADING)
        parts = [t.gettext(COVERAGE_LEGEND) % {"heading": heading} + "\n"]
        for window in table.index.get_level_values("window").unique():
            parts.append(f"### Window {window}\n\n{markdown_table(table.loc[window])}\n")
            if table.loc[window, "coverage90_nonzero"].isna().all():
                parts.append(t.gettext(NO_NONZERO_MONTH) % {"window": window} + "\n")
        selection = self.selection(model)
        if not selection.empty:
            parts.append(
                f"### What `{model}`'s rule chose at each origin\n\n"
                "Weights (CRPS-optimal on the validation origins before the window's "
                "origin) and each candidate's mean validation CRPS, as `weight / CRPS`.\n"
            )
            cells = selection.apply(
                lambda r: f"{r['weight']:.2f} / {r['validation_crps']:.2f}", axis=1
            ).unstack("window")
            parts.append(markdown_table(cells.rename_axis(index="candidate")) + "\n")
            origins = selection.groupby("window")["validation_origins"].first()
            parts.append(
                "Validation origins (month ids): "
                + "; ".join(f"{w}: {o}" for w, o in origins.items())
                + "\n"
            )
        if self.rival_prefix:
            parts.append(f"### Does `{model}` beat the benchmark files?\n")
        else:
            parts.append(f"### Does `{model}` beat the benchmarks fitted on the same units?\n")
        verdicts = self.verdicts(model)
        parts.append(markdown_table(verdicts.replace({1.0: "yes", 0.0: "NO"})) + "\n")
        for window in verdicts.index:
            per = table.loc[window]
            for rival in CRPS_RIVALS:
                if verdicts.loc[window, f"crps_vs_{rival}"] == 0.0:
                    label = self.rival_prefix + rival
                    gap = per.loc[model, "crps"] - per.loc[label, "crps"]
                    parts.append(
                        f"#### {window}: `{model}` behind `{label}` by {gap:.2f}; "
                        f"the units adding most\n\n"
                        f"{markdown_table(self.contributions(window, model, label))}\n"
                    )
        if not self.rival_prefix:
            parts.append(self._overall_markdown(model))
        return "\n".join(parts) + "\n"

    def _overall_markdown(self, model: str) -> str:
        """Mean CRPS over all windows, and the goal's verdict against the best rival."""
        overall = self.overall(model)
        text = (
            "### Mean CRPS over all windows\n\n"
            f"`vs_model`: `{model}` relative to the row (-0.150: 15% below).\n\n"
            f"{markdown_table(overall)}\n"
        )
        goal = self.goal(model)
        if goal:
            verdict = "met" if goal["met"] else "NOT met"
            text += (
                f"\nGoal ({GOAL_REDUCTION:.0%} below the best benchmark): `{model}` "
                f"{goal['model_crps']:.3f} against `{goal['best_rival']}` "
                f"{goal['rival_crps']:.3f}, {goal['reduction']:.1%} below: {verdict}.\n"
            )
        return text

    def write(self, out_dir: str | Path, plots: bool = True) -> list[Path]:
        """Write the summary (CSV, Markdown), per-row scores, the selection and plots."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            out / "scores_summary.csv",
            out / "scores_summary.md",
            out / "scores_rows.parquet",
        ]
        write_csv(self.summary(), written[0], index=True)
        written[1].write_text(self.to_markdown())
        self.rows.to_parquet(written[2], index=False)
        selection = self.selection()
        if not selection.empty:
            written.append(out / "selection.csv")
            write_csv(selection, written[-1], index=True)
        if plots:
            written += plot_calibration(self.rows, out / "calibration")
        return written


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` (index as first column), numbers to 3 significant decimals."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "nan" if np.isnan(value) else f"{value:.3f}"
        return str(value)

    head = [str(frame.index.name or ""), *map(str, frame.columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    # itertuples keeps each column's type (iterrows would turn integer counts into floats).
    for index, *values in frame.itertuples(name=None):
        lines.append("| " + " | ".join([str(index), *map(cell, values)]) + " |")
    return "\n".join(lines)


def run_backtest(
    panel: pd.DataFrame,
    data_dir: str | Path,
    years: Sequence[int] = tuple(range(2018, 2024)),
    models: Sequence[str] = tuple(MODELS),
    benchmark_files: Sequence[str] = BENCHMARK_FILES,
    n_draws: int = 1000,
    seed: int = 0,
    target: str = "ged_sb",
    progress: bool = True,
) -> BacktestResult:
    """Fit, sample and score every model, and score the benchmark files, per window.

    Parameters
    ----------
    panel : pandas.DataFrame
        Unit-month panel; models only see its rows up to each window's origin.
    data_dir : str or pathlib.Path
        ``views-cm`` folder with ``actuals/`` and ``benchmarks/``.
    years : sequence of int
        Challenge windows to run.
    models : sequence of str
        Registry names of the models to backtest.
    benchmark_files : sequence of str
        Official benchmark files to score (``benchmarks/<name>/cm_YYYY.parquet``).
    n_draws : int
        Draws per unit-month for the models.
    seed : int
        Seed of sampling and of the randomized PIT.
    target : str
        Outcome forecast (the actuals files hold state-based fatalities).
    progress : bool
        Show a Rich progress bar.
    """
    data_dir = Path(data_dir)
    row_frames: list[pd.DataFrame] = []
    runs: list[dict[str, object]] = []
    tasks = len(years) * (len(models) + len(benchmark_files))
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("backtest", total=tasks)
        for year in years:
            window = challenge_window(year)
            actuals = load_actuals(data_dir, year)
            obs = actuals.to_numpy(np.float64)
            index = _month_unit_index(actuals.index)
            for name in models:
                bar.update(task, description=f"{year} {name}")
                scored, run = _backtest_model(
                    panel, window, name, actuals, n_draws=n_draws, seed=seed, target=target
                )
                row_frames.append(scored)
                runs.append(run)
                bar.advance(task)
            for bench in benchmark_files:
                bar.update(task, description=f"{year} {FILE_PREFIX}{bench}")
                path = data_dir / "benchmarks" / bench / f"cm_{year}.parquet"
                draws = load_draw_file(path, index)
                label = FILE_PREFIX + bench
                scored = score_rows(obs, draws, _rng(seed, year, label))
                row_frames.append(_label(scored, year, label, index))
                runs.append(
                    {
                        "window": year,
                        "model": label,
                        "n_draws": draws.shape[1],
                        "seconds": np.nan,
                        "meta": {},
                    }
                )
                bar.advance(task)
    return BacktestResult(pd.concat(row_frames, ignore_index=True), pd.DataFrame(runs))


def _backtest_model(
    panel: pd.DataFrame,
    window: Window,
    name: str,
    actuals: pd.Series,
    *,
    n_draws: int,
    seed: int,
    target: str,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Fit ``name`` at the window's origin, sample, and score against ``actuals``.

    Returns the labelled per-row scores and the run's record (draws, seconds, meta).
    """
    index = _month_unit_index(actuals.index)
    units = index.get_level_values("unit_id").unique().to_numpy()
    start = time.perf_counter()
    model = get_model(name, window.horizons).fit(panel, window.origin, target)
    rng = _rng(seed, window.year, name)
    forecast = model.sample(window.horizons, n_draws, rng)
    seconds = time.perf_counter() - start
    draws = forecast.for_months(units, window.month_ids)
    # for_months is month-major, unit-minor: the actuals' sorted order.
    ordered = pd.MultiIndex.from_product([window.month_ids, units])
    if not ordered.equals(index):
        draws = pd.DataFrame(draws, index=ordered).reindex(index).to_numpy()
    obs = actuals.to_numpy(np.float64)
    scored = _label(score_rows(obs, draws, rng), window.year, name, index)
    run = {
        "window": window.year,
        "model": name,
        "n_draws": n_draws,
        "seconds": seconds,
        "meta": forecast.meta,
    }
    return scored, run


def panel_actuals(panel: pd.DataFrame, window: Window, target: str) -> pd.Series:
    """The panel's own values of ``target`` in the window's months, as actuals.

    Indexed ``(month_id, unit_id)`` and sorted, like :func:`load_actuals`; every unit
    of the panel at the origin must have a value in every month of the window.

    Raises
    ------
    UsageError
        If the panel lacks the target or a month of the window (the data end earlier).
    """
    if target not in panel.columns:
        raise UsageError(f"the panel has no column {target!r} to score forecasts against")
    months = list(window.month_ids)
    rows = panel.loc[panel["month_id"].isin(months), ["month_id", "unit_id", target]]
    units = np.unique(panel.loc[panel["month_id"] <= window.origin, "unit_id"])
    series = rows.set_index(["month_id", "unit_id"])[target].astype("float64").sort_index()
    wanted = pd.MultiIndex.from_product([months, units], names=["month_id", "unit_id"])
    missing = wanted[~wanted.isin(series.dropna().index)]
    if len(missing):
        month, unit = missing[0]
        raise UsageError(
            f"window {window.year}: the panel has no {target} for unit {unit} in month "
            f"{month} ({len(missing)} unit-months missing): the data end before the window does"
        )
    return series.reindex(wanted)


def run_panel_backtest(
    panel: pd.DataFrame,
    years: Sequence[int] = tuple(range(2019, 2025)),
    models: Sequence[str] = tuple(MODELS),
    n_draws: int = 1000,
    seed: int = 0,
    target: str = "fatalities",
    unit_names: dict[int, str] | None = None,
    progress: bool = True,
) -> BacktestResult:
    """Backtest ``models`` on a panel that is its own source of actuals.

    Window ``Y`` forecasts the months of ``Y`` from October ``Y - 1`` (horizons 3 to
    14), as :func:`run_backtest` does; the rivals are the models ``zero``,
    ``conflictology`` and ``boot_240`` fitted on the same units (added to ``models`` if
    missing), since no official file exists for these units. Every model sees the
    panel up to the origin only, and all are scored by :func:`score_rows`.

    Parameters
    ----------
    panel : pandas.DataFrame
        Unit-month panel with ``target`` through the last window's December.
    years : sequence of int
        Windows to run.
    models : sequence of str
        Registry names of the models to backtest.
    n_draws : int
        Draws per unit-month.
    seed : int
        Seed of sampling and of the randomized PIT.
    target : str
        Outcome forecast and scored (``fatalities`` on ACLED's HDX aggregates).
    unit_names : dict of int to str, optional
        Names of the units, for the tables of who adds most to a lost comparison.
    progress : bool
        Show a Rich progress bar.
    """
    names = [*models, *(r for r in CRPS_RIVALS if r not in models)]
    row_frames: list[pd.DataFrame] = []
    runs: list[dict[str, object]] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("backtest", total=len(years) * len(names))
        for year in years:
            window = challenge_window(year)
            actuals = panel_actuals(panel, window, target)
            for name in names:
                bar.update(task, description=f"{year} {name}")
                scored, run = _backtest_model(
                    panel, window, name, actuals, n_draws=n_draws, seed=seed, target=target
                )
                row_frames.append(scored)
                runs.append(run)
                bar.advance(task)
    return BacktestResult(
        pd.concat(row_frames, ignore_index=True),
        pd.DataFrame(runs),
        rival_prefix="",
        unit_names=unit_names,
    )


def _rng(seed: int, year: int, model: str) -> np.random.Generator:
    """Random stream of one model in one window, whichever other models run beside it."""
    return np.random.default_rng([seed, year, zlib.crc32(model.encode())])


def _label(frame: pd.DataFrame, year: int, model: str, index: pd.MultiIndex) -> pd.DataFrame:
    """Prefix per-row scores with window, model and the unit-month keys."""
    keys = pd.DataFrame(
        {
            "window": year,
            "model": model,
            "month_id": index.get_level_values("month_id"),
            "unit_id": index.get_level_values("unit_id"),
        }
    )
    return pd.concat([keys, frame], axis=1)
