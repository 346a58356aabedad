"""ACLED's subnational monthly aggregates, as HDX publishes them (``acled-hdx``).

ACLED publishes on HDX, for every country it covers, one dataset
(``<country>-acled-conflict-data``) of workbooks refreshed weekly, one per series:
*political violence* and *civilian targeting* (events and fatalities) and
*demonstrations* (events), by admin unit and month, for example
``burkina-faso_hrp_political_violence_events_and_fatalities_by_month-year_as-of-03apr2025.xlsx``.
OCHA's HDX Signals computes its alerts from these files, and they are the free way
to ACLED, whose API needs an account.

Layout
    An ``.xlsx`` workbook with the sheets ``TOU`` (ACLED's terms of use) and ``Data``,
    or a CSV of the ``Data`` sheet (an HXL tag row after the header is skipped). The
    columns of an admin2 file are ``Country, Admin1, Admin2, ISO3, Admin2 Pcode,
    Admin1 Pcode, Month, Year, Events, Fatalities``; an admin1 file lacks ``Admin2``
    and ``Admin2 Pcode``. The level is read from the header. ``Month`` is the English
    month name (``January``), stored as the VIEWS ``month_id`` with ``Year``.
Series and version
    The series (:data:`SERIES`) and the as-of date are read from HDX's file name
    (``..._political_violence_..._as-of-03apr2025...``). A file whose name does not
    name its series needs ``series=`` (``--series``); one whose name does not carry
    an as-of date is stored with ``as_of`` NULL, which ranks below every dated
    release.
Storage
    ``admin_aggregates``, keyed by source, series, as-of, country, level, P-code and
    month. Each release is kept: a newer as-of adds its rows beside the older ones
    and becomes the current value of every unit-month it holds
    (:func:`sentinelle.store.aggregates.current_aggregates`); re-ingesting a file of
    the same series and as-of with other values updates those unit-months and keeps
    the replaced rows in ``admin_aggregates_history`` (``sentinelle undo`` restores
    them). A unit-month is never removed because a file lacks it.

Rows quarantined (with the sheet and row, or the CSV line, and the reason): a
missing or malformed P-code (two capital letters then letters and digits, with at
least one digit; an admin2 code whose country prefix is not its admin1 code's), a
malformed ISO3, an unknown month name, a year that is not a whole number, a month
before January 1997 (ACLED's first) or after the as-of date or today, an Events or
Fatalities value that is missing, negative, fractional or above :data:`MAX_COUNT`
in one unit-month, fatalities without any event, and a repeated unit-month (the
first is kept). Empty rows are skipped. A file most of whose first rows have no
month name or year is refused before its rows are read.

HDX's demonstrations workbooks count events only: without a ``Fatalities`` column
they are refused, because the store keeps fatalities with every aggregate.

ACLED's terms of use apply to these files (their ``TOU`` sheet).
"""

from __future__ import annotations

import csv
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

from sentinelle.config import Settings
from sentinelle.errors import FetchError, SchemaError, SourceFileError, UsageError
from sentinelle.geo.months import month_id_from_date, month_string
from sentinelle.sources.http import DEFAULT_POLICY, HttpClient, HttpPolicy, json_body
from sentinelle.sources.ingest import (
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_RATIO,
    PROBE_ROWS,
    RAW_ORDINAL,
    IngestReport,
    Target,
    first_record,
    raw_column,
    read_csv_raw,
    run_ingest,
    sql_literal,
    unpacked_csv,
)
from sentinelle.steps import Step, no_step

SOURCE = "acled-hdx"

# ACLED's series on HDX, as stored in ``admin_aggregates.series``.
SERIES = ("political_violence", "civilian_targeting", "demonstrations")
DEFAULT_SERIES = "political_violence"

# ACLED's earliest events (African countries from January 1997).
COVERAGE_START = date(1997, 1, 1)

# Most events, or fatalities, one admin unit can plausibly have in one month: far above
# any unit-month ACLED has recorded; a larger value is a typo or a corrupt cell.
MAX_COUNT = 100_000

