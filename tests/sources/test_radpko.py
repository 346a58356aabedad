"""RADPKO adapter: both layouts, quarantine with lines, idempotence and undo, real file."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sentinelle.errors import SchemaError
from sentinelle.impact.timeline import base_timeline
from sentinelle.sources import get_source
from sentinelle.sources.history import undo_ingest
from sentinelle.sources.radpko import detect_layout, ingest_radpko
from sentinelle.steps import no_step
from sentinelle.store import open_store

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "radpko" / "radpko_bases_cc_y.csv"

# The first columns of RADPKO's published layout, in its order (the real files go on
# with sex, region and contributing-country breakdowns to 377 columns).
HEADER = [
    "mission", "country", "base", "date", "year", "latitude", "longitude", "pko_deployed",
    "mltipko_deployed", "contributing_countries", "untrp", "unpol", "unmob", "f_untrp",
    "f_unpol", "f_unmob",
]  # fmt: skip


def row(mission: str, base: str, date: str, troops: object = 100, police: object = 5,
        observers: object = 2, lat: object = 12.5, lon: object = -8.0) -> list[object]:  # fmt: skip
    values = {
        "mission": mission, "country": "Mali", "base": base, "date": date, "year": date[:4],
        "latitude": lat, "longitude": lon, "untrp": troops, "unpol": police, "unmob": observers,
        "contributing_countries": 1, "mltipko_deployed": 0, "f_untrp": 0, "f_unpol": 0,
        "f_unmob": 0,
    }  # fmt: skip
    counts = [str(v) for v in (troops, police, observers)]
    values["pko_deployed"] = sum(float(v) for v in counts if v.lstrip("-").isdigit())
    return [values[c] for c in HEADER]


def write(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def monthly_rows() -> list[list[object]]:
    """Base 'kidal' listed Jan-Jun 2015, 'gao' Mar 2015 - Dec 2016; the data go to Dec 2016."""
    months = pd.period_range("2015-01", "2016-12", freq="M")
    rows = [row("MINUSMA", "kidal", f"{m}-01", troops=100 + i) for i, m in enumerate(months[:6])]
    rows += [row("MINUSMA", "gao", f"{m}-01", troops=500, police="NA") for m in months[2:]]
    return rows


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def stored(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT source, mission, location, country, year, month, troops, police, observers, "
        "record, hq FROM deployments ORDER BY location, year, month"
    ).df()


def test_monthly_rows_are_stored_by_month_with_radpko_counts(con, tmp_path):
    path = write(tmp_path / "radpko_bases_cc.csv", monthly_rows())
    report = ingest_radpko(con, path)
    assert report.source == "radpko"
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (28, 28, 0)
    rows = stored(con)
    kidal = rows[rows["location"] == "kidal"]
    assert kidal["month"].tolist() == [1, 2, 3, 4, 5, 6]
    assert kidal["troops"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]
    assert (kidal["police"] == 5).all() and (kidal["observers"] == 2).all()
    gao = rows[rows["location"] == "gao"]
    assert len(gao) == 22 and gao["police"].isna().all()  # NA is not coded, not zero
    assert (rows["record"] == 1).all() and rows["hq"].isna().all()
    assert set(rows["country"]) == {"Mali"}


def test_the_dashboards_yearly_summary_is_stored_as_yearly_rows(con, tmp_path):
    rows = [
        row("UNMIL", "monrovia", "2004-09-01"),
        row("UNMIL", "monrovia", "2005-01-01", troops=812.5),
        row("UNMIL", "buchanan", "2005-03-01"),
    ]
    path = write(tmp_path / "radpko_bases_cc_y.csv", rows)
    assert detect_layout(con, path) == "radpko_yearly"
    report = ingest_radpko(con, path)
    assert (report.source, report.rows_inserted) == ("radpko_yearly", 3)
    out = stored(con)
    # Which months a yearly mean covers is not in the file: month 0, like FrontMap.
    assert out["month"].tolist() == [0, 0, 0]
    assert out.set_index(["location", "year"]).loc[("monrovia", 2005), "troops"] == 812.5


def test_a_one_month_snapshot_is_monthly(con, tmp_path):
    path = write(tmp_path / "snapshot.csv", [row("UNMISS", "juba", "2019-09-01")])
    assert detect_layout(con, path) == "radpko"


def test_bad_rows_are_quarantined_with_their_line_and_reason(con, tmp_path):
    rows = [
        *monthly_rows()[:3],
        row("MINUSMA", "", "2015-04-01"),
        row("MINUSMA", "tessalit", "2015-13-01"),
        row("MINUSMA", "tessalit", "2015-05-01", lat="NaN", lon="NaN"),
        row("MINUSMA", "tessalit", "2015-06-01", lat=95.0),
        row("MINUSMA", "tessalit", "2015-07-01", troops=-3),
        row("MINUSMA", "tessalit", "2015-08-01", observers="many"),
    ]
    bad_year = row("MINUSMA", "tessalit", "2015-09-01")
    bad_year[HEADER.index("year")] = 2014
    path = write(tmp_path / "radpko.csv", [*rows, bad_year])
    report = ingest_radpko(con, path)
    assert (report.rows_inserted, report.rows_quarantined) == (3, 7)
    quarantined = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert quarantined == [
        (5, "missing mission/base"),
        (6, "bad date: 2015-13-01"),
        (7, "missing coordinates: NaN, NaN"),
        (8, "coordinates out of range: 95.0, -8.0"),
        (9, "bad untrp: -3"),
        (10, "bad unmob: many"),
        (11, "year 2014 does not match date 2015-09-01"),
    ]


def test_reingest_is_idempotent_and_undo_restores_the_previous_counts(con, tmp_path):
    first = ingest_radpko(con, write(tmp_path / "a.csv", monthly_rows()))
    again = ingest_radpko(con, tmp_path / "a.csv")
    assert again.skipped and again.ingest_id == first.ingest_id
    revised = monthly_rows()
    revised[0][HEADER.index("untrp")] = 999
    second = ingest_radpko(con, write(tmp_path / "b.csv", revised))
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 1, 27)
    troops = "SELECT troops FROM deployments WHERE location = 'kidal' AND month = 1"
    assert con.execute(troops).fetchone() == (999.0,)
    assert second.ingest_id is not None and first.ingest_id is not None
    undo_ingest(con, second.ingest_id)
    assert con.execute(troops).fetchone() == (100.0,)
    undo_ingest(con, first.ingest_id)
    assert con.execute("SELECT count(*) FROM deployments").fetchone() == (0,)


def test_a_failed_ingest_leaves_the_store_unchanged(con, tmp_path):
    ingest_radpko(con, write(tmp_path / "a.csv", monthly_rows()))
    before = stored(con)
    path = tmp_path / "other.csv"
    path.write_text("mission,base,when,lat,lon\nMINUSMA,gao,2015-01,16,0\n")
    with pytest.raises(SchemaError, match=r"missing column.*date, latitude, longitude, untrp"):
        ingest_radpko(con, path)
    pd.testing.assert_frame_equal(stored(con), before)


def test_registered_as_radpko(con, tmp_path):
    path = write(tmp_path / "radpko.csv", monthly_rows())
    report = get_source("radpko").ingest(con, path, None, no_step)
    assert (report.source, report.rows_inserted) == ("radpko", 28)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not REAL.exists():
        pytest.skip("shared RADPKO data missing")
    con = open_store(tmp_path_factory.mktemp("radpko") / "s.duckdb")
    report = ingest_radpko(con, REAL)
    yield con, report
    con.close()


def test_real_file_counts_per_mission_and_year_match_the_file(real):
    con, report = real
    assert report.source == "radpko_yearly"
    file = pd.read_csv(REAL, usecols=["mission", "base", "year", "latitude", "untrp"])
    # The rows the adapter refuses: no base name (3), NaN coordinates (3).
    usable = file[file["base"].notna() & file["latitude"].notna()]
    assert (report.rows_read, report.rows_quarantined) == (len(file), len(file) - len(usable))
    expected = usable.groupby(["mission", "year"]).agg(n=("base", "size"), t=("untrp", "sum"))
    got = (
        con.execute(
            "SELECT mission, year, count(*) AS n, sum(troops) AS t FROM deployments "
            "WHERE source = 'radpko_yearly' GROUP BY ALL"
        )
        .df()
        .set_index(["mission", "year"])
        .sort_index()
    )
    assert got.index.equals(expected.index)
    assert (got["n"] == expected["n"]).all()
    assert np.allclose(got["t"], expected["t"])
    missions = set(got.index.get_level_values("mission"))
    assert missions == {
        "UNAMSIL", "MONUC", "ONUB", "UNMIL", "UNOCI", "UNMIS", "UNAMID", "MINURCAT",
        "MONUSCO", "UNISFA", "UNMISS", "MINUSMA", "MINUSCA",
    }  # fmt: skip
    assert got.loc["MINUSMA", "n"].sum() == len(usable[usable["mission"] == "MINUSMA"])


def test_real_file_gives_year_precision_timelines(real):
    con, _ = real
    file = pd.read_csv(REAL, usecols=["mission", "base", "year", "latitude"]).dropna()
    unamid = file[file["mission"] == "UNAMID"]
    timeline = base_timeline(con, "UNAMID", closures=pd.DataFrame()).set_index("base")
    assert timeline.attrs["deployment_source"] == "radpko_yearly"
    assert set(timeline.index) == set(unamid["base"])
    still = set(unamid.loc[unamid["year"] == unamid["year"].max(), "base"])
    assert set(timeline.index[timeline["status"] == "open"]) == still
    closed = timeline[timeline["status"] == "closed"]
    assert (closed["date_precision"] == "year").all() and len(closed) > 0
