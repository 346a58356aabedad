"""VIEWS challenge cm files into panel_cm: provenance, idempotence, column timing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sentinelle.panel import check_panel, read_panel
from sentinelle.sources import IngestError
from sentinelle.sources.views_cm import ingest_views_cm
from sentinelle.sources.views_data import load_views_cm
from sentinelle.store import open_store
from sentinelle.store.panels import panel_record

VIEWS_CM = Path(__file__).resolve().parents[3] / "shared" / "data" / "views-cm"
pytestmark = pytest.mark.skipif(not VIEWS_CM.exists(), reason="shared views-cm data not present")


def test_ingest_views_cm_stores_the_panel_once(tmp_path: Path) -> None:
    con = open_store(tmp_path / "store.duckdb")
    report = ingest_views_cm(con, VIEWS_CM)
    assert not report.skipped and report.rows_inserted == 77_928
    again = ingest_views_cm(con, VIEWS_CM)
    assert again.skipped and again.ingest_id == report.ingest_id
    assert con.execute("SELECT count(*) FROM ingests WHERE source = 'views-cm'").fetchone() == (1,)
    record = panel_record(con, "panel_cm")
    assert record is not None and record["ingest_ids"] == [report.ingest_id]
    assert (record["first_month"], record["last_month"], record["n_units"]) == (121, 528, 191)
    assert check_panel(con, "cm").ok

    stored = read_panel(con, "cm")
    assert list(stored.columns[:5]) == ["unit_id", "month_id", "ged_sb", "ged_ns", "ged_os"]
    loaded = load_views_cm(VIEWS_CM).set_index(["unit_id", "month_id"])
    both = stored.set_index(["unit_id", "month_id"])
    assert (both["ged_sb"] == loaded["ged_sb"]).all()
    pd.testing.assert_series_equal(
        both["ged_sb_tlag_3"], loaded["ged_sb_tlag_3"], check_dtype=False, check_index_type=False
    )
    # tsum_24 is re-timed to t-24..t-1: VIEWS's value of the month before.
    ethiopia = both.loc[57]
    assert ethiopia.loc[470, "ged_sb_tsum_24"] == loaded.loc[(57, 469), "ged_sb_tsum_24"]
    assert ethiopia.loc[470, "ged_sb_tsum_24"] == ethiopia.loc[446:469, "ged_sb"].sum()


def test_disagreeing_actuals_leave_the_store_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "views-cm"
    shutil.copytree(VIEWS_CM / "features_monthly", copy / "features_monthly")
    (copy / "actuals").mkdir()
    actuals = pd.read_parquet(VIEWS_CM / "actuals" / "cm_actuals_2019.parquet")
    actuals.iloc[5, 0] += 1
    actuals.to_parquet(copy / "actuals" / "cm_actuals_2019.parquet")
    con = open_store(tmp_path / "store.duckdb")
    with pytest.raises(IngestError, match="1 actuals disagree"):
        ingest_views_cm(con, copy)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)
