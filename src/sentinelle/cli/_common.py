"""What every command shares: the store option and context, progress, tables, errors.

Errors Sentinelle raises on purpose (:class:`~sentinelle.errors.SentinelleError`) are
printed as one red line and exit with the branch's ``exit_code``; with ``--debug`` (or
``SENTINELLE_DEBUG=1``) they are raised again, traceback and all. Anything else is a
bug and shows its traceback.

A store held by another process (another ingest, the dashboard) is waited for, up to
``--wait`` seconds (``SENTINELLE_STORE_WAIT``, default 30; 0 fails at once), saying so
once; every command opens the store through :func:`store_open`, so all of them wait
the same way.

Output is made for a terminal of 80 columns: :func:`print_frame` shows the columns a
reader needs, drops the least important ones (saying which) when they cannot fit, and
writes missing values as "—" and booleans as yes/no in the reader's language (``--lang``,
``SENTINELLE_LANG``, else the locale of the environment). Libraries' own INFO logging
(WeasyPrint, fontTools, pyfixest, ...) is silenced unless ``--verbose``
(:func:`configure_logging`).

What commands print goes through the catalogue in that same language: ``_("Written
%(path)s", path=path)`` (:func:`_`), numbers with :func:`number`, ``label: text`` with
the language's colon through :func:`labelled`; the command line's own usage errors are
:class:`BadParameter` or :class:`~sentinelle.errors.UsageError` with a translated message.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TextIO

import duckdb
import numpy as np
import pandas as pd
import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.errors import SentinelleError, StoreBusyError
from sentinelle.i18n import LANGS, N_, Lang, translator
from sentinelle.sources import IngestReport
from sentinelle.steps import Step
from sentinelle.store import open_store, store_error
from sentinelle.store.status import SourceStatus

console = Console()

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help=N_("DuckDB store file (env SENTINELLE_STORE; default ./sentinelle.duckdb)")
    ),
]
OutOption = Annotated[Path, typer.Option("--out", help=N_("Directory for the files written"))]
# The engine that builds a panel: DuckDB in the store, or Apache Spark (local[2]).
EngineOption = Annotated[str, typer.Option(help=N_("duckdb | spark"))]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help=N_("Event source (ged, ged_candidate, acled); one is required "
                 "when the store holds several, as they report the same killings")),
]  # fmt: skip

# The word before the one red line of an error.
ERROR = N_("error:")

# Seconds a command waits for a store another process holds, unless --wait says.
DEFAULT_WAIT = 30.0


@dataclass
class _Options:
    """What the app's callback sets for each invocation (--debug, --wait, --lang)."""

    debug: bool = False
    wait: float = DEFAULT_WAIT
    lang: Lang = "en"


_options = _Options()

# Loggers of libraries that report routine progress at INFO (WeasyPrint's rendering
# steps, fontTools' font subsetting, ...): kept at WARNING unless --verbose.
QUIET_LOGGERS = (
    "weasyprint", "fontTools", "pyfixest", "matplotlib", "PIL", "py4j", "pyspark",
    "httpx", "httpcore", "numba", "lightgbm", "cmdstanpy", "prophet", "urllib3",
)  # fmt: skip


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log records to the standard error of the moment (what the CLI prints on)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        """The stream is always the current ``sys.stderr``."""


def configure_logging(verbose: bool = False) -> None:
    """Warnings and errors only, unless ``verbose``; libraries cannot turn INFO back on.

    The root logger gets a handler of its own first, so a library that calls
    ``logging.basicConfig(level=logging.INFO)`` when imported (pyfixest does) changes
    nothing; the loggers of :data:`QUIET_LOGGERS` are held at WARNING besides.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        # Ours from an earlier invocation, or a basicConfig handler a library installed.
        if isinstance(handler, _ConsoleHandler) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.addHandler(_ConsoleHandler())
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)


def environment_lang() -> Lang:
    """French when the environment's locale is French (``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``), else English."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


class BadParameter(typer.BadParameter):
    """An option value the command line refuses, said in its language (Typer's error panel)."""

    def format_message(self) -> str:
        if self.param_hint is not None or self.param is not None:
            return super().format_message()
        return _("Invalid value: %(message)s", message=self.message)


def set_lang(lang: str | None) -> None:
    """The language of help, tables and messages (``--lang``; else the environment's)."""
    if lang is not None and lang not in LANGS:
        raise BadParameter(_("--lang must be one of %(langs)s", langs=", ".join(LANGS)))
    _options.lang = lang if lang in LANGS else environment_lang()


