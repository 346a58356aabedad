"""GED extracts with fewer columns: year precision stored, stable ids, missing columns named;
the store helpers that tell what a source's events can support."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sentinelle.errors import NoDataError, SchemaError, UsageError
from sentinelle.sources import get_source
from sentinelle.sources.history import undo_ingest
from sentinelle.sources.ucdp_ged import ged_layout, ingest_ged
from sentinelle.steps import no_step
from sentinelle.store import open_store
from sentinelle.store.queries import event_precision, missing_event_fields
from tests.factories import ged_frame, write_ged_csv

POINTS = (
    Path(__file__).resolve().parents[3]
    / "shared" / "data" / "ged" / "ged201_africa_points_1995-2019.csv"
)  # fmt: skip

# The layout of Geo-PKO's GED 20.1 points file, with rows like its own.
EXTRACT = """year,longitude,latitude,where_coordinates,best,deaths_civilians
2017,69.162796,34.531094,Kabul city,11,5
1996,69.1741,35.0159,Chaharikar town,18,0
2013,-3.996,16.773,Timbuktu town,2,2
2013,-3.996,16.773,Timbuktu town,2,2
2019,15.2663,-4.4419,Kinshasa town,0,0
"""


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT source, source_event_id, source_version, date_start, date_end, "
        "date_precision, latitude, longitude, location_name, "
        "violence_type::VARCHAR AS violence_type, fatalities_best, civilian_deaths, "
        "country_gwno, side_a FROM events ORDER BY date_start, latitude, source_event_id"
    ).df()


def test_a_six_column_extract_is_stored_with_year_precision(con, tmp_path):
    path = write(tmp_path / "ged201_points.csv", EXTRACT)
    assert ged_layout(path) == "extract"
    report = ingest_ged(con, path)
    assert (report.source, report.version) == ("ged_extract", "20.1")
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (5, 5, 0)
    stored = events(con)
    kabul = stored[stored["location_name"] == "Kabul city"].iloc[0]
    assert kabul["date_start"] == pd.Timestamp("2017-01-01")
    assert kabul["date_end"] == pd.Timestamp("2017-12-31")
    assert (stored["date_precision"] == 5).all()  # UCDP date_prec 5: the year only
    assert (kabul["fatalities_best"], kabul["civilian_deaths"]) == (11, 5)
    assert (stored["violence_type"] == "other").all()  # not said by the extract
    assert stored["country_gwno"].isna().all() and stored["side_a"].isna().all()
    # Two identical rows are two events, numbered in file order.
    timbuktu = stored.loc[stored["location_name"] == "Timbuktu town", "source_event_id"]
    assert sorted(i.rsplit(":", 1)[1] for i in timbuktu) == ["1", "2"]
    assert timbuktu.str.rsplit(":", n=1).str[0].nunique() == 1
    assert event_precision(con, "ged_extract") == "year"
    assert missing_event_fields(
        con, "ged_extract", ["civilian_deaths", "violence_type", "side_a", "country"]
    ) == ["violence_type", "side_a", "country"]


def test_synthetic_ids_depend_on_content_not_order(con, tmp_path):
    first = ingest_ged(con, write(tmp_path / "ged201_a.csv", EXTRACT))
    ids = set(events(con)["source_event_id"])
    header, *rows = EXTRACT.strip().split("\n")
    shuffled = "\n".join([header, *reversed(rows)]) + "\n"
    again = ingest_ged(con, write(tmp_path / "ged201_b.csv", shuffled))
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 5)
    assert set(events(con)["source_event_id"]) == ids
    edited = EXTRACT.replace("Kabul city,11,5", "Kabul city,12,5")
    third = ingest_ged(con, write(tmp_path / "ged201_c.csv", edited))
    assert third.rows_inserted == 1  # another row: another id (the old one stays)
    assert third.ingest_id is not None and first.ingest_id is not None
    undo_ingest(con, third.ingest_id)
    assert set(events(con)["source_event_id"]) == ids


def test_an_extract_with_dates_types_and_ids_keeps_them(con, tmp_path):
    frame = ged_frame(6)
    keep = ["id", "type_of_violence", "date_start", "date_end", "date_prec", "latitude",
            "longitude", "best", "side_a", "side_b", "deaths_civilians"]  # fmt: skip
    path = tmp_path / "ged231_subset.csv"
    frame[keep].to_csv(path, index=False)
    report = ingest_ged(con, path)
    assert (report.source, report.rows_inserted) == ("ged_extract", 6)
    stored = events(con).set_index("source_event_id").sort_index()
    expected = frame.set_index("id").sort_index()
    assert list(stored.index) == list(expected.index)
    assert (stored["date_start"].dt.strftime("%Y-%m-%d") == expected["date_start"].str[:10]).all()
    kinds = {"1": "state_based", "2": "non_state", "3": "one_sided"}
    assert (stored["violence_type"] == expected["type_of_violence"].map(kinds)).all()
    assert (stored["side_a"] == expected["side_a"]).all()
    assert event_precision(con, "ged_extract") == "month"
    assert missing_event_fields(con, "ged_extract", ["violence_type", "side_a"]) == []


def test_bad_extract_rows_are_quarantined_with_lines(con, tmp_path):
    text = EXTRACT + "1950,10,10,Old,1,0\n2015,10,200,Nowhere,1,0\n,10,10,Undated,1,0\n"
    report = ingest_ged(con, write(tmp_path / "ged201_bad.csv", text))
    assert (report.rows_inserted, report.rows_quarantined) == (5, 3)
    reasons = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert reasons == [
        (7, "implausible year: 1950 (not between 1989 and this year)"),
        (8, "coordinates out of range: 200.0, 10.0"),
        (9, "missing year"),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("year,longitude,latitude,where_coordinates", "best"),
        ("longitude,latitude,best,deaths_civilians", "date_start, date_end"),
        ("year,where_coordinates,best", "latitude, longitude"),
    ],
)
def test_missing_columns_are_named(con, tmp_path, header, missing):
    path = write(tmp_path / "ged201_cut.csv", header + "\n" + ",".join(["1"] * 4) + "\n")
    with pytest.raises(SchemaError, match=f"missing required column\\(s\\) {missing};"):
        ingest_ged(con, path)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)


def test_a_file_of_no_ged_layout_says_so(con, tmp_path):
    path = write(tmp_path / "ged201_other.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(SchemaError, match="neither a GED header nor a header-less GED row"):
        ingest_ged(con, path)


def test_full_releases_stay_month_precise_and_their_own_source(con, tmp_path):
    ingest_ged(con, write_ged_csv(ged_frame(20), tmp_path / "GEDEvent_v23_1.csv"))
    assert ged_layout(tmp_path / "GEDEvent_v23_1.csv") == "release"
    assert event_precision(con, "ged") == "month"
    assert missing_event_fields(con, "ged", ["violence_type", "side_a", "country"]) == []
    with pytest.raises(NoDataError, match="no events of source 'ged_extract'"):
        event_precision(con, "ged_extract")
    with pytest.raises(UsageError, match="unknown event field"):
        missing_event_fields(con, "ged", ["perpetrator"])


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    if not POINTS.exists():
        pytest.skip("shared GED points file missing")
    con = open_store(tmp_path_factory.mktemp("points") / "s.duckdb")
    report = get_source("ged").ingest(con, POINTS, None, no_step)
    yield con, report
    con.close()


def test_the_real_points_file_ingests_with_year_precision(points):
    con, report = points
    assert (report.source, report.version) == ("ged_extract", "20.1")
    assert (report.rows_read, report.rows_inserted) == (61_296, 61_296)
    assert report.rows_quarantined == 0
    file = pd.read_csv(POINTS)
    per_year = (
        con.execute(
            "SELECT year(date_start) AS year, count(*) AS n, sum(fatalities_best) AS best, "
            "sum(civilian_deaths) AS civ FROM events WHERE source = 'ged_extract' GROUP BY 1"
        )
        .df()
        .set_index("year")
        .sort_index()
    )
    expected = file.groupby("year").agg(
        n=("best", "size"), best=("best", "sum"), civ=("deaths_civilians", "sum")
    )
    assert (per_year.to_numpy() == expected.to_numpy()).all()
    assert con.execute(
        "SELECT count(DISTINCT source_event_id), min(date_precision), max(date_precision) "
        "FROM events"
    ).fetchone() == (61_296, 5, 5)
    assert event_precision(con, "ged_extract") == "year"
    assert missing_event_fields(con, "ged_extract", ["civilian_deaths", "side_a"]) == ["side_a"]
