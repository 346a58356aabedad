"""ACLED adapter: the export layouts, the event model mapping, quarantine and the
living-database rules (revisions by timestamp, withdrawn and restored events)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sentinelle.sources import SchemaError
from sentinelle.sources.acled import Snapshot, ingest_acled
from sentinelle.store import open_store
from tests.factories import HDX_HXL_TAGS, acled_frame, write_acled_csv

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "acled"
REAL_EXPORT = SHARED / "acled_mali_1997-2020.csv"
HDX = {iso3: SHARED / f"acled_hdx_{iso3.lower()}_1997-2020.csv" for iso3 in ("MLI", "BFA", "NER")}


def expected_violence(row: pd.Series) -> str:
    """The documented mapping, restated independently of the adapter's SQL."""
    if row["event_type"] == "Violence against civilians":
        return "one_sided"
    if row["event_type"] in ("Battles", "Explosions/Remote violence"):
        state = {"1", "8"} & {row["inter1"], row["inter2"]}
        return "state_based" if state else "non_state"
    return "other"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def stored(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT *, violence_type::VARCHAR AS violence FROM events ORDER BY source_event_id"
    ).df()


def test_export_maps_to_the_event_model(con, tmp_path):
    frame = acled_frame(64)
    report = ingest_acled(con, write_acled_csv(frame, tmp_path / "export.csv"))
    assert (report.source, report.rows_read, report.rows_inserted) == ("acled", 64, 64)
    assert report.rows_quarantined == 0
    events = stored(con).set_index("source_event_id")
    rows = frame.set_index("event_id_cnty").loc[events.index]
    assert (events.violence == rows.apply(expected_violence, axis=1)).all()
    assert (events.event_type == rows.event_type + ": " + rows.sub_event_type).all()
    assert (events.source_version == rows.timestamp).all()
    assert (events.date_start.dt.strftime("%Y-%m-%d") == rows.event_date).all()
    assert (events.date_start == events.date_end).all()
    assert (events.fatalities_best == rows.fatalities.astype(int)).all()
    assert events.fatalities_low.isna().all() and events.fatalities_high.isna().all()
    civilian = rows.event_type == "Violence against civilians"
    assert (events.civilian_deaths[civilian] == rows.fatalities[civilian].astype(int)).all()
    assert events.civilian_deaths[~civilian].isna().all()
    assert (events.date_precision == rows.time_precision.astype(int)).all()
    assert (events.where_precision == rows.geo_precision.astype(int)).all()
    assert set(events.country_iso3) == {"MLI"} and set(events.country_name) == {"Mali"}
    assert (events.side_a == rows.actor1).all() and events.side_a_id.isna().all()
    assert not events.deleted.any()
    # ACLED has no actor ids: actors are registered under their names.
    names = set(frame.actor1) | set(frame.actor2) - {""}
    assert {a for (a,) in con.execute("SELECT source_actor_id FROM actors").fetchall()} == names


def test_layout_variants_index_column_iso_only_labels_and_date_formats(con, tmp_path):
    frame = acled_frame(16).drop(columns=["iso3"])
    codes = {"1": "State forces", "2": "Rebel group", "8": "External/Other forces"}
    labelled = frame.assign(
        inter1=frame.inter1.map(lambda c: codes.get(c, c)),
        # Newer exports leave inter2 empty when there is no second actor.
        inter2=frame.inter2.map(lambda c: "" if c == "0" else codes.get(c, c)),
        disorder_type="Political violence",
        civilian_targeting="",
        tags="",
    )
    day = pd.to_datetime(frame.event_date)
    labelled.loc[0, "event_date"] = day[0].strftime("%d %B %Y")  # 31 October 2020
    labelled.loc[1, "event_date"] = day[1].strftime("%d-%B-%Y")  # 31-October-2020
    path = write_acled_csv(labelled, tmp_path / "export.csv", index_column=True)
    report = ingest_acled(con, path)
    assert (report.rows_inserted, report.rows_quarantined) == (16, 0)
    events = stored(con).set_index("source_event_id")
    rows = frame.set_index("event_id_cnty").loc[events.index]
    assert (events.violence == rows.apply(expected_violence, axis=1)).all()
    assert (events.date_start.dt.strftime("%Y-%m-%d") == rows.event_date).all()
    # Without iso3 the numeric ISO code (466) gives it.
    assert set(events.country_iso3) == {"MLI"}