def cli_lang() -> Lang:
    """The language the command line speaks in this invocation."""
    return _options.lang


def _(message: str, /, **values: object) -> str:
    """``message`` in the command line's language (:func:`cli_lang`), its ``%(name)s``
    placeholders filled with ``values``: ``_("Written %(path)s", path=path)``."""
    text = translator(cli_lang()).gettext(message)
    return text % values if values else text


def number(value: float, digits: int = 0) -> str:
    """``value`` with the separators of the command line's language (``12 345``)."""
    return translator(cli_lang()).number(value, digits)


def labelled(label: str, text: object) -> str:
    """``label: text`` with the colon of the command line's language (``label : text``);
    ``label`` is already translated (it may hold Rich markup)."""
    return _("%(label)s: %(text)s", label=label, text=text)


def set_debug(debug: bool) -> None:
    """Whether Sentinelle's errors show their traceback rather than one line."""
    _options.debug = debug


def set_wait(seconds: float) -> None:
    """How long :func:`store_open` waits for a store held by another process."""
    _options.wait = max(seconds, 0.0)


def settings(store: Path | None = None) -> Settings:
    """Settings with the CLI's ``--store`` taking precedence over env and config file."""
    return Settings(store=store) if store else Settings()


@contextmanager
def failures() -> Iterator[None]:
    """Turn Sentinelle's own errors into one red line and the branch's exit status."""
    try:
        yield
    except SentinelleError as exc:
        if _options.debug:
            raise
        console.print(f"[bold red]{_(ERROR)}[/] {exc}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _busy(path: Path, wait: float) -> Callable[[StoreBusyError], None]:
    """What a command says, once, when it starts waiting for a busy store."""

    def say(_error: StoreBusyError) -> None:
        busy = _("store busy, retrying…")
        seconds = f"{wait:g}"
        held = _(
            "%(path)s is held by another process; waiting up to %(seconds)s s "
            "(--wait 0 fails at once)",
            path=path,
            seconds=seconds,
        )
        console.print(f"[yellow]{busy}[/] {held}", soft_wrap=True)

    return say


@contextmanager
def store_open(
    store: Path | None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store of ``--store`` (or the settings'), closed on leaving.

    A store held by another process is waited for (see the module docstring). A write
    the store cannot take while the job runs or as it closes (disk full, folder made
    read-only, lock lost) is the same :class:`~sentinelle.errors.StoreError` as at
    opening.
    """
    path = settings(store).store
    wait = _options.wait
    con = open_store(path, read_only=read_only, wait=wait, on_busy=_busy(path, wait))
    try:
        try:
            yield con
        finally:
            con.close()  # a full disk may first show here, writing the last checkpoint
    except (duckdb.Error, OSError) as exc:
        mapped = store_error(path, exc)
        if mapped is None:
            raise
        raise mapped from exc


@contextmanager
def steps(title: str) -> Iterator[Step]:
    """A Rich progress line that shows each step of a long operation as it starts."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(title, total=None)
        yield lambda text: progress.update(task, description=f"{title}: {text}")


@contextmanager
def job(
    store: Path | None, title: str, *, read_only: bool = False
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Step]]:
    """What a command runs a job in: errors mapped, the store open, a progress line."""
    with failures(), store_open(store, read_only=read_only) as con, steps(title) as step:
        yield con, step


# Readable headings of the columns commands print (unknown columns: underscores -> spaces).
COLUMN_LABELS: dict[str, str] = {
    "actor": N_("Actor"),
    "actor_1": N_("Actor 1"),
    "actor_2": N_("Actor 2"),
    "actor_type": N_("Type"),
    "type_1": N_("Type 1"),
    "type_2": N_("Type 2"),
    "matched": N_("In registry"),
    "period": N_("Period"),
    "admin1": N_("Region"),
    "admin2": N_("District"),
    "events": N_("Events"),
    "fatalities": N_("Fatalities"),
    "civilian_deaths": N_("Civilians killed"),
    "name": N_("Name"),
    "source": N_("Source"),
    "rows": N_("Rows"),
    "username": N_("User"),
    "role": N_("Role"),
    "disabled": N_("Disabled"),
    "created_at": N_("Created"),
}
# Actor types in words (the report's wording); names outside the registry have none.
MISSING = "—"
_MISSING_TEXT = frozenset({"", "none", "nan", "nat", "<na>", "null"})
_TYPE_COLUMNS = ("actor_type", "type_1", "type_2")
# Integer columns that are codes or years, not counts: no thousands separator.
_CODE_COLUMNS = ("year", "line", "gid", "ingest")


def cell(value: Any, lang: Lang | None = None, column: str = "") -> str:
    """One value as a reader reads it: "—" when missing, yes/no, locale numbers.

    Examples
    --------
    >>> cell(None), cell(float("nan")), cell(True, "fr"), cell(12345.0, "en"), cell(0.25, "en")
    ('—', '—', 'oui', '12,345', '0.25')
    """
    t = translator(lang or cli_lang())
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return t.gettext("yes") if value else t.gettext("no")
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return MISSING
        return t.number(float(value), 0 if float(value).is_integer() else 2)
    if isinstance(value, int | np.integer):
        if column.endswith("_id") or column in _CODE_COLUMNS:
            return str(value)
        return t.number(int(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}" if (value.hour or value.minute) else f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(cell(v, lang) for v in value) or MISSING
    text = str(value)
    return MISSING if text.strip().lower() in _MISSING_TEXT else text


def column_label(column: object, lang: Lang | None = None) -> str:
    """The heading of a column in the reader's language."""
    name = str(column)
    if name in COLUMN_LABELS:
        return translator(lang or cli_lang()).gettext(COLUMN_LABELS[name])
    return name.replace("_", " ")


def _words(text: str) -> list[str]:
    return text.replace("\u202f", "").split() or [""]


def fit_widths(
    headers: Sequence[str], cells: Sequence[Sequence[str]], numeric: Sequence[bool], room: int
) -> list[int] | None:
    """Column widths that fit ``room`` characters, cutting no word shorter than 20
    characters nor any number; ``None`` when they cannot fit.

    Columns keep their natural width when all fit; otherwise each gets its longest
    word (a number, for numeric columns) and the room left is shared in proportion to
    what each column would still need.
    """
    natural, minimum = [], []
    for i, header in enumerate(headers):
        texts = [header, *(row[i] for row in cells)]
        natural.append(max(cell_len(line) for text in texts for line in text.splitlines() or [""]))
        values = [row[i] for row in cells]
        words = [w for text in ([header] if numeric[i] else texts) for w in _words(text)]
        longest = max(cell_len(w) for w in words)
        if numeric[i]:
            longest = max([longest, *(cell_len(v) for v in values)])
        minimum.append(longest if numeric[i] else min(longest, 20))
    if sum(natural) <= room:
        return natural
    if sum(minimum) > room:
        return None
    spare = room - sum(minimum)
    wants = [n - m for n, m in zip(natural, minimum, strict=True)]
    total = sum(wants) or 1
    widths = [m + spare * w // total for m, w in zip(minimum, wants, strict=True)]
    return widths


def frame_table(
    frame: pd.DataFrame,
    title: str,
    rows: int = 15,
    *,
    columns: Sequence[str] | None = None,
    width: int | None = None,
    lang: Lang | None = None,
) -> tuple[Table, list[str]]:
    """A Rich table of the first ``rows`` that fits ``width`` (the console's), and the
    headings of the columns left out to fit, least important (last of ``columns``) first.
    """
    lang = lang or cli_lang()
    t = translator(lang)
    wanted = [c for c in (columns or [str(c) for c in frame.columns]) if c in frame.columns]
    width = width or console.width
    head = frame.head(rows)
    # The actors package loads plotting and network libraries: imported when needed.
    from sentinelle.actors.registry import ACTOR_TYPE_LABELS, UNMATCHED_TYPE

    for column in (c for c in _TYPE_COLUMNS if c in head.columns):
        # A name outside the registry has no type: "—", not "unmatched".
        head = head.assign(**{column: [
            t.gettext(ACTOR_TYPE_LABELS[v])
            if v in ACTOR_TYPE_LABELS and v != UNMATCHED_TYPE
            else MISSING
            for v in head[column]
        ]})  # fmt: skip
    dropped: list[str] = []
    while True:
        headers = [column_label(c, lang) for c in wanted]
        cells = [
            [cell(v, lang, c) for v, c in zip(values, wanted, strict=True)]
            for values in head[wanted].itertuples(index=False)
        ]
        numeric = [
            pd.api.types.is_numeric_dtype(head[c]) and not pd.api.types.is_bool_dtype(head[c])
            for c in wanted
        ]
        table = fitted_table(title, headers, cells, numeric, width)
        if table is not None:
            return table, dropped
        if len(wanted) <= 1:
            return fitted_table(title, headers, cells, numeric, None), dropped  # type: ignore[return-value]
        dropped.insert(0, headers[-1])
        wanted.pop()


def fitted_table(
    title: str,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    width: int | None,
) -> Table | None:
    """A table of text cells in at most ``width`` columns (any width when ``None``),
    headings never cut; ``None`` when it cannot fit (see :func:`fit_widths`)."""
    widths: list[int] | None = None
    if width is not None:
        # Between two columns: one space of padding and the box's (blank) divider.
        widths = fit_widths(headers, cells, numeric, width - 2 * (len(headers) - 1))
        if widths is None:
            return None
    table = Table(
        title=title, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False,
        show_edge=False, title_justify="left",
    )  # fmt: skip
    for i, header in enumerate(headers):
        table.add_column(
            header,
            justify="right" if numeric[i] else "left",
            width=widths[i] if widths else None,
            overflow="fold",
        )
    for row in cells:
        table.add_row(*row)
    return table


def print_frame(
    frame: pd.DataFrame,
    title: str,
    rows: int = 15,
    *,
    columns: Sequence[str] | None = None,
    lang: Lang | None = None,
) -> None:
    """Render the first rows of a table so that it fits the terminal (see the module
    docstring); ``columns`` chooses and orders the columns, most important first."""
    t = translator(lang or cli_lang())
    if not len(frame):
        console.print(t.gettext("%(title)s: nothing to show.") % {"title": title})
        return
    table, dropped = frame_table(frame, title, rows, columns=columns, lang=lang)
    console.print(table)
    shown = min(rows, len(frame))
    if shown < len(frame) or dropped:
        note = t.gettext("%(shown)s of %(rows)s rows shown") % {
            "shown": t.number(shown), "rows": t.number(len(frame))}  # fmt: skip
        if dropped:
            note += t.gettext("; columns left out to fit the terminal: %(columns)s") % {
                "columns": ", ".join(dropped)}  # fmt: skip
        console.print(f"[dim]{note}[/]")


def print_status(path: Path, holdings: Sequence[SourceStatus]) -> None:
    """What ``sentinelle status`` shows: per source its versions, counts and span, in a
    table whose headings fit 80 columns (long cells wrap, headings are never cut)."""
    t = translator(cli_lang())
    if not holdings:
        console.print(t.gettext("The store is empty."))
        return
    headings = [N_("source"), N_("versions"), N_("rows"), N_("deleted"), N_("quarantined"),
                N_("span"), N_("last ingest")]  # fmt: skip
    numeric = [False, False, True, True, True, False, False]
    cells = [
        [
            s.source, ", ".join(s.versions) or MISSING, t.number(s.rows), t.number(s.deleted),
            t.number(s.quarantined),
            f"{s.first:%Y-%m} → {s.last:%Y-%m}" if s.first and s.last else MISSING,
            f"{s.last_ingest:%Y-%m-%d}" if s.last_ingest else MISSING,
        ]
        for s in holdings
    ]  # fmt: skip
    title = t.gettext("Store %(path)s") % {"path": path}
    headers = [t.gettext(h) for h in headings]
    table = fitted_table(title, headers, cells, numeric, console.width)
    while table is None and len(headers) > 2:  # a very narrow terminal: fewer columns
        headers, cells, numeric = headers[:-1], [row[:-1] for row in cells], numeric[:-1]
        table = fitted_table(title, headers, cells, numeric, console.width)
    console.print(table or fitted_table(title, headers, cells, numeric, None))


def print_ingest(report: IngestReport) -> None:
    """One line on what an ingest did, and where to see its quarantined rows."""
    if report.skipped:
        already = _(
            "was already ingested as ingest #%(ingest)s (same sha256): nothing changed.",
            ingest=report.ingest_id,
        )
        console.print(f"[yellow]{report.location}[/] {already}")
        return
    head = _("ingest #%(ingest)s", ingest=report.ingest_id)
    counts = _(
        "read %(read)s, inserted %(inserted)s, updated %(updated)s, unchanged %(unchanged)s, "
        "marked deleted %(deleted)s, quarantined %(quarantined)s",
        read=number(report.rows_read), inserted=number(report.rows_inserted),
        updated=number(report.rows_updated), unchanged=number(report.rows_unchanged),
        deleted=number(report.rows_deleted), quarantined=number(report.rows_quarantined),
    )  # fmt: skip
    what = f"[green]{head}[/] {report.source} {report.version or ''}".rstrip()
    console.print(labelled(what, counts))
    if report.rows_quarantined:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(report.quarantine_reasons.items()))
        command = f"`sentinelle quarantine --ingest {report.ingest_id}`"
        see = _("(%(reasons)s); see them with %(command)s", reasons=reasons, command=command)
        held = _("quarantined rows")
        console.print(f"[yellow]{held}[/] {see}")
