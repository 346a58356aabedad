"""GED adapter and, through it, the ingest engine's rules (transaction, idempotence,
supersession, quarantine with file lines)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sentinelle.sources import IngestError, SchemaError
from sentinelle.sources import ingest as engine
from sentinelle.sources.ucdp_ged import GED_COLUMNS, ingest_ged, version_from_name
from sentinelle.store import open_store
from tests.factories import ged_frame, write_ged_csv, zip_file

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every stored table, to prove a failed ingest changed nothing."""
    return {
        t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("events", "actors", "deployments", "quarantine", "ingests")
    }


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("GEDEvent_v23_1.csv", "23.1"),
        ("GEDEvent_v24_0_5.csv", "24.0.5"),
        ("GEDEvent_v24_0_12.csv", "24.0.12"),
        ("ged251-csv.zip", "25.1"),
        ("events.csv", None),
    ],
)
def test_version_from_published_file_names(name: str, version: str | None) -> None:
    assert version_from_name(Path(name)) == version


def test_ingest_maps_ged_columns_to_the_event_model(con, tmp_path):
    frame = ged_frame(50)
    path = write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv")
    report = ingest_ged(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (50, 50, 0)
    stored = con.execute(
        "SELECT source_event_id, violence_type::VARCHAR AS violence_type, date_start, "
        "fatalities_best, civilian_deaths, side_a, side_b_id, country_gwno, source_version "
        "FROM events "
        "ORDER BY source_event_id"
    ).df()
    first = frame.sort_values("id").iloc[0]
    row = stored.iloc[0]
    assert row.source_event_id == first["id"]
    assert (
        row.violence_type
        == {"1": "state_based", "2": "non_state", "3": "one_sided"}[first["type_of_violence"]]
    )
    assert str(row.date_start)[:10] == first["date_start"][:10]
    assert row.fatalities_best == int(first["best"])
    assert row.side_a == first["side_a"] and row.side_b_id == first["side_b_new_id"]
    assert row.country_gwno == 432 and row.source_version == "23.1"
    assert con.execute("SELECT DISTINCT country_iso3 FROM events").fetchall() == [("MLI",)]
    assert stored.fatalities_best.sum() == frame["best"].astype(int).sum()
    # Every side becomes an actor, once.
    n_actors = con.execute(
        "SELECT count(*), count(DISTINCT source_actor_id) FROM actors"
    ).fetchone()
    sides = set(frame.side_a_new_id) | set(frame.side_b_new_id)
    assert n_actors == (len(sides), len(sides))


def test_zipped_release_and_headerless_candidate(con, tmp_path):
    frame = ged_frame(30)
    csv_path = write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv")
    zipped = zip_file(csv_path, tmp_path / "ged231-csv.zip")
    assert ingest_ged(con, zipped).rows_inserted == 30
    candidate = write_ged_csv(
        ged_frame(12, first_id=5_000_000), tmp_path / "GEDEvent_v24_0_3.csv", header=False
    )
    report = ingest_ged(con, candidate, candidate=True)
    assert (report.source, report.version, report.rows_inserted) == ("ged_candidate", "24.0.3", 12)
    counts = dict(con.execute("SELECT source, count(*) FROM events GROUP BY 1").fetchall())
    assert counts == {"ged": 30, "ged_candidate": 12}


def test_same_file_twice_is_skipped_and_same_rows_are_unchanged(con, tmp_path):
    path = write_ged_csv(ged_frame(40), tmp_path / "GEDEvent_v23_1.csv")
    first = ingest_ged(con, path)
    before = snapshot(con)
    again = ingest_ged(con, path)
    assert again.skipped and again.ingest_id == first.ingest_id
    assert snapshot(con) == before
    # The same rows in another file (zipped) are read, compared, and left alone.
    rezipped = ingest_ged(con, zip_file(path, tmp_path / "ged231-csv.zip"))
    assert (rezipped.rows_inserted, rezipped.rows_updated, rezipped.rows_unchanged) == (0, 0, 40)
    assert snapshot(con)["events"] == before["events"]


def test_newer_version_supersedes_and_older_never_overwrites(con, tmp_path):
    frame = ged_frame(20)
    ingest_ged(con, write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv"))
    revised = frame.copy()
    revised.loc[0, "best"] = str(int(revised.loc[0, "best"]) + 7)
    revised.loc[0, "high"] = str(int(revised.loc[0, "high"]) + 7)
    newer = ingest_ged(con, write_ged_csv(revised, tmp_path / "GEDEvent_v24_1.csv"))
    assert (newer.rows_updated, newer.rows_unchanged, newer.rows_inserted) == (20, 0, 0)
    best = con.execute(
        "SELECT fatalities_best, source_version FROM events WHERE source_event_id = ?",
        [frame.loc[0, "id"]],
    ).fetchone()
    assert best == (int(revised.loc[0, "best"]), "24.1")
    # An older release ingested later (here with its own edit) leaves 24.1 in place.
    older = frame.copy()
    older.loc[1, "best"] = "999"
    stale = ingest_ged(con, write_ged_csv(older, tmp_path / "GEDEvent_v23_1b.csv"), version="23.1")
    assert stale.rows_updated == 0
    assert con.execute("SELECT DISTINCT source_version FROM events").fetchall() == [("24.1",)]
    versions = con.execute("SELECT source_version FROM ingests ORDER BY ingest_id").fetchall()
    assert versions == [("23.1",), ("24.1",), ("23.1",)]


def test_broken_rows_are_quarantined_with_their_file_line(con, tmp_path):
    frame = ged_frame(8)
    # Row 0 carries a quoted field spanning two lines, as real GED source_article does,
    # so record numbers and file lines differ from there on.
    frame.loc[0, "source_article"] = '"AFP,2020-01-01,Attack\nsecond line"'
    frame.loc[2, "latitude"] = "95.5"  # record 4
    frame.loc[3, "type_of_violence"] = "7"  # record 5
    frame.loc[4, "date_start"] = "31/12/2020"  # record 6: the reader cannot parse it
    frame.loc[6, "id"] = frame.loc[5, "id"]  # record 8 repeats record 7's id
    path = write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv")
    text = path.read_text().splitlines()
    text.insert(9, "1,2,3")  # a truncated row between records 8 and 9
    path.write_text("\n".join(text) + "\n")

    report = ingest_ged(con, path)
    assert report.rows_read == 9 and report.rows_inserted == 4
    assert report.rows_quarantined == 5
    rows = con.execute("SELECT line, reason, raw FROM quarantine ORDER BY line").fetchall()
    lines = path.read_text().splitlines()
    by_line = {line: reason for line, reason, _ in rows}
    assert by_line[5].startswith("coordinates out of range: 95.5")
    assert by_line[6] == "unknown violence type: 7"
    assert "date_start" in by_line[7] and "31/12/2020" in by_line[7]
    assert by_line[9] == f"duplicate key (ged/{frame.loc[5, 'id']}) first seen at line 8"
    assert "MISSING COLUMNS" in by_line[10] and lines[9] == "1,2,3"
    # Each line number points at the offending row in the file itself.
    assert lines[4].split(",")[0] == frame.loc[2, "id"]
    assert lines[8].split(",")[0] == frame.loc[6, "id"]
    raw = json.loads(next(r for line, _, r in rows if line == 5))
    assert raw["latitude"] == 95.5 and raw["id"] == int(frame.loc[2, "id"])


def test_a_release_without_optional_columns_merges_over_stored_events(con, tmp_path):
    frame = ged_frame(6)
    ingest_ged(con, write_ged_csv(frame, tmp_path / "GEDEvent_v23_1.csv"))
    slim = frame.drop(columns=["adm_1", "adm_2", "low", "high", "date_prec", "source_headline"])
    report = ingest_ged(con, write_ged_csv(slim, tmp_path / "GEDEvent_v24_1.csv"))
    assert report.rows_updated == 6
    assert con.execute("SELECT count(admin1), count(fatalities_low) FROM events").fetchone() == (
        0,
        0,
    )


def test_wrong_columns_fail_clearly_and_store_nothing(con, tmp_path):
    path = tmp_path / "GEDEvent_v23_1.csv"
    ged_frame(5).drop(columns=["latitude", "best"]).to_csv(path, index=False)
    with pytest.raises(
        SchemaError, match=r"GEDEvent_v23_1.csv: missing required column\(s\) latitude, best"
    ):
        ingest_ged(con, path)
    other = tmp_path / "GEDEvent_v23_2.csv"
    other.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(SchemaError, match="neither a GED header"):
        ingest_ged(con, other)
    assert snapshot(con)["ingests"] == []


def test_unknown_version_asks_for_it(con, tmp_path):
    path = write_ged_csv(ged_frame(3), tmp_path / "events.csv")
    with pytest.raises(SchemaError, match="--version"):
        ingest_ged(con, path)
    assert ingest_ged(con, path, version="25.1").rows_inserted == 3


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_ingest_killed_midway_leaves_the_store_as_before(con, tmp_path, monkeypatch, failure):
    ingest_ged(con, write_ged_csv(ged_frame(25), tmp_path / "GEDEvent_v23_1.csv"))
    before = snapshot(con)
    revised = ged_frame(25)
    revised["best"] = "1"
    bigger = pd.concat([revised, ged_frame(30, first_id=9_000_000)])
    bigger.loc[bigger.index[-1], "latitude"] = "-300"  # one row for the quarantine too

    def crash(*args: object, **kwargs: object) -> None:
        # Runs after events were updated and inserted, before provenance is written.
        raise failure

    monkeypatch.setattr(engine, "_register_actors", crash)
    expected = IngestError if isinstance(failure, Exception) else KeyboardInterrupt
    with pytest.raises(expected):
        ingest_ged(con, write_ged_csv(bigger, tmp_path / "GEDEvent_v24_1.csv"))
    assert snapshot(con) == before
    # The connection is still usable and the same file ingests cleanly afterwards.
    monkeypatch.undo()
    report = ingest_ged(con, tmp_path / "GEDEvent_v24_1.csv")
    assert (report.rows_updated, report.rows_inserted, report.rows_quarantined) == (25, 29, 1)


def test_missing_and_corrupt_files(con, tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest_ged(con, tmp_path / "GEDEvent_v23_1.csv")
    bad_zip = tmp_path / "ged231-csv.zip"
    zip_file(write_ged_csv(ged_frame(2), tmp_path / "a.csv"), bad_zip)
    with __import__("zipfile").ZipFile(bad_zip, "a") as archive:
        archive.writestr("b.csv", "x")
    with pytest.raises(IngestError, match=r"exactly one \.csv"):
        ingest_ged(con, bad_zip)


@pytest.mark.skipif(not (SHARED / "ged").exists(), reason="shared GED data not present")
def test_real_ged_23_1_files(con, tmp_path):
    """Ethiopia as published (CSV) and CAR (GeoJSON properties written back to CSV)."""
    eth = ingest_ged(con, SHARED / "ged" / "GEDEvent_v23_1_ETH.csv")
    assert (eth.rows_read, eth.rows_inserted, eth.rows_quarantined) == (3808, 3808, 0)
    features = json.loads((SHARED / "ged" / "GEDEvent_v23_1_CAF.geojson").read_text())["features"]
    # The GeoJSON moves latitude/longitude/geom_wkt into the point geometry.
    caf = pd.DataFrame(
        [
            {
                **f["properties"],
                "longitude": f["geometry"]["coordinates"][0],
                "latitude": f["geometry"]["coordinates"][1],
                "geom_wkt": "POINT ({} {})".format(*f["geometry"]["coordinates"]),
            }
            for f in features
        ]
    )[list(GED_COLUMNS)]
    caf_report = ingest_ged(con, write_ged_csv(caf, tmp_path / "GEDEvent_v23_1_CAF.csv"))
    assert caf_report.rows_inserted == len(features) == 1848
    totals = dict(
        con.execute("SELECT country_name, sum(fatalities_best) FROM events GROUP BY 1").fetchall()
    )
    assert totals["Central African Republic"] == caf["best"].astype(int).sum()
    iso3 = con.execute(
        "SELECT DISTINCT country_gwno, country_iso3 FROM events ORDER BY 1"
    ).fetchall()
    assert iso3 == [(482, "CAF"), (530, "ETH")]
    assert (
        totals["Ethiopia"] == pd.read_csv(SHARED / "ged" / "GEDEvent_v23_1_ETH.csv")["best"].sum()
    )
