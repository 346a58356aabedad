"""The main job on the real data: every stage runs and writes its files, twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinelle.pipeline import run_main_job
from sentinelle.store import open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.skipif(not SHARED.exists(), reason="shared real data not present")
def test_main_job_end_to_end_and_idempotent(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb")
    report = run_main_job(con, SHARED, tmp_path / "out")
    assert report.skipped == {}
    assert {r.source for r in report.ingests} >= {"ged", "acled", "geopko_frontmap", "views-cm"}
    for stage in ("panel", "forecast", "impact", "actors", "alerts"):
        assert report.outputs[stage], stage
        assert all(p.exists() and p.stat().st_size > 0 for p in report.outputs[stage])
    pngs = [p for paths in report.outputs.values() for p in paths if p.suffix == ".png"]
    assert len(pngs) >= 4
    # Forecasts (countries and Sahel cells) and the impact estimate are in the store.
    assert con.execute("SELECT list(unit ORDER BY unit) FROM forecast_runs").fetchone() == (
        ["cm", "pgm"],
    )
    assert con.execute("SELECT count(*) FROM impact_runs").fetchone() == (1,)
    events = con.execute("SELECT count(*) FROM events").fetchone()
    again = run_main_job(con, SHARED, tmp_path / "out")
    assert all(r.skipped for r in again.ingests)
    assert con.execute("SELECT count(*) FROM events").fetchone() == events
    assert con.execute("SELECT count(*) FROM forecast_runs").fetchone() == (2,)