SHEET = "Data"
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip

ADMIN_AGGREGATES = Target(
    "admin_aggregates",
    ("source", "series", "as_of", "iso3", "admin_level", "pcode", "month_id"),
    versioned=False,
    nullable_key=("as_of",),
)

# HDX's names: "..._political_violence_events_and_fatalities_..." and the global files'
# "political-violence-events-and-fatalities"; demonstrations are "demonstration_events".
_SERIES_IN_NAME = {
    "political_violence": re.compile(r"political[_\- ]violence"),
    "civilian_targeting": re.compile(r"civilian[_\- ]targeting"),
    "demonstrations": re.compile(r"demonstrations?(?:[_\- ]events)?"),
}
_AS_OF_DMY = re.compile(r"as[_\-]of[_\-](\d{1,2})([a-z]{3})(\d{4})")
_AS_OF_ISO = re.compile(r"as[_\-]of[_\-](\d{4})-(\d{2})-(\d{2})")
_SERIES_ALIASES = {
    "political_violence": "political_violence",
    "civilian_targeting": "civilian_targeting",
    "demonstrations": "demonstrations",
    "demonstration": "demonstrations",
}


@dataclass(frozen=True)
class HdxName:
    """What an HDX file name says: its series and as-of date, where it says them."""

    series: str | None
    as_of: date | None


def parse_file_name(name: str) -> HdxName:
    """Series and as-of date from an HDX file name (``None`` where the name is silent).

    Examples
    --------
    >>> parse_file_name(
    ...     "burkina-faso_hrp_civilian_targeting_events_and_fatalities_by_month-year"
    ...     "_as-of-03apr2025.xlsx")
    HdxName(series='civilian_targeting', as_of=datetime.date(2025, 4, 3))
    >>> parse_file_name("mali_acled_political_violence_admin2_month_1997-2024.xlsx")
    HdxName(series='political_violence', as_of=None)
    """
    text = Path(name).name.lower()
    found = [s for s, pattern in _SERIES_IN_NAME.items() if pattern.search(text)]
    if len(found) > 1:
        raise UsageError(f"{name}: the file name names several series ({', '.join(found)})")
    as_of: date | None = None
    try:
        if match := _AS_OF_DMY.search(text):
            as_of = datetime.strptime("".join(match.groups()), "%d%b%Y").date()
        elif match := _AS_OF_ISO.search(text):
            as_of = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise UsageError(f"{name}: the as-of date in the file name is not a date") from None
    return HdxName(found[0] if found else None, as_of)


def normalise_series(series: str) -> str:
    """The stored name of a series given as ``political_violence``, ``political-violence``..."""
    key = series.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _SERIES_ALIASES:
        raise UsageError(f"unknown ACLED series {series!r}; choose from: {', '.join(SERIES)}")
    return _SERIES_ALIASES[key]


