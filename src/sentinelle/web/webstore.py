"""The server's own small store beside the main one: users, sessions and analyst reports.

The dashboard writes only these, and writes them here (SQLite, from the standard
library, in ``<store>.web.sqlite``) rather than in the DuckDB store, whose file lock
admits one writing process: a sign-in or a filed report then never blocks an ingest,
and ``sentinelle users add`` works whether or not the server runs, since SQLite lets
several processes write one file in turn (WAL journal, a 5 s busy timeout).

The first time a web store is opened beside a main store that still holds ``users``
and ``incidents`` rows (stores made before this split), they are copied over with
their ids, once (:func:`open_web_store`).

Timestamps are ISO 8601 text in UTC; an incident's actors a JSON list.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sentinelle.errors import DiskFullError, StoreBusyError, StoreError, StoreReadOnlyError
from sentinelle.store import store_error
from sentinelle.web.access import MainStore

__all__ = ["WebStore", "now_utc", "open_web_store", "rows", "utc", "web_store_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (user_id),
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    event_date       TEXT NOT NULL,
    latitude         REAL NOT NULL,
    longitude        REAL NOT NULL,
    country_iso3     TEXT,
    location_name    TEXT,
    actors           TEXT NOT NULL DEFAULT '[]',
    violence_type    TEXT,
    fatalities       INTEGER NOT NULL CHECK (fatalities >= 0),
    civilian_deaths  INTEGER CHECK (civilian_deaths >= 0),
    source           TEXT NOT NULL,
    confidence       TEXT NOT NULL CHECK (confidence IN ('low', 'medium', 'high')),
    notes            TEXT,
    status           TEXT NOT NULL DEFAULT 'submitted'
                     CHECK (status IN ('submitted', 'confirmed', 'rejected')),
    submitted_by     TEXT NOT NULL,
    submitted_at     TEXT NOT NULL,
    reviewed_by      TEXT,
    reviewed_at      TEXT,
    review_note      TEXT
);
CREATE TABLE IF NOT EXISTS migrations (
    name  TEXT PRIMARY KEY,
    at    TEXT NOT NULL
);
"""
_MIGRATED = "users_and_incidents_from_main_store"
_memory_names = itertools.count(1)


def now_utc() -> str:
    """The current UTC time as the web store writes timestamps."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def utc(stamp: str) -> dt.datetime:
    """A timestamp the web store wrote, as an aware UTC datetime."""
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)


def web_store_path(store: str | Path) -> str:
    """Where the web store of the main store ``store`` lives (``:memory:`` stays in memory)."""
    return ":memory:" if str(store) == ":memory:" else f"{store}.web.sqlite"


def rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class WebStore:
    """A web store's location; :meth:`connect` gives a connection for one unit of work.

    Connections are cheap (tens of microseconds) and not shared between threads. An
    in-memory store (tests, doctests) is a named shared-cache database kept alive by
    ``_anchor`` for the life of this object (an app may be started and stopped again).
    """

    target: str
    uri: bool = False
    _anchor: sqlite3.Connection | None = field(default=None, repr=False)

    @classmethod
    def at(cls, path: str) -> WebStore:
        """The web store at ``path`` (a file, or ``:memory:`` for a private one)."""
        if path == ":memory:":
            target = f"file:sentinelle-web-{next(_memory_names)}?mode=memory&cache=shared"
            store = cls(target, uri=True)
            store._anchor = store._open()
            return store
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise store_error(path, exc) or StoreError(str(exc)) from exc
        return cls(path)

    def _open(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(
                self.target, uri=self.uri, timeout=5.0, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the dashboard's store {self.target}: {exc}") from exc
        return con

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode (``with con:`` makes a transaction), then closed.

        SQLite's failures of the file itself (full disk, read-only, locked past the
        time-out) are the same :class:`~sentinelle.errors.StoreError` branches as the
        main store's.
        """
        try:
            with closing(self._open()) as con:
                yield con
        except sqlite3.OperationalError as exc:
            raise _web_store_error(self.target, exc) from exc


def _web_store_error(target: str, exc: sqlite3.OperationalError) -> Exception:
    """The error tree's branch for SQLite's ``exc`` on the web store, or ``exc`` itself."""
    text = str(exc)
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFullError(f"no space left on the disk of the dashboard's store {target}")
    if "readonly database" in text:
        return StoreReadOnlyError(f"the dashboard's store {target} is read-only")
    if "database is locked" in text:
        return StoreBusyError(f"the dashboard's store {target} is busy: try again in a moment")
    return exc


def open_web_store(store: str | Path, main: duckdb.DuckDBPyConnection | None = None) -> WebStore:
    """The web store beside ``store``, created and brought up to date if needed.

    ``main``, a connection to the main store, is where users and reports of a store
    made before the split are copied from (once); without it the main store is
    opened read-only for the copy, if it exists and has not been copied yet.
    """
    web = WebStore.at(web_store_path(store))
    with web.connect() as con:
        con.execute("PRAGMA journal_mode = WAL")  # persistent: readers never block writers
        con.executescript(_SCHEMA)
        if con.execute("SELECT 1 FROM migrations WHERE name = ?", [_MIGRATED]).fetchone():
            return web
        if main is not None:
            _copy_from_main(con, main)
        elif str(store) != ":memory:" and Path(store).exists():
            with MainStore(str(store)).connect() as ro:
                _copy_from_main(con, ro)
        con.execute("INSERT OR IGNORE INTO migrations VALUES (?, ?)", [_MIGRATED, now_utc()])
    return web


def _copy_from_main(web: sqlite3.Connection, main: duckdb.DuckDBPyConnection) -> None:
    """Copy the main store's users and incident reports (kept ids; names taken here win)."""
    tables = {name for (name,) in main.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    with web:
        if "users" in tables:
            web.executemany(
                "INSERT OR IGNORE INTO users VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (uid, name, hashed, role, int(disabled), str(created))
                    for uid, name, hashed, role, disabled, created in main.execute(
                        "SELECT user_id, username, password_hash, role, disabled, created_at "
                        "FROM users"
                    ).fetchall()
                ],
            )
        if "incidents" in tables:
            found = main.execute(
                "SELECT * EXCLUDE (actors), to_json(coalesce(actors, [])::VARCHAR[]) AS actors "
                "FROM incidents"
            )
            for row in _stringified(found):
                columns = ", ".join(row)
                marks = ", ".join("?" * len(row))
                web.execute(
                    f"INSERT OR IGNORE INTO incidents ({columns}) VALUES ({marks})",
                    list(row.values()),
                )


def _stringified(cursor: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Any]]:
    """DuckDB rows with dates and timestamps as ISO text, as SQLite keeps them."""
    names = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        yield {
            name: str(value) if isinstance(value, dt.date) else value
            for name, value in zip(names, values, strict=True)
        }
