"""Build, read and export unit-month panels (see :mod:`sentinelle.panel` for definitions)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from sentinelle.errors import NoDataError
from sentinelle.geo.months import month_id_from_str
from sentinelle.panel.definitions import FeatureSpec, panel_steps
from sentinelle.panel.engines import get_engine
from sentinelle.panel.inputs import (
    AGGREGATE_SOURCES,
    INPUT_TABLES,
    PanelRequest,
    prepare_inputs,
    read_cells,
)
from sentinelle.steps import Step, no_step
from sentinelle.store import transaction
from sentinelle.store.panels import PanelRecord, record_panel

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass
class PanelReport:
    """What one panel build did."""

    table: str
    unit: str
    engine: str
    first_month: int
    last_month: int
    history_start: int
    n_units: int
    n_rows: int
    columns: list[str]
    events_used: int
    events_outside: int
    fatalities_outside: int
    outside_examples: list[tuple[float, float, int]]
    versions: dict[str, list[str]]
    ingest_ids: list[int]
    seconds: float


def panel_table(unit: str) -> str:
    """Name of the store table holding the panel of ``unit`` (``'pgm'`` -> ``'panel_pgm'``)."""
    return f"panel_{unit}"


def _month(value: int | str) -> int:
    return value if isinstance(value, int) else month_id_from_str(value)


def build_panel(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    first: int | str,
    last: int | str,
    *,
    countries: Sequence[str] | None = None,
    source: str = "ged",
    cells: str | Path | Sequence[int] | None = None,
    boundaries: str | Path | None = None,
    country_shapes: str | Path | None = None,
    pko_sources: Sequence[str] | None = None,
    features: FeatureSpec | None = None,
    engine: str = "duckdb",
    spark: SparkSession | None = None,
    step: Step = no_step,
) -> PanelReport:
    """Build the complete ``unit``-month panel from ``first`` to ``last`` into ``panel_<unit>``.

    The panel replaces any earlier ``panel_<unit>`` and its ``panels`` row in one
    transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store (:func:`sentinelle.store.open_store`).
    unit : {'cm', 'pgm', 'admin1', 'admin2'}
        Country-month (unit_id = VIEWS country_id), PRIO-GRID-month (unit_id = gid), or
        admin-month (unit_id = 1-based position of the unit's id in sorted order; the
        unit's own id is the ``unit_code`` column).
    first, last : int or str
        First and last month, as VIEWS month ids or ``'YYYY-MM'``.
    countries : sequence of str, optional
        ISO3 codes. For cm, the panel's countries (default: the 191 VIEWS countries).
        For pgm, the cells whose centre lies in these countries' polygons. For admin
        units, only the scope of the events-outside-the-universe report.
    source : {'ged', 'acled', 'acled-hdx'}
        ``'ged'``: GED events up to December of the last year GED covers, GED Candidate
        events after it. ``'acled'``: ACLED events.
    cells : path or sequence of int, optional
        PRIO-GRID universe given explicitly (a JSON list of gids such as
        ``priogrid_africa_me_legacy_gids.json``, or the gids); overrides ``countries``
        for the choice of cells.
    boundaries : path, optional
        Boundary file of the admin units (required for admin1/admin2).
    country_shapes : path, optional
        Country polygons with an ISO3 column, for pgm universes, cell ``country_id``,
        cm neighbours and centres; default: Natural Earth low-res from pyogrio.
    pko_sources : sequence of str, optional
        ``deployments.source`` values to use (default: all; load one source per period).
    features : FeatureSpec, optional
        Which features to compute (default: all of them).
    engine : str
        Name in :data:`sentinelle.panel.engines.ENGINES` of where the panel definitions
        run: ``'duckdb'`` or ``'spark'`` (both give identical panels), or a plug-in.
    spark : pyspark.sql.SparkSession, optional
        Session for ``engine='spark'`` (default: a ``local[2]`` session).
    step : callable, optional
        Progress callback receiving a short description of each stage.

    Returns
    -------
    PanelReport

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                                 # doctest: +SKIP
    >>> report = build_panel(con, "pgm", "2018-01", "2023-12",
    ...                      countries=["MLI", "BFA", "NER"])                  # doctest: +SKIP
    >>> report.n_rows, report.events_outside                                  # doctest: +SKIP
    (92448, 3)
    """
    runner = get_engine(engine)
    started = time.perf_counter()
    if isinstance(cells, str | Path):
        cells = read_cells(cells)
    request = PanelRequest(
        unit=unit,
        first_month=_month(first),
        last_month=_month(last),
        source=source,
        countries=tuple(c.upper() for c in countries) if countries else None,
        cells=tuple(int(c) for c in cells) if cells is not None else None,
        boundaries=str(boundaries) if boundaries else None,
        country_shapes=str(country_shapes) if country_shapes else None,
        pko_sources=tuple(pko_sources) if pko_sources else None,
        features=features or FeatureSpec(),
    )
    table = panel_table(unit)
    step("prepare inputs")
    prepared = prepare_inputs(con, request)
    if features is None and source in AGGREGATE_SOURCES:
        # Aggregates have their own outcomes; which depends on the series stored.
        civilian = "civ_fatalities" in prepared.model.outcomes
        features_of = FeatureSpec.for_aggregates(civilian, pko=prepared.pko_placed)
        request = replace(request, features=features_of)
    steps = panel_steps(
        request.features,
        history_start=prepared.history_start,
        first_month=request.first_month,
        last_month=request.last_month,
        splag_orders=prepared.splag_orders,
        static=prepared.static,
        model=prepared.model,
    )
    inputs = [t for t in INPUT_TABLES if _exists(con, t)]
    step(f"compute features ({engine})")
    try:
        with transaction(con):
            runner(con, steps, table, inputs, spark)
            n_rows = _scalar(con, f"SELECT count(*) FROM {table}")
            record_panel(
                con,
                PanelRecord(
                    panel_table=table,
                    unit=unit,
                    source=source,
                    first_month=request.first_month,
                    last_month=request.last_month,
                    history_start=prepared.history_start,
                    ged_last_month=prepared.ged_last_month,
                    countries=request.countries,
                    versions=prepared.versions,
                    ingest_ids=prepared.ingest_ids,
                    engine=engine,
                    n_units=prepared.n_units,
                    n_rows=n_rows,
                    events_used=prepared.events_used,
                    events_outside=prepared.events_outside,
                    params=request.to_json(),
                ),
            )
    finally:
        for name in inputs:
            con.execute(f"DROP TABLE IF EXISTS {name}")
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    return PanelReport(
        table=table,
        unit=unit,
        engine=engine,
        first_month=request.first_month,
        last_month=request.last_month,
        history_start=prepared.history_start,
        n_units=prepared.n_units,
        n_rows=n_rows,
        columns=columns,
        events_used=prepared.events_used,
        events_outside=prepared.events_outside,
        fatalities_outside=prepared.fatalities_outside,
        outside_examples=prepared.outside_examples,
        versions=prepared.versions,
        ingest_ids=prepared.ingest_ids,
        seconds=time.perf_counter() - started,
    )


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [table]
    ).fetchone()
    return bool(row and row[0])


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def panel_exists(con: duckdb.DuckDBPyConnection, unit: str) -> bool:
    """Whether the store holds a built (or ingested) panel of ``unit``."""
    found = con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
        [panel_table(unit)],
    ).fetchone()
    return found is not None


def read_panel(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    *,
    first: int | str | None = None,
    last: int | str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A stored panel as a DataFrame sorted by ``unit_id, month_id``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    unit : str
        Panel unit (``'cm'``, ``'pgm'``, ``'admin1'``, ``'admin2'``).
    first, last : int or str, optional
        Month range (VIEWS ids or ``'YYYY-MM'``), both ends included.
    columns : sequence of str, optional
        Columns besides ``unit_id`` and ``month_id`` (default: all).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> panel = read_panel(con, "cm", first="2018-01", columns=["ged_sb"])    # doctest: +SKIP
    """
    table = panel_table(unit)
    if not panel_exists(con, unit):
        raise NoDataError(
            f"no {unit} panel in the store: build it first (`sentinelle panel build --unit "
            f"{unit} ...`, or `sentinelle ingest views-cm DIR` for cm)"
        )
    wanted = "*" if columns is None else ", ".join(["unit_id", "month_id", *columns])
    where = []
    if first is not None:
        where.append(f"month_id >= {_month(first)}")
    if last is not None:
        where.append(f"month_id <= {_month(last)}")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return con.execute(f"SELECT {wanted} FROM {table} {clause} ORDER BY unit_id, month_id").df()


def export_panel(con: duckdb.DuckDBPyConnection, unit: str, path: str | Path) -> Path:
    """Write a stored panel to a Parquet file; return its path.

    Examples
    --------
    >>> export_panel(con, "pgm", "panel_pgm.parquet")                          # doctest: +SKIP
    PosixPath('panel_pgm.parquet')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = "'" + str(path).replace("'", "''") + "'"
    con.execute(
        f"COPY (SELECT * FROM {panel_table(unit)} ORDER BY unit_id, month_id) TO {target} "
        "(FORMAT parquet)"
    )
    return path