def _series_and_as_of(path: Path, series: str | None) -> tuple[str, date | None]:
    named = parse_file_name(path.name)
    if series is not None:
        given = normalise_series(series)
        if named.series is not None and named.series != given:
            raise UsageError(
                f"{path.name} is HDX's {named.series} file, not {given}: drop --series, "
                "or pass the file of that series"
            )
        chosen = given
    elif named.series is None:
        raise UsageError(
            f"{path.name}: the file name does not say which ACLED series it holds; "
            f"pass --series ({', '.join(SERIES)})"
        )
    else:
        chosen = named.series
    if named.as_of is not None and named.as_of > date.today():
        raise UsageError(f"{path.name}: its as-of date {named.as_of} is in the future")
    return chosen, named.as_of


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Layout:
    """The columns of an HDX file of one admin level."""

    level: int
    pcode: str
    name: str

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a file of this level must have."""
        admin2 = ("Admin2", "Admin2 Pcode") if self.level == 2 else ()
        return (
            "Country", "Admin1", "Admin1 Pcode", *admin2, "ISO3", "Month", "Year",
            "Events", "Fatalities",
        )  # fmt: skip


ADMIN1 = Layout(1, "Admin1 Pcode", "Admin1")
ADMIN2 = Layout(2, "Admin2 Pcode", "Admin2")


def detect_layout(path: Path, header: Sequence[str]) -> Layout:
    """The admin level of an HDX file, from its header; refuses other layouts."""
    columns = set(header)
    if "Admin2 Pcode" in columns:
        layout = ADMIN2
    elif "Admin1 Pcode" in columns:
        layout = ADMIN1
    else:
        raise SchemaError(
            f"{path}: no 'Admin1 Pcode' or 'Admin2 Pcode' column: not one of HDX's ACLED "
            "subnational files (a country-level file is not stored here); found "
            f"{', '.join(h for h in header if not h.startswith('_'))}"
        )
    if "Fatalities" not in columns and "Events" in columns:
        raise SchemaError(
            f"{path}: no Fatalities column (HDX's demonstrations files count events only); "
            "the store keeps fatalities with every aggregate, so this file cannot be stored"
        )
    missing = [c for c in layout.required if c not in columns]
    if missing:
        raise SchemaError(
            f"{path}: missing required column(s) {', '.join(missing)} of HDX's admin"
            f"{layout.level} layout"
        )
    return layout


# ------------------------------------------------------------------ reading the file


def _is_workbook(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _check_workbook_size(path: Path) -> None:
    """Refuse, before unpacking, a workbook that would expand beyond the ingest limits."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > MAX_UNZIPPED_BYTES or ratio > MAX_ZIP_RATIO:
                raise SourceFileError(
                    f"{path}: {member.filename} would expand from {member.compress_size:,} "
                    f"to {member.file_size:,} bytes ({ratio:,.0f}x); refused before "
                    f"unpacking (limits {MAX_UNZIPPED_BYTES:,} bytes, {MAX_ZIP_RATIO}x)"
                )


def _cell(value: Any) -> str:
    """A workbook cell as CSV text: whole numbers without '.0', text on one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).splitlines()).strip() if isinstance(value, str) else str(value)


def _refuse_junk(path: Path, rows: Iterable[Sequence[str]], header: Sequence[str]) -> None:
    """Refuse a file most of whose first :data:`PROBE_ROWS` non-empty rows have no month
    name or no year: junk, or not HDX's layout (checked before its rows are read)."""
    if "Month" not in header or "Year" not in header:
        return  # detect_layout names the missing columns
    month_at, year_at = header.index("Month"), header.index("Year")
    read = bad = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        read += 1
        month = row[month_at].strip().lower() if month_at < len(row) else ""
        year = row[year_at].strip() if year_at < len(row) else ""
        bad += month not in MONTH_NAMES or not year.isdigit()
        if read >= PROBE_ROWS:
            break
    if read >= min(PROBE_ROWS, 20) and bad * 2 > read:
        raise SourceFileError(
            f"{path}: {bad:,} of the first {read:,} rows have no month name or year; "
            "refused before reading the file (junk, or not HDX's ACLED layout)"
        )


