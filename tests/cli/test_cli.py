"""The command line: every command has help with an example; ingest/status round-trip;
errors are one line and the exit status of their branch of the error tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.errors import OfflineError, SourceFileError
from tests.factories import ged_frame, write_ged_csv
from tests.sources.loopback import closed_port_url

runner = CliRunner()


def _commands() -> list[list[str]]:
    """Every command line: top-level commands, groups, and each group's commands."""
    found = []
    for group in [typer.main.get_command(app)]:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            found.append([name])
            found.extend([name, sub] for sub in getattr(command, "commands", {}))
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: sentinelle " + " ".join(command) in " ".join(result.output.split())


def test_ingest_status_and_quarantine(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    frame = ged_frame(20)
    frame.loc[3, "type_of_violence"] = "9"
    path = write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv")
    result = runner.invoke(app, ["ingest", "ged", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "inserted 19" in result.output and "quarantined 1" in result.output
    again = runner.invoke(app, ["ingest", "ged", str(path), "--store", str(store)])
    assert "already ingested" in again.output
    status = runner.invoke(app, ["status", "--store", str(store)])
    assert "ged" in status.output and "23.1" in status.output and "19" in status.output
    held = runner.invoke(app, ["quarantine", "--store", str(store)])
    assert "unknown violence type: 9" in held.output


def test_errors_are_one_clear_line_and_the_exit_status_of_their_branch(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    missing = runner.invoke(
        app, ["ingest", "ged", str(tmp_path / "GEDEvent_v23_1.csv"), "--store", str(store)]
    )
    assert missing.exit_code == SourceFileError.exit_code and "no such file" in missing.output
    unknown = runner.invoke(app, ["ingest", "gdelt", str(tmp_path), "--store", str(store)])
    assert unknown.exit_code == 2 and "unknown source" in unknown.output


def test_status_of_a_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 0 and "No store" in result.output


def test_fetch_offline_fails_at_once_with_the_local_file_alternative(tmp_path: Path) -> None:
    env = {"SENTINELLE_UCDP_BASE_URL": "http://127.0.0.1:9", "SENTINELLE_UCDP_TOKEN": "t"}
    result = runner.invoke(
        app, ["fetch", "ged-api", "--version", "25.1", "--store", str(tmp_path / "s.duckdb")],
        env=env,
    )  # fmt: skip
    assert result.exit_code == OfflineError.exit_code
    assert "cannot reach 127.0.0.1" in result.output
    assert "sentinelle ingest ged PATH --version 25.1" in " ".join(result.output.split())
    missing = runner.invoke(app, ["fetch", "acled", "--store", str(tmp_path / "s.duckdb")])
    assert missing.exit_code == 2 and "ACLED needs --countries" in missing.output


def test_demo_without_local_data_downloads_and_offline_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTINELLE_UCDP_RELEASE_URL", closed_port_url())
    monkeypatch.setenv("SENTINELLE_CACHE_DIR", str(tmp_path / "cache"))
    result = runner.invoke(
        app, ["demo", "--data", str(tmp_path / "absent"), "--store", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == OfflineError.exit_code, result.output
    text = " ".join(result.output.split())
    assert "downloading from the publishers instead" in text
    assert "cannot reach 127.0.0.1" in text and "sentinelle ingest ged" in text


@pytest.mark.parametrize(
    ("flags", "env"), [(["--debug"], {}), ([], {"SENTINELLE_DEBUG": "1"})], ids=["flag", "env"]
)
def test_debug_raises_the_error_with_its_traceback(
    tmp_path: Path, flags: list[str], env: dict[str, str]
) -> None:
    missing = str(tmp_path / "GEDEvent_v23_1.csv")
    result = runner.invoke(
        app, [*flags, "ingest", "ged", missing, "--store", str(tmp_path / "s.duckdb")], env=env
    )
    assert isinstance(result.exception, SourceFileError)
    assert "no such file" in str(result.exception)


def test_a_store_failure_during_a_job_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from sentinelle.cli import ingest as ingest_command
    from sentinelle.errors import DiskFullError

    def full_disk(*_: object, **__: object) -> None:
        raise duckdb.IOException(
            'IO Error: Could not write "s.duckdb.wal": No space left on device'
        )

    from sentinelle.store import open_store

    open_store(tmp_path / "s.duckdb").close()
    monkeypatch.setattr(ingest_command, "quarantined_rows", full_disk)
    result = runner.invoke(app, ["quarantine", "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == DiskFullError.exit_code, result.output
    assert "no space left on the disk of the store" in result.output
    assert "Traceback" not in result.output
