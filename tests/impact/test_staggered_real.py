"""Real data end to end: RADPKO's yearly deployments x the GED 20.1 points, Africa 2000-2017."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sentinelle.errors import SchemaError
from sentinelle.impact import latest_impact
from sentinelle.impact.staggered import run_staggered
from sentinelle.jobs.impact import run_impact_compare, run_impact_staggered
from sentinelle.sources.radpko import ingest_radpko
from sentinelle.sources.ucdp_ged import ingest_ged
from sentinelle.store import open_store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RADPKO = DATA / "radpko" / "radpko_bases_cc_y.csv"
GED_POINTS = DATA / "ged" / "ged201_africa_points_1995-2019.csv"

pytestmark = pytest.mark.skipif(
    not (RADPKO.exists() and GED_POINTS.exists()), reason="shared RADPKO or GED data missing"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    con = open_store(tmp_path_factory.mktemp("staggered") / "s.duckdb")
    ingest_radpko(con, RADPKO)
    ingest_ged(con, GED_POINTS)
    yield con
    con.close()


@pytest.fixture(scope="module")
def africa(store, tmp_path_factory):
    """The one full run: every mission, both events, stored and written."""
    out = tmp_path_factory.mktemp("out")
    return run_impact_staggered(store, out, years=(2000, 2017), event_source="ged_extract")


def test_africa_wide_design_is_cell_years_of_every_mission(africa):
    res = africa.result
    assert res.precision == "year"  # GED points and RADPKO's summary are dated to the year
    assert list(res.design.periods) == list(range(2000, 2018))
    assert 9_000 < len(res.design.cells) < 11_000
    assert {"MONUC", "UNAMID", "UNMIL", "MINUSMA", "UNMISS"} <= set(res.missions)
    assert res.timings["design"] + res.timings["estimate"] < 60
    pooled = res.effects[res.effects["mission"] == "ALL:africa"]
    assert set(zip(pooled["event"], pooled["ring_label"], strict=True)) == {
        (e, r) for e in ("exit", "entry") for r in ("same cell", "neighbouring cells")
    }
    assert set(pooled["outcome"]) == {"any_civilian_deaths", "civilian_deaths"}
    assert (pooled["se"] > 0).all() and (pooled["lower"] < pooled["upper"]).all()
    per_mission = res.effects[res.effects["mission"] != "ALL:africa"]
    assert (per_mission["n_treated"] >= res.min_treated).all()
    assert not res.skipped.empty and res.skipped["reason"].str.contains("treated cells").all()
    assert any("no perpetrator" in note for note in res.notes)
    assert any("end inside the window" in note for note in res.notes)


def test_africa_run_is_stored_per_mission_and_pooled(africa, store):
    pooled = latest_impact(store, "ALL:africa")
    assert pooled is not None and pooled.run["unit"] == "pgm-year"
    assert pooled.run["outcome"] == "any_civilian_deaths"
    assert set(pooled.effects["estimator"]) >= {"callaway_santanna:exit", "placebo_leads:entry"}
    for mission in set(africa.result.effects["mission"]) - {"ALL:africa"}:
        stored = latest_impact(store, mission)
        assert stored is not None and not stored.effects.empty, mission
    counts = latest_impact(store, "ALL:africa", outcome="civilian_deaths")
    assert counts is not None and counts.run["outcome"] == "civilian_deaths"


def test_comparison_files_in_both_languages(africa):
    files = africa.files
    fr = pd.read_csv(files["table_fr"])
    assert "Effet (ATT)" in fr.columns and "même cellule" in set(fr["Cellules"])
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert book.sheetnames == ["EN", "FR"]
    for lang in ("en", "fr"):
        assert files[f"forest_{lang}"].stat().st_size > 10_000
    caveats = files["caveats_fr"].read_text(encoding="utf-8")
    assert "contiguïté" in caveats and "extrait" in caveats


def test_compare_returns_minusma_unamid_monusco(store, tmp_path):
    comparison = run_impact_compare(
        store, ["MINUSMA", "UNAMID", "MONUSCO", "NOSUCH"], tmp_path, event_source="ged_extract"
    )
    table = comparison.table
    assert {"MINUSMA", "UNAMID", "MONUSCO"} <= set(table["mission"])
    assert "MINUSMA+MONUSCO+UNAMID" in set(table["mission"])
    assert "no deployments" in comparison.skipped["NOSUCH"]
    assert comparison.path.exists() and comparison.files["forest_fr"].exists()


def test_perpetrator_split_refused_without_sides(store):
    with pytest.raises(SchemaError, match="carry no perpetrator"):
        run_staggered(
            store, missions=["MINUSMA"], event_source="ged_extract",
            outcomes=["civilian_deaths_rebel"],
        )  # fmt: skip