@contextmanager
def sheet_as_csv(path: Path, sheet: str = SHEET) -> Iterator[Path]:
    """Yield the ``sheet`` of a workbook as a CSV whose record N is the sheet's row N.

    The CSV starts with two columns of its own, ``_sheet`` and ``_row`` (the sheet's
    name and row number), so that a quarantined row names where it was. Raises
    :class:`SourceFileError` for a file that is not a readable workbook and
    :class:`SchemaError` for one without ``sheet``.
    """
    import openpyxl  # imported here: only workbooks need it
    from openpyxl.utils.exceptions import InvalidFileException

    _check_workbook_size(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    try:
        if sheet not in book.sheetnames:
            raise SchemaError(
                f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)}); "
                f"HDX's ACLED workbooks hold their rows in '{SHEET}'"
            )
        # Read-only sheets yield every row from the first, empty rows included, so the
        # k-th row yielded is row k of the sheet.
        rows = book[sheet].iter_rows(values_only=True)
        header = [_cell(v) for v in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise SourceFileError(f"{path}: sheet {sheet!r} is empty")
        width = len(header)
        with tempfile.TemporaryDirectory(prefix="sentinelle-") as tmp:
            target = Path(tmp) / f"{path.stem}.{sheet}.csv"
            probe: list[list[str]] = []
            with target.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(["_sheet", "_row", *header])
                for number, values in enumerate(rows, start=2):
                    cells = [_cell(v) for v in values[:width]]
                    cells += [""] * (width - len(cells))
                    if len(probe) < PROBE_ROWS:
                        probe.append(cells)
                        if len(probe) == PROBE_ROWS:
                            _refuse_junk(path, probe, header)
                    writer.writerow([sheet, number, *cells])
            if len(probe) < PROBE_ROWS:
                _refuse_junk(path, probe, header)
            yield target
    finally:
        book.close()


@contextmanager
def _as_csv(path: Path) -> Iterator[Path]:
    """The CSV the stage reads: a workbook's ``Data`` sheet, or the CSV (plain or zipped)."""
    if _is_workbook(path):
        with sheet_as_csv(path) as csv_path:
            yield csv_path
        return
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise SourceFileError(f"{path}: not a readable .xlsx workbook (not a zip of sheets)")
    with unpacked_csv(path) as csv_path:
        header = first_record(csv_path)
        with csv_path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            records = csv.reader(fh)
            next(records, None)
            # A record Python's reader cannot split is left to the CSV reader to name.
            with suppress(csv.Error):
                _refuse_junk(path, records, header)
        yield csv_path


# ---------------------------------------------------------------------------- stage


def _count_checks(label: str) -> str:
    """Quarantine rules for an Events or Fatalities column (parsed into ``_<label>``)."""
    text, value = raw_column(label), f"_{label.lower()}"
    return f"""
                WHEN {text} IS NULL THEN 'missing {label}'
                WHEN {value} IS NULL OR {value} <> floor({value})
                    THEN 'bad {label}: ' || {text} || ' (not a whole number)'
                WHEN {value} < 0 THEN 'negative {label}: ' || {text}
                WHEN {value} > {MAX_COUNT}
                    THEN 'implausible {label}: ' || {text}
                         || ' (more than {MAX_COUNT:,} in one unit-month)'"""


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    series: str,
    as_of: date | None,
    last_month: int,
) -> int:
    """Fill ``_stage`` from the CSV (or the sheet written as CSV); one header record."""
    header = first_record(path)
    layout = detect_layout(path, header)
    read_csv_raw(con, path, required=layout.required)
    workbook = "_row" in header
    pcode, admin1 = f"trim({raw_column(layout.pcode)})", f"trim({raw_column('Admin1 Pcode')})"
    name, admin1_name = (
        f"nullif(trim({raw_column(layout.name)}), '')",
        f"nullif(trim({raw_column('Admin1')}), '')",
    )
    month = f"nullif(coalesce(list_position({sql_literal(list(MONTH_NAMES))}, lower(trim({raw_column('Month')}))), 0), 0)"  # noqa: E501
    pattern = sql_literal("[A-Z]{2}[A-Z0-9]{1,16}")

    def pcode_checks(column: str, value: str) -> str:
        return f"""
                WHEN {value} IS NULL OR {value} = '' THEN 'missing {column}'
                WHEN NOT regexp_full_match({value}, {pattern})
                     OR NOT regexp_matches({value}, '[0-9]')
                    THEN 'malformed {column}: ' || {value}"""

    hierarchy = (
        f"""
                WHEN left({pcode}, 2) <> left({admin1}, 2)
                    THEN 'Admin2 Pcode ' || {pcode} || ' is not of the country of Admin1 Pcode '
                         || {admin1}"""
        if layout.level == 2
        else ""
    )
    first, last = month_id_from_date(COVERAGE_START), last_month
    bound = "the as-of date" if as_of and month_id_from_date(as_of) == last else "this month"
    where = (
        f" || ' (sheet ' || {raw_column('_sheet')} || ', row ' || {raw_column('_row')} || ')'"
        if workbook
        else ""
    )
    data_columns = ", ".join(raw_column(c) for c in layout.required)
    as_of_sql = f"DATE '{as_of.isoformat()}'" if as_of else "NULL::DATE"
    con.execute(
        f"""
        CREATE TEMP TABLE _stage AS
        WITH p AS (
            SELECT r.*, {RAW_ORDINAL} AS _ord,
                {month} AS _month,
                TRY_CAST(trim({raw_column("Year")}) AS DOUBLE) AS _year,
                TRY_CAST(trim({raw_column("Events")}) AS DOUBLE) AS _events,
                TRY_CAST(trim({raw_column("Fatalities")}) AS DOUBLE) AS _fatalities
            FROM _raw r
        ), checked AS (
            SELECT r.*,
                CASE WHEN _year = floor(_year) AND _year BETWEEN 1 AND 9999 AND _month IS NOT NULL
                    THEN ((_year::INTEGER - 1980) * 12 + _month)::INTEGER END AS _month_id
            FROM p r
            -- empty rows, and the HXL tag row after the header, are neither read nor
            -- quarantined
            WHERE coalesce({data_columns}) IS NOT NULL
              AND NOT (_ord = 0 AND coalesce(starts_with(trim({raw_column("Month")}), '#'), false))
        )
        SELECT
            '{SOURCE}' AS source,
            {sql_literal(series)} AS series,
            {as_of_sql} AS as_of,
            trim({raw_column("ISO3")}) AS iso3,
            {layout.level}::SMALLINT AS admin_level,
            {pcode} AS pcode,
            {name} AS name,
            {admin1} AS admin1_pcode,
            {admin1_name} AS admin1_name,
            _month_id AS month_id,
            TRY_CAST(_events AS INTEGER) AS events,
            TRY_CAST(_fatalities AS INTEGER) AS fatalities,
            _ord,
            (CASE
                {pcode_checks(layout.pcode, pcode)}
                {pcode_checks("Admin1 Pcode", admin1) if layout.level == 2 else ""}
                {hierarchy}
                WHEN NOT coalesce(regexp_full_match(trim({raw_column("ISO3")}), '[A-Z]{{3}}'), false)
                    THEN 'malformed ISO3: ' || coalesce({raw_column("ISO3")}, 'empty')
                WHEN _month IS NULL THEN 'unknown Month: ' || coalesce({raw_column("Month")}, 'empty')
                WHEN _month_id IS NULL THEN 'bad Year: ' || coalesce({raw_column("Year")}, 'empty')
                WHEN _month_id NOT BETWEEN {first} AND {last}
                    THEN 'implausible month: ' || {raw_column("Year")} || '-' || lpad(_month::VARCHAR, 2, '0')
                         || ' (not between {month_string(first)} and {bound}, {month_string(last)})'
                {_count_checks("Events")}
                {_count_checks("Fatalities")}
                WHEN _fatalities > 0 AND _events = 0
                    THEN 'implausible Fatalities: ' || {raw_column("Fatalities")} || ' with no Events'
            END){where} AS _reason
        FROM checked r
        """  # noqa: E501
    )
    return 1


