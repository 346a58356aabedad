"""Geo-PKO (Geocoded Peacekeeping Operations, Uppsala University) deployment files.

Geo-PKO codes, from the UN's deployment maps, where each peacekeeping mission had
troops, police and observers. Three published layouts are read, recognised from
their header:

``FrontMap`` (``FrontMap_v2.3.csv``, source ``geopko_frontmap``)
    One row per mission, location and map year: ``mission, year, country, location,
    latitude, longitude, Infantry, NoTroops, Reserve, hq, UNPOL, Med, Av, UNMO,
    ave.no.troops``. Yearly: stored with ``month = 0``.
``full`` (``geopko_full_monthly.csv``, the v2.0 dataset, source ``geopko_full``)
    One row per map (``Source`` is the map number) and location: ``Source, Mission,
    year, month, location, country, latitude, longitude, No.troops, ..., UNPOL..dummy.,
    UNMO..dummy., HQ, ...``.
``raw`` (``geopko_raw_1994-2020.csv``, the dashboard's raw records, source ``geopko_raw``)
    The same coding as ``full`` with lower-case names (``no.troops``, ``unpol.dummy``,
    ``unmo.dummy``, ``hq``), more missions and years to 2020. It repeats ``full``'s
    rows for the years both cover, so it is kept as its own source rather than
    merged into ``geopko_full``, whose location spellings it does not always share.

Several maps are sometimes published for one period (MINUSMA has two for 2023):
``record`` numbers the rows of one mission, location and period in file order, so
each map's row is kept.

Fields: ``troops`` is ``NoTroops``/``No.troops``; ``police`` and ``observers`` are
``UNPOL`` and ``UNMO``, which are dummies, whether police or military observers were
present (0/1): named so (``UNPOL..dummy.``) in the full and raw layouts, and taking
only the values 0 and 1 in FrontMap too, so they are not counts of personnel;
``hq`` is Geo-PKO's headquarters code as published (0 none, 3 mission HQ).
Mission, location and country names are stored as published, except that leading
and trailing spaces are dropped and names whose UTF-8 was decoded twice
(``geopko_full_monthly.csv`` has ``MÃ©naka`` for ``Ménaka``) are repaired, so that
a place has one name across the layouts.

Troop values are map-derived estimates (units drawn on the UN maps, counted at
standard sizes where no number is shown, averaged over a year's maps in FrontMap):
they locate and rank deployments, but summed over locations they are not the
mission's strength, which the UN reports separately. Do not sum them.

Missing values: Geo-PKO writes ``NA`` where a value was not coded, ``unknown`` where
troops were present in an unknown number and ``?`` for an uncertain HQ code; all
three are stored as NULL. A row without coordinates (``NA``), with coordinates out
of range, a year or month that is not a number or a month outside 1-12, or another
value that is not a non-negative number is quarantined with the reason.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from pathlib import Path

import duckdb

from sentinelle.errors import SchemaError
from sentinelle.sources.ingest import (
    DEPLOYMENTS,
    IngestReport,
    count_check,
    first_record,
    raw_column,
    read_csv_raw,
    run_ingest,
    sql_literal,
    stage_deployments,
    unpacked_csv,
)
from sentinelle.steps import Step, no_step


@dataclass(frozen=True)
class Layout:
    """The file columns a Geo-PKO layout keeps each ``deployments`` field in."""

    source: str
    mission: str
    year: str
    month: str | None  # None: yearly data, stored as month 0
    location: str
    country: str
    latitude: str
    longitude: str
    troops: str
    police: str
    observers: str
    hq: str

    @property
    def columns(self) -> list[str]:
        """The file columns this layout needs."""
        return [c for c in astuple(self)[1:] if c is not None]


FRONTMAP = Layout(
    "geopko_frontmap", "mission", "year", None, "location", "country", "latitude",
    "longitude", "NoTroops", "UNPOL", "UNMO", "hq",
)  # fmt: skip
FULL = Layout(
    "geopko_full", "Mission", "year", "month", "location", "country", "latitude",
    "longitude", "No.troops", "UNPOL..dummy.", "UNMO..dummy.", "HQ",
)  # fmt: skip
RAW = Layout(
    "geopko_raw", "mission", "year", "month", "location", "country", "latitude",
    "longitude", "no.troops", "unpol.dummy", "unmo.dummy", "hq",
)  # fmt: skip
LAYOUTS = (FRONTMAP, FULL, RAW)

# Geo-PKO's words for a value it could not code (see the module docstring).
NOT_CODED = ("NA", "unknown", "?")

_VERSION_IN_NAME = re.compile(r"_v(\d+(?:\.\d+)*)", re.IGNORECASE)


def detect_layout(path: Path) -> Layout:
    """The layout of a Geo-PKO CSV, from its header.

    Raises
    ------
    SchemaError
        If the header has the columns of no layout; the message lists each layout's.
    """
    header = set(first_record(path))
    for layout in LAYOUTS:
        if header.issuperset(layout.columns):
            return layout
    expected = "; ".join(f"{lay.source}: {', '.join(lay.columns)}" for lay in LAYOUTS)
    raise SchemaError(f"{path}: not a Geo-PKO layout; expected the columns of one of {expected}")


def _undo_double_encoding(value: str) -> str:
    """Text whose UTF-8 bytes were read as Windows-1252 ('MÃ©naka'), decoded once more.

    Text that is not of that kind (it does not round-trip) is returned unchanged.
    """
    try:
        return value.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return value


def _name(con: duckdb.DuckDBPyConnection, column: str) -> str:
    """SQL for a name column of ``_raw``: trimmed (blank is NULL), double encoding undone."""
    text = raw_column(column)
    # Only non-ASCII values (more bytes than characters) can be doubly encoded.
    values = con.execute(
        f"SELECT DISTINCT {text} FROM _raw r WHERE strlen({text}) > length({text})"
    ).fetchall()
    fixes = [(v, _undo_double_encoding(v)) for (v,) in values]
    whens = " ".join(f"WHEN {sql_literal(v)} THEN {sql_literal(f)}" for v, f in fixes if f != v)
    repaired = f"CASE {text} {whens} ELSE {text} END" if whens else text
    # Geo-PKO has 'Dungoup ' beside 'Dungoup': keys must not differ by spaces.
    return f"nullif(trim({repaired}), '')"


def _stage(con: duckdb.DuckDBPyConnection, path: Path, layout: Layout) -> int:
    """Fill ``_stage`` from a Geo-PKO CSV of ``layout``; the header is one record."""
    typed = [layout.year] + ([layout.month] if layout.month else [])
    read_csv_raw(con, path, required=layout.columns, types=dict.fromkeys(typed, "SMALLINT"))

    def not_coded(column: str) -> str:
        return f"list_contains({sql_literal(list(NOT_CODED))}, {raw_column(column)})"

    def value(column: str, sql_type: str) -> str:
        return (
            f"CASE WHEN NOT {not_coded(column)} "
            f"THEN TRY_CAST({raw_column(column)} AS {sql_type}) END"
        )

    year = raw_column(layout.year)
    month = raw_column(layout.month) if layout.month else "0"
    month_checks = (
        f"WHEN {month} IS NULL THEN 'missing month' "
        f"WHEN {month} NOT BETWEEN 1 AND 12 THEN 'month out of range: ' || {month}"
        if layout.month
        else ""
    )
    lat, lon = raw_column(layout.latitude), raw_column(layout.longitude)
    coordinates = f"coalesce({lat}, 'empty') || ', ' || coalesce({lon}, 'empty')"
    counts = {"troops": layout.troops, "police": layout.police, "observers": layout.observers}
    stage_deployments(
        con,
        source=layout.source,
        parsed={
            "_mission": _name(con, layout.mission),
            "_location": _name(con, layout.location),
            "_country": _name(con, layout.country),
            "_latitude": f"TRY_CAST({lat} AS DOUBLE)",
            "_longitude": f"TRY_CAST({lon} AS DOUBLE)",
            **{f"_{field}": value(column, "DOUBLE") for field, column in counts.items()},
            "_hq": value(layout.hq, "SMALLINT"),
        },
        year=year,
        month=month,
        # Empty cells are missing values, not errors.
        checks=f"""
                WHEN _mission IS NULL OR _location IS NULL THEN 'missing mission/location'
                WHEN {year} IS NULL THEN 'missing year'
                {month_checks}
                WHEN {lat} IS NULL OR {lon} IS NULL OR {not_coded(layout.latitude)}
                     OR {not_coded(layout.longitude)}
                    THEN 'missing coordinates: ' || {coordinates}
                WHEN coalesce(_latitude NOT BETWEEN -90 AND 90, true)
                     OR coalesce(_longitude NOT BETWEEN -180 AND 180, true)
                    THEN 'coordinates out of range: ' || {coordinates}
                {
            " ".join(
                count_check(f, c, not_coded(c), f) for f, c in {**counts, "hq": layout.hq}.items()
            )
        }""",
    )
    return 1


def ingest_geopko(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    location: str | None = None,
    step: Step = no_step,
) -> IngestReport:
    """Ingest a Geo-PKO CSV (FrontMap, full or raw layout; plain or zipped) into ``deployments``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store (see :func:`sentinelle.store.open_store`).
    path : pathlib.Path
        The file; its layout is recognised from the header (:func:`detect_layout`).
    location : str, optional
        What provenance records instead of the resolved path (a download URL).
    step : callable, optional
        Progress sink, called with a short description of each stage.

    Returns
    -------
    IngestReport
        Counts of rows read, inserted, updated, unchanged and quarantined; the
        version is the one in the file name (``FrontMap_v2.3.csv`` -> 2.3), if any.

    Raises
    ------
    SchemaError
        If the header matches no Geo-PKO layout.

    Notes
    -----
    Troop numbers are map-derived averages: do not sum them into mission strength.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                       # doctest: +SKIP
    >>> ingest_geopko(con, Path("FrontMap_v2.3.csv"))                # doctest: +SKIP
    """
    path = Path(path)
    # The layout names the source, which the engine needs before it reads the file.
    with unpacked_csv(path) as csv_path:
        layout = detect_layout(csv_path)
    version = _VERSION_IN_NAME.search(path.name)
    return run_ingest(
        con,
        source=layout.source,
        version=version.group(1) if version else None,
        path=path,
        stage=lambda c, p: _stage(c, p, layout),
        target=DEPLOYMENTS,
        location=location,
        step=step,
    )
