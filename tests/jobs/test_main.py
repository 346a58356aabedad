"""The main job on the real data: every stage runs and writes its files, twice."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.geo import gid_from_latlon
from sentinelle.jobs import run_main_job
from sentinelle.store import open_store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not SHARED.exists(), reason="shared real data not present")
def test_main_job_end_to_end_and_idempotent(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb")
    report = run_main_job(con, SHARED, tmp_path / "out")
    assert report.skipped == {}
    sources = {r.source for r in report.ingests}
    assert sources >= {"ged", "acled", "geopko_frontmap", "views-cm", "acled-hdx"}
    for stage in ("panel", "forecast", "impact", "actors", "alerts", "brief"):
        assert report.outputs[stage], stage
        assert all(p.exists() and p.stat().st_size > 0 for p in report.outputs[stage])
    pngs = [p for paths in report.outputs.values() for p in paths if p.suffix == ".png"]
    assert len(pngs) >= 4
    # The briefing is on the last complete month of Mali's data: ACLED's HDX aggregates
    # to December 2024 (its events stop in July 2020).
    briefs = sorted(p.name for p in report.outputs["brief"])
    assert briefs == [
        f"brief_MLI_2024-12_{lang}.{ext}" for lang in ("en", "fr") for ext in ("html", "pdf")
    ]
    french = (tmp_path / "out" / "brief" / "brief_MLI_2024-12_fr.html").read_text("utf-8")
    assert "ACLED (HDX) jusqu" in french and "Kidal" in french
    # Forecasts (countries, Sahel cells, Mali's cercles) are in the store, and the
    # briefing names the cercles with most deaths expected from January 2025.
    assert con.execute("SELECT list(unit ORDER BY unit) FROM forecast_runs").fetchone() == (
        ["admin2", "cm", "pgm"],
    )
    assert re.search(r"Mois prochain\s: janvier 2025", french) and "cercle de " in french
    # The impact estimate is of the 2023 closures, on Mali's cercles.
    assert con.execute("SELECT unit, event_source FROM impact_runs").fetchall() == [
        ("admin2", "acled-hdx")
    ]
    events = con.execute("SELECT count(*) FROM events").fetchone()
    _forecast_as_if_kidal_closes(con, tmp_path / "s.duckdb", tmp_path)
    again = run_main_job(con, SHARED, tmp_path / "out")
    assert all(r.skipped for r in again.ingests)
    assert con.execute("SELECT count(*) FROM events").fetchone() == events
    assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == (5,)


def _forecast_as_if_kidal_closes(con: duckdb.DuckDBPyConnection, store: Path, tmp: Path) -> None:
    """The CLI's scenario forecast on the main job's cells and a cell-level MINUSMA estimate.

    Cells need an estimate on cells: that of the closures ACLED's events to 2020 cover,
    which Geo-PKO dates to the year only.
    """
    result = CliRunner().invoke(
        app,
        ["impact", "--mission", "MINUSMA", "--source", "acled", "--min-precision", "year",
         "--store", str(store), "--out", str(tmp / "impact_cells")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = []
    for scenario in ([], ["--mission", "MINUSMA", "--scenario", "Kidal@2020-09"]):
        result = CliRunner().invoke(
            app,
            ["forecast", "--unit", "pgm", "--target", "civ_deaths", "--origin", "2020-06",
             "--horizon", "6", "--draws", "300", "--model", "negbin", "--store", str(store),
             "--out", str(tmp / "f.parquet"), *scenario],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs.append(int(result.output.split("stored as run ")[1].split(",")[0]))
    kidal = gid_from_latlon(18.44, 1.41)
    mean = (
        "SELECT month_id, avg(outcome) FROM forecast_draws WHERE run_id = ? AND unit_id = ? "
        "GROUP BY month_id ORDER BY month_id"
    )
    base, as_if = (dict(con.execute(mean, [run, kidal]).fetchall()) for run in runs)
    # July and August 2020 come before the closure: the same draws; later months move.
    assert [as_if[m] - base[m] for m in (487, 488)] == [0.0, 0.0]
    assert all(as_if[m] != base[m] for m in (489, 490, 491, 492))