# --------------------------------------------------------------------------- ingest


def ingest_acled_hdx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    series: str | None = None,
    step: Step = no_step,
    location: str | None = None,
) -> IngestReport:
    """Ingest one of HDX's ACLED subnational monthly files into ``admin_aggregates``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store (see :func:`sentinelle.store.open_store`).
    path : pathlib.Path
        The workbook (``.xlsx``, sheet ``Data``) or CSV, admin1 or admin2, as HDX
        publishes it (see the module docstring).
    series : str, optional
        ``political_violence``, ``civilian_targeting`` or ``demonstrations``, when the
        file name does not say; refused if the name says another.
    step : callable, optional
        Progress sink, called with a short description of each stage.
    location : str, optional
        What provenance records instead of the resolved path (a download URL).

    Returns
    -------
    IngestReport
        Counts of unit-months read, inserted, updated, unchanged and quarantined; the
        version is ``"<series> as of <date>"`` (or the series alone without an as-of
        date); ``skipped`` if this exact file was ingested before.

    Raises
    ------
    UsageError
        The name does not say the series and ``series`` is not given, or says another.
    SchemaError
        The header is not of HDX's admin1 or admin2 layout, or there is no ``Data`` sheet.
    SourceFileError
        The file is not a readable workbook or CSV, or is mostly junk.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                                # doctest: +SKIP
    >>> ingest_acled_hdx(con, Path(
    ...     "burkina-faso_hrp_political_violence_events_and_fatalities_by_month-year"
    ...     "_as-of-03apr2025.xlsx"))                                         # doctest: +SKIP
    IngestReport(source='acled-hdx', version='political_violence as of 2025-04-03', ...)
    """
    path = Path(path)
    chosen, as_of = _series_and_as_of(path, series)
    today = month_id_from_date(date.today())
    last_month = min(today, month_id_from_date(as_of)) if as_of else today
    version = f"{chosen} as of {as_of.isoformat()}" if as_of else chosen
    return run_ingest(
        con,
        source=SOURCE,
        version=version,
        path=path,
        stage=lambda c, p: _stage(c, p, chosen, as_of, last_month),
        target=ADMIN_AGGREGATES,
        location=location,
        step=step,
        as_csv=_as_csv,
    )


