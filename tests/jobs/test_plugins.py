"""Plug-ins registered by name are picked up by the CLI and by the main job.

Each test registers a toy entry in one registry, runs the command or the main job that
dispatches through it, and takes the entry out again, leaving the registry as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from sentinelle.alerts import AlertCandidate
from sentinelle.alerts.rules import RULES, RuleContext
from sentinelle.cli import app
from sentinelle.forecast import MODELS
from sentinelle.forecast.base import Forecaster, History
from sentinelle.jobs import run_main_job
from sentinelle.sources import SOURCES, IngestReport, Source
from sentinelle.steps import Step
from sentinelle.store import open_store
from tests.forecast.panels import synthetic_panel

runner = CliRunner()


def _toy_ingest(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    version: str | None,
    step: Step,
    location: str | None = None,
    /,
) -> IngestReport:
    """Reads nothing: reports one row read from ``path``."""
    return IngestReport("toy", version, location or str(path), "0" * 64, 0, rows_read=1)


class ToyModel(Forecaster):
    """Seven deaths in every unit and month, whatever the history."""

    name = "toy"

    def _fit(self, history: History) -> None:
        pass

    def _sample(
        self, horizons: npt.NDArray[np.int64], n_draws: int, rng: np.random.Generator
    ) -> npt.NDArray[np.int64]:
        return np.full((self.history.y.shape[0], horizons.size, n_draws), 7, dtype=np.int64)


def _toy_rule(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
    return [AlertCandidate("toy", "country", "MLI", "2020-06", 2, 99.0, 1.0)]


@pytest.fixture
def toy_source() -> Iterator[None]:
    SOURCES.register("toy", Source("toy", _toy_ingest, description="a test's toy source"))
    yield
    SOURCES.unregister("toy")


@pytest.fixture
def toy_model() -> Iterator[None]:
    MODELS.register("toy", lambda horizons: ToyModel())
    yield
    MODELS.unregister("toy")


@pytest.fixture
def toy_rule() -> Iterator[None]:
    RULES.register("toy", _toy_rule)
    yield
    RULES.unregister("toy")


@pytest.mark.usefixtures("toy_source")
def test_a_registered_source_is_ingested_by_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "toy.csv"
    path.write_text("anything\n")
    result = runner.invoke(app, ["ingest", "toy", str(path), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.output
    assert "ingest #0 toy" in result.output and "read 1," in result.output


def test_an_unregistered_source_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "toy", "x.csv", "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert "unknown source 'toy'; choose from: ged" in " ".join(result.output.split())


@pytest.mark.usefixtures("toy_model")
def test_a_registered_model_forecasts_through_the_cli(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    con = open_store(store)
    # months 400..435 (2013-04..2016-03)
    con.register("panel", synthetic_panel(n_units=5, n_months=36))
    con.execute("CREATE TABLE panel_cm AS SELECT * FROM panel")
    con.close()
    result = runner.invoke(
        app,
        ["forecast", "--model", "toy", "--origin", "2016-03", "--horizon", "3", "--draws", "4",
         "--store", str(store), "--out", str(tmp_path / "toy.parquet")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "toy forecast of ged_sb from 2016-03: stored as run" in result.output
    con = open_store(store, read_only=True)
    assert con.execute("SELECT model FROM forecast_runs").fetchall() == [("toy",)]
    assert con.execute("SELECT DISTINCT outcome FROM forecast_draws").fetchall() == [(7,)]


@pytest.mark.usefixtures("toy_rule")
def test_the_main_job_runs_a_registered_alert_rule_and_skips_only_for_missing_data(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()  # present but empty: nothing to ingest, so every data stage is skipped
    con = open_store(tmp_path / "s.duckdb")
    report = run_main_job(con, data, tmp_path / "out")
    assert report.ingests == []
    assert set(report.skipped) == {"panel", "forecast", "impact", "actors", "brief"}
    assert report.skipped["panel"] == (
        "no ACLED events for the Sahel cells and no ACLED (HDX) aggregates for Mali's "
        "cercles: no panel to build"
    )
    assert report.outputs["alerts"] == [tmp_path / "out" / "alerts.csv"]
    assert "toy,country,MLI,2020-06" in (tmp_path / "out" / "alerts.csv").read_text()


def test_the_main_job_stops_on_an_error_that_is_not_missing_data(tmp_path: Path) -> None:
    def broken(con: duckdb.DuckDBPyConnection, context: RuleContext) -> list[AlertCandidate]:
        raise ValueError("a bug in a rule")

    RULES.register("broken", broken)
    try:
        with pytest.raises(ValueError, match="a bug in a rule"):
            run_main_job(open_store(tmp_path / "s.duckdb"), tmp_path, tmp_path / "out")
    finally:
        RULES.unregister("broken")
    assert "broken" not in RULES
