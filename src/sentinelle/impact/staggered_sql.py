"""The staggered design's cells x periods panel as SQL, for an engine of ``panel.ENGINES``.

:func:`panel_matrices` computes what :func:`sentinelle.impact.staggered.build_design`
otherwise computes with numpy, from the same inputs: the outcome matrices (civilian
deaths per cell and period, whether any, and the perpetrator splits), the presence of
a base in each cell and period, its Queen neighbours' presence and the censored ends.
The SQL steps of :func:`panel_steps` run on a runner of
:data:`sentinelle.panel.ENGINES`, as the panel definitions do: with ``'spark'``
(:func:`sentinelle.panel.engines.run_spark`) the inputs travel to Spark as the Parquet
files DuckDB writes, Spark SQL places the events in cells (the PRIO-GRID arithmetic of
:data:`sentinelle.panel.inputs.GID_SQL`) and periods, expands each base's spell over
its periods, spreads presence over the Queen pairs and sums by cell and period; the
result comes back through DuckDB, sparse (only cell-periods with an event or a base),
and is laid out as the dense matrices the estimator reads.

Only the dialect subset of :mod:`sentinelle.panel.definitions` is used (joins,
``UNION ALL``, ``GROUP BY``, ``CASE``, ``COALESCE``, ``LIKE``, explicit casts), so
every engine gives the same numbers; deaths are whole numbers, whose double sums are
exact in any order, so the matrices are identical to numpy's.

Input tables
------------
``_stg_events(date_start DATE, latitude DOUBLE, longitude DOUBLE, civilian_deaths
DOUBLE, violence_type VARCHAR, side_a VARCHAR, deleted BOOLEAN)``
    The common-model events, as given.
``_stg_cells(gid BIGINT, cell INTEGER)``
    The units (row of the matrices).
``_stg_periods(period INTEGER, t INTEGER)``
    Years or VIEWS month ids (column of the matrices).
``_stg_bases(gid BIGINT, start_t INTEGER, end_t INTEGER, censored BOOLEAN)``
    Each base's first and last column exposed (beyond the window when it was open
    before or after it) and whether its end is its mission's data ending.
``_stg_pairs(cell INTEGER, neighbour INTEGER)``
    Queen pairs of the units (:func:`sentinelle.geo.priogrid.ring_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from sentinelle.panel.engines import EngineRunner
from sentinelle.panel.inputs import GID_SQL
from sentinelle.store.queries import month_sql

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["INPUTS", "TABLE", "panel_matrices", "panel_steps"]

INPUTS = ("_stg_events", "_stg_cells", "_stg_periods", "_stg_bases", "_stg_pairs")
TABLE = "_stg_panel"
# Deaths columns of the result: the total and the one-sided ones by perpetrator.
_SPLITS = ("government", "rebel")


def _prefixes_sql(column: str, prefixes: Sequence[str]) -> str:
    """Whether ``column`` starts with one of ``prefixes``, ignoring case."""
    tests = [f"lower({column}) LIKE '{p.lower().replace(chr(39), chr(39) * 2)}%'" for p in prefixes]
    return "(" + " OR ".join(tests) + ")"


def panel_steps(precision: str, government: Sequence[str]) -> list[tuple[str, str]]:
    """The ``(name, sql)`` steps of the panel; the last one is the result table.

    ``government`` are the prefixes of ``side_a`` naming a government perpetrator
    (:data:`sentinelle.impact.staggered.GOVERNMENT_PREFIXES`). The result has one row
    per cell and period with an event or a base in it or a neighbour: ``cell, t,
    civilian_deaths, civilian_deaths_government, civilian_deaths_rebel, presence,
    censored, near, near_censored`` (the last four 0/1).
    """
    period = "year(e.date_start)" if precision == "year" else month_sql("e.date_start")
    side = "COALESCE(e.side_a, '')"
    gov = _prefixes_sql(side, government)
    one_sided = "e.violence_type = 'one_sided'"
    zero = "CAST(0 AS DOUBLE)"
    placed = f"""
        SELECT c.cell AS cell, p.t AS t,
               CAST(COALESCE(e.civilian_deaths, 0) AS DOUBLE) AS deaths,
               CASE WHEN {one_sided} AND {gov} THEN 1 ELSE 0 END AS by_government,
               CASE WHEN {one_sided} AND {side} <> '' AND NOT {gov} THEN 1 ELSE 0 END AS by_rebel
        FROM _stg_events e
        JOIN _stg_cells c ON c.gid = {GID_SQL.format(lat="e.latitude", lon="e.longitude")}
        JOIN _stg_periods p ON p.period = CAST({period} AS INTEGER)
        WHERE NOT e.deleted AND e.latitude IS NOT NULL AND e.longitude IS NOT NULL
          AND e.date_start IS NOT NULL
    """
    # The periods table holds the window only: a spell is clipped to it by the join.
    spans = """
        SELECT c.cell AS cell, p.t AS t,
               CASE WHEN b.censored AND p.t = b.end_t THEN 1 ELSE 0 END AS censored
        FROM _stg_bases b
        JOIN _stg_cells c ON c.gid = b.gid
        JOIN _stg_periods p ON p.t BETWEEN b.start_t AND b.end_t
    """
    splits = ", ".join(
        f"CASE WHEN by_{who} = 1 THEN deaths ELSE {zero} END AS deaths_{who}" for who in _SPLITS
    )
    sums = ", ".join(
        f"CAST(SUM(deaths_{who}) AS DOUBLE) AS civilian_deaths_{who}" for who in _SPLITS
    )
    final = f"""
        SELECT cell, t, CAST(SUM(deaths) AS DOUBLE) AS civilian_deaths, {sums},
               CAST(MAX(presence) AS INTEGER) AS presence,
               CAST(MAX(censored) AS INTEGER) AS censored,
               CAST(MAX(near) AS INTEGER) AS near,
               CAST(MAX(near_censored) AS INTEGER) AS near_censored
        FROM (
            SELECT cell, t, deaths, {splits},
                   0 AS presence, 0 AS censored, 0 AS near, 0 AS near_censored
            FROM _stg_placed
            UNION ALL
            SELECT cell, t, {zero}, {zero}, {zero}, 1, censored, 0, 0 FROM _stg_spans
            UNION ALL
            SELECT n.cell, s.t, {zero}, {zero}, {zero}, 0, 0, 1, s.censored
            FROM _stg_spans s JOIN _stg_pairs n ON n.neighbour = s.cell
        ) f
        GROUP BY cell, t
    """
    return [("_stg_placed", placed), ("_stg_spans", spans), (TABLE, final)]


def _load(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, columns: str) -> None:
    """``frame`` as the temp table ``name`` of ``con``, typed by the ``columns`` SELECT list."""
    con.register("_stg_frame", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {columns} FROM _stg_frame")
    con.unregister("_stg_frame")


def _load_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "date_start": pd.to_datetime(events["date_start"]),
            "latitude": events["latitude"],
            "longitude": events["longitude"],
            "civilian_deaths": events["civilian_deaths"],
            "deleted": events["deleted"].astype(bool) if "deleted" in events else False,
        }
    )
    text = ["violence_type", "side_a"]
    for name in text:
        frame[name] = events.get(name)
    _load(
        con, "_stg_events", frame,
        "CAST(date_start AS DATE) AS date_start, CAST(latitude AS DOUBLE) AS latitude, "
        "CAST(longitude AS DOUBLE) AS longitude, "
        "CAST(civilian_deaths AS DOUBLE) AS civilian_deaths, "
        + "".join(f"CAST({n} AS VARCHAR) AS {n}, " for n in text)
        + "CAST(deleted AS BOOLEAN) AS deleted",
    )  # fmt: skip


def panel_matrices(
    events: pd.DataFrame,
    gids: npt.NDArray[np.int64],
    periods: npt.NDArray[np.int64],
    precision: str,
    bases: pd.DataFrame,
    pairs: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    *,
    government: Sequence[str],
    with_sides: bool,
    runner: EngineRunner,
    spark: SparkSession | None = None,
) -> tuple[dict[str, npt.NDArray[np.bool_]], dict[str, npt.NDArray[np.float64]]]:
    """Exposure and outcome matrices (cells x periods) computed by ``runner``.

    Parameters
    ----------
    events : pandas.DataFrame
        Common-model events (``date_start, latitude, longitude, civilian_deaths``;
        ``violence_type, side_a, deleted`` when known).
    gids : numpy.ndarray of int
        PRIO-GRID cell of each row of the matrices.
    periods : numpy.ndarray of int
        Year or VIEWS month id of each column.
    precision : {'year', 'month'}
    bases : pandas.DataFrame
        ``gid, start, end, censored`` of each base (column indices, beyond the window
        where the base was open before or after it).
    pairs : (numpy.ndarray, numpy.ndarray)
        Row indices ``(cell, neighbour)`` of the Queen pairs.
    government : sequence of str
        Prefixes of ``side_a`` naming a government.
    with_sides : bool
        Also return the perpetrator splits.
    runner : EngineRunner
        An engine of :data:`sentinelle.panel.ENGINES` (``run_spark``).
    spark : pyspark.sql.SparkSession, optional
        Session for Spark (a ``local[2]`` one by default).

    Returns
    -------
    (exposure, outcomes)
        ``presence, censored, near, near_censored`` (bool) and the outcome matrices
        (float), as :func:`~sentinelle.impact.staggered.build_design` stores them.
    """
    shape = (len(gids), len(periods))
    with duckdb.connect() as con:
        _load_events(con, events)
        _load(
            con, "_stg_cells", pd.DataFrame({"gid": gids, "cell": np.arange(len(gids))}),
            "CAST(gid AS BIGINT) AS gid, CAST(cell AS INTEGER) AS cell",
        )  # fmt: skip
        _load(
            con, "_stg_periods", pd.DataFrame({"period": periods, "t": np.arange(len(periods))}),
            "CAST(period AS INTEGER) AS period, CAST(t AS INTEGER) AS t",
        )  # fmt: skip
        _load(
            con, "_stg_bases", bases,
            "CAST(gid AS BIGINT) AS gid, CAST(start AS INTEGER) AS start_t, "
            "CAST(\"end\" AS INTEGER) AS end_t, CAST(censored AS BOOLEAN) AS censored",
        )  # fmt: skip
        _load(
            con, "_stg_pairs", pd.DataFrame({"cell": pairs[0], "neighbour": pairs[1]}),
            "CAST(cell AS INTEGER) AS cell, CAST(neighbour AS INTEGER) AS neighbour",
        )  # fmt: skip
        runner(con, panel_steps(precision, government), TABLE, INPUTS, spark)
        rows = con.execute(f"SELECT * FROM {TABLE}").fetchnumpy()
    where = (np.asarray(rows["cell"], dtype=np.int64), np.asarray(rows["t"], dtype=np.int64))
    exposure = {}
    for name in ("presence", "censored", "near", "near_censored"):
        matrix = np.zeros(shape, dtype=bool)
        matrix[where] = np.asarray(rows[name]) > 0
        exposure[name] = matrix
    names = ["civilian_deaths"] + ([f"civilian_deaths_{w}" for w in _SPLITS] if with_sides else [])
    outcomes = {}
    for name in names:  # numpy's order: each count, then whether any
        counts = np.zeros(shape)
        counts[where] = np.asarray(rows[name], dtype=np.float64)
        outcomes[name] = counts
        outcomes["any_" + name] = (counts > 0).astype(np.float64)
    return exposure, outcomes