# ---------------------------------------------------------------------------- fetch

DATASET_SUFFIX = "-acled-conflict-data"
_INGEST_COMMAND = "`sentinelle ingest acled-hdx FILE`"
_FORMATS = (".xlsx", ".csv")


def dataset_id(country: str) -> str:
    """HDX's id of ACLED's dataset for ``country`` (its English name).

    Examples
    --------
    >>> dataset_id("Burkina Faso")
    'burkina-faso-acled-conflict-data'
    >>> dataset_id("Côte d'Ivoire")
    'cote-d-ivoire-acled-conflict-data'
    """
    slug = _slug(country)
    if not slug:
        raise UsageError(f"{country!r} is not a country name")
    return slug + DATASET_SUFFIX


def _slug(name: str) -> str:
    """A name as HDX writes it in ids: ASCII, lower case, words joined by '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class HdxResource:
    """One file of an HDX dataset, with what its name says."""

    name: str
    url: str
    series: str | None
    as_of: date | None
    position: int


def resources(package: dict[str, Any]) -> list[HdxResource]:
    """The workbooks and CSVs of an HDX dataset (a CKAN ``package_show`` result)."""
    out: list[HdxResource] = []
    for position, resource in enumerate(package.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        url = str(resource.get("download_url") or resource.get("url") or "")
        name = Path(unquote(urlparse(url).path)).name
        name = str(resource.get("name") or name)
        if not url or not name.lower().endswith(_FORMATS):
            continue
        try:
            said = parse_file_name(name)
        except UsageError:
            continue
        out.append(HdxResource(name, url, said.series, said.as_of, position))
    return out


def choose_resource(package: dict[str, Any], series: str) -> HdxResource:
    """The file of ``series`` with the latest as-of date (a workbook before a CSV)."""
    files = resources(package)
    matching = [r for r in files if r.series == series]
    if not matching:
        found = sorted({r.series for r in files if r.series})
        raise UsageError(
            f"HDX dataset {package.get('name', '?')} has no {series} file; it has "
            f"{', '.join(found) or 'none of ACLED series files'}"
        )
    return max(
        matching,
        key=lambda r: (r.as_of or date.min, r.name.lower().endswith(".xlsx"), -r.position),
    )


def _result(client: HttpClient, url: str, params: dict[str, str | int]) -> Any:
    """The ``result`` of a CKAN action, or ``None`` when CKAN answers 'not found'."""
    response = client.request("GET", url, params=params, passthrough=(404,))
    body = json_body(response)
    if response.status_code == 404:
        return None
    if not isinstance(body, dict) or body.get("success") is not True or "result" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        raise FetchError(f"{response.request.url}: HDX answered without a result ({error})")
    return body["result"]


def _find_package(client: HttpClient, base: str, country: str) -> dict[str, Any]:
    """ACLED's HDX dataset for ``country``: by its usual id, else by a search."""
    wanted = dataset_id(country)
    package = _result(client, f"{base}/api/3/action/package_show", {"id": wanted})
    if isinstance(package, dict):
        return package
    found = _result(
        client,
        f"{base}/api/3/action/package_search",
        {"q": country, "fq": "organization:acled", "rows": 50},
    )
    results = found.get("results", []) if isinstance(found, dict) else []
    key = _slug(country)

    def names_country(package: Any) -> bool:
        """Whether a search result is an ACLED dataset whose country group is ``country``."""
        if not isinstance(package, dict):
            return False
        groups = [g for g in package.get("groups") or [] if isinstance(g, dict)]
        return str(package.get("name", "")).endswith(DATASET_SUFFIX) and any(
            _slug(str(g.get(field) or "")) == key
            for g in groups
            for field in ("name", "display_name", "title")
        )

    candidates = [p for p in results if names_country(p)]
    if len(candidates) != 1:
        names = ", ".join(str(p.get("name")) for p in candidates)
        raise UsageError(
            f"HDX has no ACLED dataset {wanted}"
            + (f" and several match {country!r}: {names}" if candidates else "")
            + f"; ACLED's country datasets are listed at {base}/organization/acled"
        )
    return dict(candidates[0])


