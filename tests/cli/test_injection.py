"""SQL injection through the command line (issue 13, item 8): every option that reaches
SQL is given values that would break out of a pasted literal; each command must end
with a one-line error or a clean "nothing found", and the store must be intact."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from tests.factories import ged_frame, write_ged_csv

runner = CliRunner()

PAYLOADS = ("25.1'", "x'); DELETE FROM events; --", "MLI' OR '1'='1")

# Command lines with {} where the payload goes.
COMMANDS = [
    ["ingest", "ged", "{file}", "--version", "{}"],
    ["fetch", "acled", "--countries", "{}", "--from", "2020-01-01", "--to", "2020-02-01"],
    ["fetch", "ged-api", "--version", "{}", "--countries", "{}"],
    ["actors", "--country", "{}"],
    ["actors", "--period", "{}"],
    ["situation", "--country", "{}", "--period", "2020-01..2020-12"],
    ["situation", "--country", "MLI", "--period", "2020-01..2020-12", "--source", "{}"],
    ["panel", "build", "--unit", "cm", "--from", "2020-01", "--to", "2020-12",
     "--countries", "{}"],
    ["brief", "--country", "{}", "--month", "2020-06"],
    ["brief", "--country", "MLI", "--month", "{}"],
    ["forecast", "--origin", "{}"],
    ["forecast", "--origin", "2020-06", "--model", "{}"],
    ["impact", "--mission", "{}"],
    ["impact", "compare", "--missions", "{}"],
    ["alerts", "--source", "{}"],
    ["undo", "{}"],
    ["quarantine", "--ingest", "{}"],
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("injection")
    path = root / "s.duckdb"
    csv_path = write_ged_csv(ged_frame(20), root / "GEDEvent_v25_1.csv")
    result = runner.invoke(app, ["ingest", "ged", str(csv_path), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def counts(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM users)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_injection_through_cli_options(store, tmp_path, command, payload, monkeypatch):
    monkeypatch.setenv("SENTINELLE_OFFLINE", "1")
    before = counts(store)
    other = write_ged_csv(ged_frame(5, first_id=9_000_000), tmp_path / "other.csv")
    args = [a.replace("{file}", str(other)).replace("{}", payload) for a in command]
    result = runner.invoke(app, [*args, "--store", str(store)], input="")
    output = result.output.strip()
    assert "Traceback" not in output and not isinstance(result.exception, duckdb.Error), output
    if result.exit_code and not output.startswith("Usage:"):  # the parser's own refusal
        assert len(output.splitlines()) <= 2, output  # one line (and a wrapped tail)
    assert counts(store)[1] == before[1]
    # Only the ingest adds events (a version is text, stored as a parameter).
    assert counts(store)[0] - before[0] in ((0, 5) if command[0] == "ingest" else (0,))
