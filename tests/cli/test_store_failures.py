"""A store the command cannot have is one line and exit 4, never a traceback: held by
another process (waited for, within --wait), on a read-only file system, under a file
where its folder should be, on a full disk (issue 13, items 7 and 12)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from sentinelle.cli import app
from sentinelle.errors import StoreError
from sentinelle.store import open_store
from tests.factories import ged_frame, write_ged_csv

runner = CliRunner()

# Holds the store's lock until its standard input closes (60 s at most).
HOLDER = (
    "import signal, sys, duckdb\n"
    "signal.alarm(60)\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
    "con.close()\n"
)


@contextmanager
def held(store: Path) -> Iterator[Callable[[], None]]:
    """Another process holding ``store`` until the block ends or ``release()``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None

    def release() -> None:
        if not holder.stdin.closed:  # type: ignore[union-attr]
            holder.stdin.close()  # type: ignore[union-attr]
        holder.wait(timeout=20)

    try:
        assert holder.stdout.readline().strip() == "held"
        yield release
    finally:
        release()
        holder.stdout.close()


@pytest.fixture(scope="module")
def ged_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ged_csv(ged_frame(5), tmp_path_factory.mktemp("ged") / "GEDEvent_v23_1.csv")


def _commands(tmp: Path, ged: Path) -> dict[str, list[str]]:
    """Commands that read or write the store, by name (each takes --store last)."""
    (tmp / "data").mkdir(exist_ok=True)
    return {
        "status": ["status"],
        "ingest": ["ingest", "ged", str(ged)],
        "quarantine": ["quarantine"],
        "actors": ["actors", "--out", str(tmp / "out")],
        "demo": ["demo", "--data", str(tmp / "data"), "--out", str(tmp / "out")],
        "users add": ["users", "add", "aminata", "--password-stdin"],
        "users list": ["users", "list"],
    }


def _run(args: list[str], store: Path, *flags: str) -> Result:
    return runner.invoke(
        app, [*flags, *args, "--store", str(store)], input="correct horse battery\n"
    )


def _one_line_error(result: Result, says: str) -> None:
    assert result.exit_code == StoreError.exit_code, result.output
    assert says in " ".join(result.output.split())
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback


BUSY = ["status", "ingest", "quarantine", "actors", "demo"]


def test_a_store_held_by_another_process(tmp_path: Path, ged_file: Path) -> None:
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    commands = _commands(tmp_path, ged_file)
    assert _run(commands["users list"], store).exit_code == 0  # as `serve` does, first
    with held(store):
        for name in BUSY:
            result = _run(commands[name], store, "--wait", "0")
            _one_line_error(result, "is in use by another process (PID")
            assert "retrying" not in result.output, name
        waited = _run(commands["status"], store, "--wait", "0.6")
        _one_line_error(waited, "still busy after 0.6 s")
        assert waited.output.count("store busy, retrying") == 1
        # Users live beside the store (STORE.web.sqlite): added while an ingest holds it.
        added = _run(commands["users add"], store, "--wait", "0")
        assert added.exit_code == 0, added.output
        listed = _run(commands["users list"], store, "--wait", "0")
        assert listed.exit_code == 0 and "aminata" in listed.output, listed.output


def test_a_second_ingest_waits_for_the_first_then_runs(tmp_path: Path, ged_file: Path) -> None:
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    with held(store) as release:
        timer = threading.Timer(1.5, release)  # the other process finishes in 1.5 s
        timer.start()
        try:
            result = _run(["ingest", "ged", str(ged_file)], store, "--wait", "30")
        finally:
            timer.join()
    assert result.exit_code == 0, result.output
    assert result.output.count("store busy, retrying") == 1
    assert "inserted 5" in result.output


@pytest.mark.parametrize(
    "name",
    ["ingest", "quarantine", "actors", "demo",
     "users add", "users list"],
)  # fmt: skip
def test_a_store_whose_folder_is_a_file(tmp_path: Path, ged_file: Path, name: str) -> None:
    (tmp_path / "afile").write_text("not a folder")
    result = _run(_commands(tmp_path, ged_file)[name], tmp_path / "afile" / "s.duckdb")
    _one_line_error(result, "afile is a file, not a folder")


def _read_only_fs(*_: object, **__: object) -> None:
    raise duckdb.IOException('IO Error: Cannot open file "s.duckdb": Read-only file system')


@pytest.mark.parametrize("name", ["status", "ingest", "quarantine", "actors", "demo"])
def test_a_store_on_a_read_only_file_system(
    tmp_path: Path, ged_file: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    store = tmp_path / "s.duckdb"
    open_store(store).close()
    monkeypatch.setattr(duckdb, "connect", _read_only_fs)
    _one_line_error(_run(_commands(tmp_path, ged_file)[name], store), "is read-only")


@pytest.mark.parametrize(
    ("message", "says"),
    [("database or disk is full", "no space left"), ("attempt to write a readonly database",
                                                     "read-only")],
    ids=["disk full", "read-only"],
)  # fmt: skip
def test_users_add_that_the_disk_cannot_take(
    tmp_path: Path, ged_file: Path, monkeypatch: pytest.MonkeyPatch, message: str, says: str
) -> None:
    import sentinelle.web

    def refused(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr(sentinelle.web, "create_user", refused)
    result = _run(_commands(tmp_path, ged_file)["users add"], tmp_path / "s.duckdb")
    _one_line_error(result, says)


def test_serve_beside_a_store_held_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    store = tmp_path / "s.duckdb"
    open_store(store).close()
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda web, **_: served.append(web))
    with held(store):
        result = runner.invoke(app, ["--wait", "0", "serve", "--store", str(store)])
    if served:  # the server needs no lock to start
        assert result.exit_code == 0, result.output
    else:  # or it refuses in one line
        _one_line_error(result, "another process")
