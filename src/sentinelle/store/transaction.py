"""One transaction as a ``with`` block: committed at the end, rolled back on any error.

``BaseException`` is caught, not only ``Exception``: a Ctrl-C in the middle of a write
must leave the store as it was, which is the guarantee every writer of the store gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction on ``con``.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> with transaction(con):
    ...     _ = con.execute("CREATE TABLE t AS SELECT 1 AS x")
    >>> con.execute("SELECT x FROM t").fetchone()
    (1,)
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
