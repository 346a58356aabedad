"""Nothing lost at ingest (issue 13): no deletion inferred from what a file lacks,
implausible dates quarantined, every ingest undoable, junk and hostile files refused
early with the right line."""

from __future__ import annotations

import random
import string
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelle.errors import IngestError, SourceFileError, UsageError
from sentinelle.sources.acled import Snapshot, ingest_acled
from sentinelle.sources.history import undo_ingest
from sentinelle.sources.ingest import sql_literal
from sentinelle.store import open_store
from tests.factories import acled_frame, write_acled_csv


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return (
        con.execute("SELECT * EXCLUDE (ingest_id) FROM events ORDER BY source_event_id")
        .df()
        .set_index("source_event_id")
    )


def live(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM events WHERE NOT deleted").fetchone()[0])


def line_bytes(path: Path, line: int, old: bytes, new: bytes) -> Path:
    """Replace ``old`` by ``new`` on physical line ``line`` (header = 1) of ``path``."""
    lines = path.read_bytes().split(b"\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes(b"\n".join(lines))
    return path


def test_a_20_row_update_with_a_typo_deletes_nothing_and_reingest_restores(con, tmp_path):
    frame = acled_frame(400).sort_values("event_date", ignore_index=True)
    original = write_acled_csv(frame, tmp_path / "mali.csv")
    ingest_acled(con, original)
    before = events(con)
    update = frame.tail(20).copy()
    typo = update.index[0]
    update.loc[typo, "event_date"] = "2002-10-29"
    report = ingest_acled(con, write_acled_csv(update, tmp_path / "update.csv"))
    assert (report.rows_updated, report.rows_deleted) == (1, 0)
    assert live(con) == 400
    again = ingest_acled(con, original)
    assert not again.skipped and (again.rows_updated, again.rows_deleted) == (1, 0)
    pd.testing.assert_frame_equal(events(con), before)
    assert ingest_acled(con, original).skipped  # nothing left to restore


def test_a_battles_only_export_withdraws_nothing_unless_declared_a_snapshot(con, tmp_path):
    frame = acled_frame(80)
    ingest_acled(con, write_acled_csv(frame, tmp_path / "all.csv"))
    battles = frame[frame.event_type == "Battles"]
    path = write_acled_csv(battles.iloc[1:], tmp_path / "battles.csv")
    assert ingest_acled(con, path).rows_deleted == 0 and live(con) == 80
    scope = Snapshot(("Mali",), date(2019, 1, 1), date(2020, 12, 31), ("Battles",))
    assert scope.describe() == "Mali, 2019-01-01 to 2020-12-31, Battles"
    report = ingest_acled(con, path, snapshot=scope)
    assert report.rows_deleted == 1
    gone = con.execute("SELECT source_event_id FROM events WHERE deleted").fetchall()
    assert gone == [(battles.iloc[0].event_id_cnty,)]
    with pytest.raises(UsageError, match="unknown ACLED event type"):
        Snapshot(("Mali",), date(2019, 1, 1), date(2020, 12, 31), ("Battle",))


def test_a_non_utf8_byte_on_line_3001_quarantines_that_line_only(con, tmp_path):
    frame = acled_frame(3100)
    ingest_acled(con, write_acled_csv(frame, tmp_path / "v1.csv"))
    path = write_acled_csv(frame, tmp_path / "v2.csv")
    line_bytes(path, 3001, b"Place", b"Pl\xffce")
    report = ingest_acled(con, path)
    lines = con.execute(
        "SELECT line FROM quarantine WHERE ingest_id = ?", [report.ingest_id]
    ).fetchall()
    assert lines == [(3001,)] and report.rows_deleted == 0 and live(con) == 3100
    with pytest.raises(IngestError, match=r"line 3001.*not a complete snapshot"):
        ingest_acled(con, path, snapshot=Snapshot(("Mali",), date(2019, 1, 1), date(2020, 12, 31)))


def test_implausible_dates_are_quarantined_with_their_line(con, tmp_path):
    frame = acled_frame(6)
    frame.loc[1, "event_date"] = "2999-01-01"
    frame.loc[3, "event_date"] = "0001-01-01"
    report = ingest_acled(con, write_acled_csv(frame, tmp_path / "dates.csv"))
    rows = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert [line for line, _ in rows] == [3, 5] and report.rows_inserted == 4
    assert all(r.startswith("implausible event_date") for _, r in rows)
    assert "2999-01-01" in rows[0][1] and "0001-01-01" in rows[1][1]


def test_undo_restores_the_store_and_refuses_out_of_order(con, tmp_path):
    frame = acled_frame(30)
    first = ingest_acled(con, write_acled_csv(frame, tmp_path / "v1.csv"))
    after_first = events(con)
    v2 = frame.iloc[:10].copy()
    v2["fatalities"] = "7"
    v2["timestamp"] = (v2["timestamp"].astype(int) + 1).astype(str)
    second = ingest_acled(
        con, write_acled_csv(v2, tmp_path / "v2.csv"), deleted=[frame.iloc[20].event_id_cnty]
    )
    assert (second.rows_updated, second.rows_deleted) == (10, 1)
    with pytest.raises(UsageError, match=f"later ingest.*{second.ingest_id}"):
        undo_ingest(con, first.ingest_id)
    assert undo_ingest(con, second.ingest_id)["events"] == 11
    pd.testing.assert_frame_equal(events(con), after_first)
    with pytest.raises(UsageError, match="undone already"):
        undo_ingest(con, second.ingest_id)
    undo_ingest(con, first.ingest_id)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM actors").fetchone() == (0,)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["complete", "partial", "typo", "reingest"]),
            st.integers(0, 2**31),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_reingesting_the_last_complete_file_leaves_its_events_live_and_unchanged(
    tmp_path_factory, steps
):
    """Partial updates and typos keep the revision (timestamp) of the complete file
    they come from; a complete file is a newer revision. Revisions newer than a file
    rightly win over it, so the property is stated for files no later one revised."""
    tmp = tmp_path_factory.mktemp("prop")
    store = open_store(":memory:")
    base = acled_frame(25)
    complete, files = base.copy(), []
    path = write_acled_csv(complete, tmp / "complete0.csv")
    ingest_acled(store, path)
    files.append(path)
    for number, (kind, seed) in enumerate(steps, start=1):
        rng = random.Random(seed)
        if kind == "complete":
            complete = complete.copy()
            complete["timestamp"] = (complete["timestamp"].astype(int) + 1).astype(str)
            complete.loc[rng.randrange(25), "fatalities"] = str(rng.randrange(50))
            path = write_acled_csv(complete, tmp / f"complete{number}.csv")
        elif kind == "reingest":
            path = rng.choice(files)
        else:
            rows = complete.sample(n=rng.randint(1, 24), random_state=seed).copy()
            if kind == "typo":
                rows.iloc[0, rows.columns.get_loc("event_date")] = "2002-10-29"
                rows.iloc[-1, rows.columns.get_loc("fatalities")] = "999"
            path = write_acled_csv(rows, tmp / f"{kind}{number}.csv")
        ingest_acled(store, path)
        files.append(path)
    ingest_acled(store, write_acled_csv(complete, tmp / "last.csv"))
    stored = events(store)
    assert len(stored) == 25 and not stored.deleted.any()
    expected = complete.set_index("event_id_cnty").loc[stored.index]
    assert (stored.source_version == expected.timestamp).all()
    assert (stored.date_start.dt.strftime("%Y-%m-%d") == expected.event_date).all()
    assert (stored.fatalities_best.astype(str) == expected.fatalities).all()


def junk_file(path: Path, lines: int) -> Path:
    header = ",".join(acled_frame(1).columns)
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits
    body = "\n".join("".join(rng.choices(alphabet, k=40)) for _ in range(lines))
    path.write_text(f"{header}\n{body}\n")
    return path


def test_a_junk_file_is_refused_from_its_first_rows(con, tmp_path):
    with pytest.raises(SourceFileError, match=r"1,000 of the first 1,000 rows do not have"):
        ingest_acled(con, junk_file(tmp_path / "junk.csv", 5_000))
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)


def test_a_5mb_field_names_its_line(con, tmp_path):
    frame = acled_frame(10)
    frame.loc[2, "notes"] = "x" * 5_000_000
    with pytest.raises(SourceFileError, match=r"line 4: a row of 5,0\d\d,\d\d\d bytes"):
        ingest_acled(con, write_acled_csv(frame, tmp_path / "long.csv"))


def test_a_truncated_zip_is_called_corrupt(con, tmp_path):
    csv_path = write_acled_csv(acled_frame(200), tmp_path / "export.csv")
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv_path, arcname=csv_path.name)
    zipped.write_bytes(zipped.read_bytes()[: zipped.stat().st_size // 2])
    with pytest.raises(SourceFileError, match="corrupt or truncated zip"):
        ingest_acled(con, zipped)


def test_a_zip_bomb_is_refused_before_unpacking(con, tmp_path):
    zipped = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.csv", "event_id_cnty\n" + "0" * 40_000_000)
    assert zipped.stat().st_size < 400_000
    with pytest.raises(SourceFileError, match=r"would expand .* refused before unpacking"):
        ingest_acled(con, zipped)


# Any text a UTF-8 file can hold (lone surrogates cannot be encoded, so no file has one).
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00")), max_size=4))
def test_sql_literal_round_trips_any_text(values):
    assert duckdb.execute(f"SELECT {sql_literal(values)}").fetchone() == (values,)


def test_sql_literal_refuses_nul():
    with pytest.raises(ValueError, match="NUL"):
        sql_literal("a\x00b")