@pytest.mark.parametrize(
    "tags",
    [HDX_HXL_TAGS, {"event_id_cnty": "#event+code", "event_date": "#date+occurred"}],
    ids=["refused-by-the-reader", "parsed-as-text"],
)
def test_hxl_tag_row_is_skipped_and_line_numbers_count_it(con, tmp_path, tags):
    frame = acled_frame(6)
    frame.loc[3, "latitude"] = "123.0"
    path = write_acled_csv(frame, tmp_path / "hdx.csv", hxl=tags)
    report = ingest_acled(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (6, 5, 1)
    line, reason = con.execute("SELECT line, reason FROM quarantine").fetchone()
    # Header, tag row, then data: frame row 3 is on line 6.
    assert line == 6 and reason.startswith("coordinates out of range: 123.0")
    assert path.read_text().splitlines()[line - 1].split(",")[2] == frame.loc[3, "event_id_cnty"]


def test_broken_rows_are_quarantined_with_their_line_and_reason(con, tmp_path):
    frame = acled_frame(12)
    frame.loc[0, "notes"] = "A note\nspanning two lines"  # lines and records differ after it
    frame.loc[1, "event_date"] = "2020-13-45"  # line 4
    frame.loc[2, "longitude"] = "-200"  # line 5
    frame.loc[3, "event_type"] = "Unrest"  # line 6
    frame.loc[5, "event_id_cnty"] = frame.loc[4, "event_id_cnty"]  # line 8 repeats line 7
    frame.loc[6, "fatalities"] = "-3"  # line 9
    frame.loc[7, "fatalities"] = "many"  # line 10: refused by the reader
    frame.loc[8, "event_id_cnty"] = ""  # line 11
    frame.loc[9, "inter1"] = "Aliens"  # line 12
    path = write_acled_csv(frame, tmp_path / "export.csv")
    report = ingest_acled(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (12, 4, 8)
    reasons = dict(con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall())
    first_id = frame.loc[4, "event_id_cnty"]
    assert reasons == {
        4: "unparseable event_date: 2020-13-45",
        5: f"coordinates out of range: {frame.loc[2, 'latitude']}, -200.0",
        6: "unknown event_type: Unrest",
        8: f"duplicate key (acled/{first_id}) first seen at line 7",
        9: "bad fatalities: -3",
        10: reasons[10],
        11: "missing event_id_cnty",
        12: "unknown inter1: Aliens",
    }
    assert "fatalities" in reasons[10] and '"many"' in reasons[10]
    lines = path.read_text().splitlines()
    assert lines[8 - 1].split(",")[2] == first_id and lines[7 - 1].split(",")[2] == first_id
    raw = json.loads(con.execute("SELECT raw FROM quarantine WHERE line = 6").fetchone()[0])
    assert raw["event_id_cnty"] == frame.loc[3, "event_id_cnty"]
    assert report.quarantine_reasons == {
        "unparseable event_date": 1,
        "coordinates out of range": 1,
        "unknown event_type": 1,
        "duplicate key": 1,
        "bad fatalities": 1,
        "CAST": 1,
        "missing event_id_cnty": 1,
        "unknown inter1": 1,
    }


def test_missing_columns_fail_clearly(con, tmp_path):
    path = write_acled_csv(acled_frame(3).drop(columns=["timestamp"]), tmp_path / "e.csv")
    with pytest.raises(SchemaError, match=r"missing required column\(s\) timestamp"):
        ingest_acled(con, path)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)


def test_reingest_is_idempotent(con, tmp_path):
    frame = acled_frame(30)
    path = write_acled_csv(frame, tmp_path / "export.csv")
    first = ingest_acled(con, path)
    before = stored(con)
    again = ingest_acled(con, path)
    assert again.skipped and again.ingest_id == first.ingest_id
    # The same rows in another file (other order, with an index column) change nothing.
    shuffled = frame.sample(frac=1, random_state=1)
    other = ingest_acled(con, write_acled_csv(shuffled, tmp_path / "copy.csv", index_column=True))
    assert (other.rows_inserted, other.rows_updated, other.rows_unchanged) == (0, 0, 30)
    assert other.rows_deleted == 0
    pd.testing.assert_frame_equal(stored(con), before)


MALI_2019_2020 = Snapshot(("Mali",), date(2019, 1, 1), date(2020, 12, 31))


def test_updated_snapshot_revises_withdraws_and_restores(con, tmp_path):
    frame = acled_frame(20)
    ingest_acled(con, write_acled_csv(frame, tmp_path / "v1.csv"))
    revised, gone = frame.loc[0, "event_id_cnty"], frame.loc[1, "event_id_cnty"]
    v2 = frame.drop(index=1).copy()
    v2.loc[0, "fatalities"] = str(int(v2.loc[0, "fatalities"]) + 10)
    v2.loc[0, "timestamp"] = str(int(v2.loc[0, "timestamp"]) + 86_400)
    path = write_acled_csv(v2, tmp_path / "v2.csv")
    report = ingest_acled(con, path, snapshot=MALI_2019_2020)
    assert (report.rows_updated, report.rows_deleted, report.rows_unchanged) == (1, 1, 18)
    events = stored(con).set_index("source_event_id")
    assert events.loc[revised, "fatalities_best"] == int(v2.loc[0, "fatalities"])
    assert events.loc[revised, "source_version"] == v2.loc[0, "timestamp"]
    assert events.loc[gone, "deleted"] and events.deleted.sum() == 1

    # An older revision, in a file ingested later, does not overwrite the newer one.
    stale = frame.copy()
    stale.loc[0, "fatalities"] = "999"
    report = ingest_acled(con, write_acled_csv(stale, tmp_path / "stale.csv"))
    assert report.rows_updated == 1  # only the withdrawn event, restored (below)
    events = stored(con).set_index("source_event_id")
    assert events.loc[revised, "fatalities_best"] == int(v2.loc[0, "fatalities"])
    # The withdrawn event is back in this file: undeleted.
    assert not events.deleted.any()


def test_withdrawn_are_the_declared_snapshot_scope_plus_the_deleted_list(con, tmp_path):
    mali = acled_frame(20)
    niger = acled_frame(5, seed=1, first_id=500).assign(country="Niger", iso="562", iso3="NER")
    ingest_acled(con, write_acled_csv(pd.concat([mali, niger]), tmp_path / "all.csv"))
    # A Mali snapshot of 2019 only: Mali 2020 events and Niger are outside it.
    in_2019 = mali.event_date < "2020-01-01"
    kept = mali[in_2019].iloc[1:]
    withdrawn = mali[in_2019].iloc[0]
    report = ingest_acled(
        con,
        write_acled_csv(kept, tmp_path / "mali_2019.csv"),
        deleted=[niger.iloc[0].event_id_cnty, "MLI999999"],
        snapshot=Snapshot(("Mali",), date(2019, 1, 1), date(2019, 12, 31)),
    )
    assert report.rows_deleted == 2
    deleted = {
        e for (e,) in con.execute("SELECT source_event_id FROM events WHERE deleted").fetchall()
    }
    assert deleted == {withdrawn.event_id_cnty, niger.iloc[0].event_id_cnty}


def test_a_quarantined_revision_does_not_withdraw_the_stored_event(con, tmp_path):
    frame = acled_frame(10)
    ingest_acled(con, write_acled_csv(frame, tmp_path / "v1.csv"))
    broken = frame.copy()
    broken.loc[4, "latitude"] = "91"
    path = write_acled_csv(broken, tmp_path / "v2.csv")
    report = ingest_acled(con, path, snapshot=MALI_2019_2020)
    assert (report.rows_quarantined, report.rows_deleted) == (1, 0)


def test_real_mali_export(con):
    if not REAL_EXPORT.exists():
        pytest.skip(f"{REAL_EXPORT} not available")
    report = ingest_acled(con, REAL_EXPORT)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (4318, 4318, 0)
    by_type = dict(
        con.execute(
            "SELECT split_part(event_type, ':', 1), count(*) FROM events GROUP BY 1"
        ).fetchall()
    )
    assert by_type == {
        "Battles": 1385,
        "Explosions/Remote violence": 636,
        "Protests": 410,
        "Riots": 186,
        "Strategic developments": 432,
        "Violence against civilians": 1269,
    }
    by_violence = dict(
        con.execute("SELECT violence_type::VARCHAR, count(*) FROM events GROUP BY 1").fetchall()
    )
    assert by_violence == {"state_based": 1318, "non_state": 703, "one_sided": 1269, "other": 1028}
    span = con.execute(
        "SELECT min(date_start)::VARCHAR, max(date_start)::VARCHAR, "
        "count(DISTINCT country_iso3), sum(fatalities_best) FROM events"
    ).fetchone()
    assert span == ("1997-01-06", "2020-10-31", 1, 10174)


@pytest.mark.parametrize(("iso3", "rows"), [("MLI", 3990), ("BFA", 2730), ("NER", 1349)])
def test_real_hdx_copies(con, iso3, rows):
    if not HDX[iso3].exists():
        pytest.skip(f"{HDX[iso3]} not available")
    report = ingest_acled(con, HDX[iso3])
    # The HXL tag row is neither read nor quarantined.
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (rows, rows, 0)
    assert con.execute("SELECT DISTINCT country_iso3 FROM events").fetchall() == [(iso3,)]


def test_real_hdx_copy_and_newer_export_in_either_order(con):
    if not (REAL_EXPORT.exists() and HDX["MLI"].exists()):
        pytest.skip("real ACLED Mali files not available")
    # Older copy first: the export (to October 2020) revises 1,114 of its events.
    ingest_acled(con, HDX["MLI"])
    report = ingest_acled(con, REAL_EXPORT)
    counts = (report.rows_inserted, report.rows_updated, report.rows_unchanged)
    assert counts == (328, 1114, 2876) and report.rows_deleted == 0
    # Newer export first: the HDX copy holds older revisions, and lacks 33 events ACLED
    # added later for dates it covers; neither may be undone.
    newer_first = open_store(":memory:")
    ingest_acled(newer_first, REAL_EXPORT)
    report = ingest_acled(newer_first, HDX["MLI"])
    assert (report.rows_updated, report.rows_unchanged, report.rows_deleted) == (0, 3990, 0)
    for store in (con, newer_first):
        assert store.execute("SELECT count(*) FROM events WHERE NOT deleted").fetchone() == (4318,)
