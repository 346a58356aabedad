"""The embedded analytical store: one DuckDB file holding events, deployments, panels.

``open_store`` is the only way code gets a connection: it never lets DuckDB download
extensions at run time (the machines are offline), loads the spatial extension from
its PyPI wheel on request, and brings the schema up to date. A store that cannot be
opened raises a one-line :class:`~sentinelle.errors.StoreError` naming its path: in use
by another process, read-only, or on a full disk (:func:`store_error`).
"""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from sentinelle.errors import DiskFullError, StoreBusyError, StoreError, StoreReadOnlyError
from sentinelle.store.schema import MIGRATIONS, migrate
from sentinelle.store.transaction import transaction

__all__ = ["MIGRATIONS", "load_spatial", "open_store", "records", "store_error", "transaction"]


# How often a store held by another process is tried again while waiting for it.
RETRY_EVERY = 0.25


def open_store(
    path: str | Path,
    *,
    read_only: bool = False,
    wait: float = 0.0,
    on_busy: Callable[[StoreBusyError], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and migrate its schema.

    DuckDB lets one process hold a store read-write. While another holds it, the open
    is tried again every :data:`RETRY_EVERY` s for up to ``wait`` seconds (0: refuse at
    once), calling ``on_busy`` once with the first refusal (to say "store busy,
    retrying…"); then :class:`~sentinelle.errors.StoreBusyError`.

    Examples
    --------
    >>> con = open_store(":memory:")
    >>> con.execute("SELECT count(*) FROM events").fetchone()
    (0,)
    """
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return _open(str(path), read_only)
        except StoreBusyError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                if not wait:
                    raise
                raise StoreBusyError(f"{exc} (still busy after {wait:g} s)") from exc
            if on_busy is not None and not told:
                on_busy(exc)
                told = True
            time.sleep(min(RETRY_EVERY, left))


def _open(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            path,
            read_only=read_only,
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        if not read_only:
            migrate(con)
    except (duckdb.Error, OSError) as exc:
        error = store_error(path, exc)
        if error is None:
            raise
        raise error from exc
    return con


def store_error(path: str | Path, exc: BaseException) -> StoreError | None:
    """The :class:`~sentinelle.errors.StoreError` that DuckDB's or the OS's ``exc`` means
    for the store at ``path``: busy, full disk, read-only, or (any other OS error, or
    DuckDB's I/O error) a store that cannot be opened, with the reason; ``None`` for
    DuckDB's other errors, which are bugs rather than a store's state.

    Examples
    --------
    >>> print(store_error("s.duckdb", duckdb.IOException(
    ...     'IO Error: Could not set lock on file "s.duckdb": Conflicting lock is held in '
    ...     "/usr/bin/python3 (PID 4242). See also https://duckdb.org/docs")))  # doctest: +ELLIPSIS
    the store s.duckdb is in use by another process (PID 4242): stop it ...
    >>> print(store_error("afile/s.duckdb", FileExistsError(17, "File exists", "afile")))
    the store afile/s.duckdb cannot be opened: afile is a file, not a folder
    >>> store_error("s.duckdb", duckdb.CatalogException("Table x does not exist")) is None
    True
    """
    text = str(exc)
    if "Could not set lock on file" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        who = f"another process (PID {pid[1]})" if pid else "another process"
        return StoreBusyError(
            f"the store {path} is in use by {who}: stop it, or try again when it is done"
        )
    if "No space left on device" in text:
        return DiskFullError(f"no space left on the disk of the store {path}: free some space")
    if "Read-only file system" in text or "Permission denied" in text:
        return StoreReadOnlyError(
            f"the store {path} or its folder is read-only: choose a writable --store "
            "or open it read-only"
        )
    if isinstance(exc, OSError):
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            reason = f"{exc.filename} is a file, not a folder"
        else:
            reason = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        return StoreError(f"the store {path} cannot be opened: {reason}")
    if isinstance(exc, duckdb.IOException):
        return StoreError(f"the store {path} cannot be opened: {text.splitlines()[0]}")
    return None


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's spatial extension from the ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial

    ext_dir = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    candidates = sorted(ext_dir.rglob("spatial.duckdb_extension"))
    if not candidates:
        raise StoreError(
            f"DuckDB's spatial extension is not under {ext_dir}: reinstall the "
            "duckdb-extension-spatial package"
        )
    con.execute(f"INSTALL '{candidates[0]}'")
    con.execute("LOAD spatial")


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts keyed by column name.

    Examples
    --------
    >>> records(open_store(":memory:").execute("SELECT 1 AS a, 'x' AS b"))
    [{'a': 1, 'b': 'x'}]
    """
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
