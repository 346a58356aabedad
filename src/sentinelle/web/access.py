"""How the server reads the main store: short read-only connections, a bounded wait, a version.

DuckDB admits one read-write process per file, and read-only openers cannot share it
with that writer. The server therefore holds no connection to the main store between
requests: each read opens it read-only for the duration of its query
(:meth:`MainStore.connect`, a few milliseconds), so that ``sentinelle ingest`` or
``status`` can take the file whenever no query runs. While an ingest holds it, a read
retries for up to ``wait`` seconds ("store busy, retrying…") and then fails with
:class:`StoreBusyError`, which the app answers with 503 and ``Retry-After``.

:meth:`MainStore.version` fingerprints the store's file and write-ahead log (size and
modification time, one ``stat`` each): cached answers are keyed by it, so data an
ingest commits shows at once, without a restart. See decision 0009.

:meth:`MainStore.memo` keeps the heavy aggregates behind several answers (a country's
whole dyad table, of which each ``limit`` shows the top rows) per data version, so a
new query string over the same aggregate costs milliseconds of Python, not a scan.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import duckdb

from sentinelle.errors import StoreBusyError
from sentinelle.i18n import N_
from sentinelle.store import open_store
from sentinelle.web.messages import Explained

__all__ = ["RETRY_AFTER_S", "MainStore", "StoreBusy"]

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5  # what a 503 tells the client: an ingest takes seconds to minutes


class StoreBusy(Explained, StoreBusyError):
    """The main store is still held by a writer after the bounded wait (the app answers
    503 with ``Retry-After``), said as a catalogue message."""


MEMO_ENTRIES = 64  # aggregates kept by MainStore.memo, least recently used dropped

T = TypeVar("T")


@dataclass
class MainStore:
    """The main store as the server reaches it.

    ``con``, when given, is a connection the caller keeps (an in-memory store in tests
    and doctests): reads then take cursors on it and the version never changes.
    """

    path: str
    con: duckdb.DuckDBPyConnection | None = None
    wait: float = 3.0
    _memo: OrderedDict[Hashable, tuple[tuple[int, ...], Any]] = field(
        default_factory=OrderedDict, repr=False
    )
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: Hashable, version: tuple[int, ...], compute: Callable[[], T]) -> T:
        """``compute()``, or its result kept from an earlier call with ``key`` at ``version``.

        For aggregates several answers are cut from; ``version`` is :meth:`version`
        taken before the read, so an ingest's commit makes the next call recompute.
        Two threads missing at once may both compute; the last result is kept. With a
        held connection (whose version never changes) nothing is kept.
        """
        if self.con is not None:
            return compute()
        with self._memo_lock:
            found = self._memo.get(key)
            if found is not None and found[0] == version:
                self._memo.move_to_end(key)
                return cast(T, found[1])
        value = compute()
        with self._memo_lock:
            self._memo[key] = (version, value)
            self._memo.move_to_end(key)
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return value

    def version(self) -> tuple[int, ...]:
        """Size and modification time of the store file and its WAL (zeros if absent)."""
        if self.con is not None:
            return ()
        parts: list[int] = []
        for name in (self.path, self.path + ".wal"):
            try:
                info = os.stat(name)
            except FileNotFoundError:
                parts += [0, 0]
            else:
                parts += [info.st_size, info.st_mtime_ns]
        return tuple(parts)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one query or request, closed after it.

        Raises
        ------
        StoreBusyError
            If another process still holds the store after ``wait`` seconds.
        """
        if self.con is not None:
            with closing(self.con.cursor()) as cursor:
                yield cursor
            return
        with closing(self._open()) as con:
            # One core per query: the other stays free for the event loop and cached reads.
            con.execute("SET threads TO 1")
            yield con

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            return open_store(
                self.path,
                read_only=True,
                wait=self.wait,
                on_busy=lambda _: log.info("store %s busy, retrying…", self.path),
            )
        except StoreBusyError as exc:
            raise StoreBusy(
                N_(
                    "the store %(path)s is being written by another process (an ingest?): "
                    "retry in %(retry)s s"
                ),
                path=self.path,
                retry=RETRY_AFTER_S,
            ) from exc