def fetch_acled_hdx(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings,
    country: str,
    series: str = DEFAULT_SERIES,
    refresh: bool = False,
    policy: HttpPolicy = DEFAULT_POLICY,
    step: Step = no_step,
) -> IngestReport:
    """Download ACLED's latest HDX file of ``series`` for ``country`` and ingest it.

    Reads the dataset ``<country>-acled-conflict-data`` from HDX's CKAN API
    (``package_show``; a ``package_search`` of ACLED's datasets when that id does not
    exist), chooses the file of the series with the latest as-of date, downloads it
    into the cache (``<cache_dir>/acled-hdx/<file name>``, reused while its checksum
    holds: each weekly release has its own name) and ingests it with
    :func:`ingest_acled_hdx`, recording its URL.

    Raises
    ------
    UsageError
        HDX has no ACLED dataset for the country, or no file of the series.
    OfflineError
        HDX cannot be reached; the message names the command for a local file.

    Examples
    --------
    >>> fetch_acled_hdx(con, settings=Settings(), country="Mali")          # doctest: +SKIP
    IngestReport(source='acled-hdx', version='political_violence as of 2025-04-03', ...)
    """
    chosen = normalise_series(series)
    base = settings.hdx_base_url.rstrip("/")
    page = f"{base}/dataset/{dataset_id(country)}"
    with HttpClient(
        source=SOURCE,
        cache_dir=settings.cache_dir,
        offline_hint=f"Download the {chosen} file of {page} elsewhere and run {_INGEST_COMMAND}",
        policy=policy,
    ) as client:
        step(f"HDX: ACLED dataset for {country}")
        package = _find_package(client, base, country)
        resource = choose_resource(package, chosen)
        filename = Path(unquote(urlparse(resource.url).path)).name
        if Path(resource.name).name == resource.name and resource.name not in ("", ".", ".."):
            filename = resource.name
        step(f"download {filename}")
        path = client.download(resource.url, filename, refresh=refresh)
    return ingest_acled_hdx(con, path, series=chosen, step=step, location=resource.url)


__all__ = [
    "ADMIN1",
    "ADMIN2",
    "ADMIN_AGGREGATES",
    "COVERAGE_START",
    "DEFAULT_SERIES",
    "MAX_COUNT",
    "SERIES",
    "SOURCE",
    "HdxName",
    "HdxResource",
    "Layout",
    "choose_resource",
    "dataset_id",
    "detect_layout",
    "fetch_acled_hdx",
    "ingest_acled_hdx",
    "normalise_series",
    "parse_file_name",
    "resources",
    "sheet_as_csv",
]
