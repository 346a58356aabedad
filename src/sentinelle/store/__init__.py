"""The embedded analytical store: one DuckDB file holding events, deployments, panels.

``open_store`` is the only way code gets a connection: it never lets DuckDB download
extensions at run time (the machines are offline), loads the spatial extension from
its PyPI wheel on request, and brings the schema up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sentinelle.store.schema import MIGRATIONS, migrate
from sentinelle.store.transaction import transaction

__all__ = ["MIGRATIONS", "load_spatial", "open_store", "records", "transaction"]


def open_store(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and migrate its schema.

    Examples
    --------
    >>> con = open_store(":memory:")
    >>> con.execute("SELECT count(*) FROM events").fetchone()
    (0,)
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        path,
        read_only=read_only,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    if not read_only:
        migrate(con)
    return con


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's spatial extension from the ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial

    ext_dir = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    candidates = sorted(ext_dir.rglob("spatial.duckdb_extension"))
    if not candidates:
        raise RuntimeError(f"spatial extension not found under {ext_dir}")
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
