"""ACLED's HDX aggregates (acled-hdx): files the tests write in HDX's layouts, a
loopback HDX for the fetcher, the command line, and the real files of ../shared/data."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.config import Settings
from sentinelle.errors import OfflineError, SchemaError, SourceFileError, UsageError
from sentinelle.geo.months import month_id
from sentinelle.sources.acled_hdx import (
    HdxName,
    dataset_id,
    fetch_acled_hdx,
    ingest_acled_hdx,
    parse_file_name,
)
from sentinelle.sources.history import undo_ingest
from sentinelle.store import open_store
from sentinelle.store.aggregates import current_aggregates
from sentinelle.store.status import aggregates_status, store_status
from tests.sources.loopback import FAST, Loopback, Reply, Request, closed_port_url, json_reply

runner = CliRunner()

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
ADMIN2_HEADER = ["Country", "Admin1", "Admin2", "ISO3", "Admin2 Pcode", "Admin1 Pcode",
                 "Month", "Year", "Events", "Fatalities"]  # fmt: skip
ADMIN1_HEADER = ["Country", "Admin1", "ISO3", "Admin1 Pcode", "Month", "Year", "Events",
                 "Fatalities"]  # fmt: skip
CERCLES = [("Gao", "Ansongo", "ML0701", "ML07"), ("Gao", "Bourem", "ML0702", "ML07"),
           ("Mopti", "Bandiagara", "ML0501", "ML05")]  # fmt: skip
REGIONS = [("Gao", "ML07"), ("Mopti", "ML05"), ("Kidal", "ML09")]
HXL_TAGS = ["#country+name", "#adm1+name", "#country+code", "#adm1+code", "#date+month",
            "#date+year", "#event+num", "#affected+killed"]  # fmt: skip


def hdx_name(series: str = "political_violence", as_of: str = "03apr2025", ext: str = "xlsx"):
    """A file name in HDX's pattern."""
    return f"mali_hrp_{series}_events_and_fatalities_by_month-year_as-of-{as_of}.{ext}"


def admin2_rows(months: Sequence[int] = (1, 2, 3), year: int = 2024, bump: int = 0):
    """Rows of the three cercles for ``months``: events (unit+1)*month, fatalities 2x."""
    rows: list[list[object]] = []
    for month in months:
        for i, (admin1, admin2, pcode, admin1_pcode) in enumerate(CERCLES):
            events = (i + 1) * month
            rows.append(["Mali", admin1, admin2, "MLI", pcode, admin1_pcode, MONTHS[month - 1],
                         year, events, 2 * events + bump])  # fmt: skip
    return rows


def admin1_rows(months: Sequence[int] = (1, 2)):
    return [
        ["Mali", admin1, "MLI", pcode, MONTHS[month - 1], 2024, month + i, month]
        for month in months
        for i, (admin1, pcode) in enumerate(REGIONS)
    ]


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], header=ADMIN2_HEADER) -> Path:
    """A workbook as HDX publishes it: a TOU sheet, then Data. ``None`` rows stay empty."""
    book = openpyxl.Workbook()
    tou = book.active
    tou.title = "TOU"
    tou.append(["Licensing"])
    data = book.create_sheet("Data")
    data.append(list(header))
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row or (), start=1):
            data.cell(row=number, column=column, value=value)
    book.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[object]], header=ADMIN2_HEADER, hxl=False):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        if hxl:
            writer.writerow(HXL_TAGS)
        writer.writerows(rows)
    return path


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    store = open_store(":memory:")
    yield store
    store.close()


def stored(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int, object], tuple[int, int]]:
    rows = con.execute(
        "SELECT pcode, month_id, as_of, events, fatalities FROM admin_aggregates"
    ).fetchall()
    return {(p, m, a): (e, f) for p, m, a, e, f in rows}


def current(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], tuple[int, int, object]]:
    frame = current_aggregates(con)
    return {
        (r.pcode, r.month_id): (
            r.events,
            r.fatalities,
            None if pd.isna(r.as_of) else r.as_of.date(),
        )
        for r in frame.itertuples(index=False)
    }


# ----------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("burkina-faso_hrp_civilian_targeting_events_and_fatalities_by_month-year_as-of-03apr2025.xlsx",
         HdxName("civilian_targeting", date(2025, 4, 3))),
        ("mali_acled_political_violence_admin2_month_1997-2024.xlsx",
         HdxName("political_violence", None)),
        ("political-violence-events-and-fatalities_as-of-2025-01-10.xlsx",
         HdxName("political_violence", date(2025, 1, 10))),
        ("niger_hrp_demonstration_events_by_month-year_as-of-27mar2025.xlsx",
         HdxName("demonstrations", date(2025, 3, 27))),
        ("cercles_2024.csv", HdxName(None, None)),
    ],
)  # fmt: skip
def test_series_and_as_of_come_from_hdx_file_names(name: str, expected: HdxName) -> None:
    assert parse_file_name(name) == expected


def test_dataset_ids_follow_hdx_naming() -> None:
    assert dataset_id("Mali") == "mali-acled-conflict-data"
    assert dataset_id("Burkina Faso") == "burkina-faso-acled-conflict-data"


# -------------------------------------------------------------------------- ingest


def test_an_admin2_workbook_is_stored_by_unit_month(tmp_path: Path, con) -> None:
    path = write_xlsx(tmp_path / hdx_name(), admin2_rows())
    report = ingest_acled_hdx(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (9, 9, 0)
    assert report.version == "political_violence as of 2025-04-03"
    row = con.execute(
        "SELECT source, series, as_of, iso3, admin_level, name, admin1_pcode, admin1_name, "
        "events, fatalities, ingest_id FROM admin_aggregates "
        "WHERE pcode = 'ML0702' AND month_id = ?",
        [month_id(2024, 2)],
    ).fetchone()
    assert row == ("acled-hdx", "political_violence", date(2025, 4, 3), "MLI", 2, "Bourem",
                   "ML07", "Gao", 4, 8, report.ingest_id)  # fmt: skip
    source, version, location = con.execute(
        "SELECT source, source_version, location FROM ingests"
    ).fetchone()  # type: ignore[misc]
    assert (source, version, location) == ("acled-hdx", report.version, str(path.resolve()))
    assert len(current_aggregates(con, iso3="MLI", level=2)) == 9


def test_an_admin1_csv_with_its_hxl_row(tmp_path: Path, con) -> None:
    path = write_csv(
        tmp_path / hdx_name("civilian_targeting", ext="csv"),
        admin1_rows(), ADMIN1_HEADER, hxl=True,
    )  # fmt: skip
    report = ingest_acled_hdx(con, path)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (6, 6, 0)
    levels = con.execute(
        "SELECT DISTINCT series, admin_level, pcode = admin1_pcode, name = admin1_name "
        "FROM admin_aggregates"
    ).fetchall()
    assert levels == [("civilian_targeting", 1, True, True)]
    kidal = con.execute(
        "SELECT events, fatalities FROM admin_aggregates WHERE pcode = 'ML09' AND month_id = ?",
        [month_id(2024, 2)],
    ).fetchone()
    assert kidal == (4, 2)


def test_bad_rows_are_quarantined_with_their_sheet_and_row(tmp_path: Path, con) -> None:
    good = admin2_rows()
    bad = {
        "negative Events": ["Mali", "Gao", "Ansongo", "MLI", "ML0701", "ML07", "April", 2024,
                            -1, 0],
        "implausible Fatalities": ["Mali", "Gao", "Ansongo", "MLI", "ML0701", "ML07", "May",
                                   2024, 0, 3],
        "malformed Admin2 Pcode": ["Mali", "Gao", "Gao", "MLI", "Gao", "ML07", "May", 2024, 1, 0],
        "Admin2 Pcode BF0101 is not of the country of Admin1 Pcode ML07":
            ["Mali", "Gao", "X", "MLI", "BF0101", "ML07", "May", 2024, 1, 0],
        "unknown Month": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07", "Janvier", 2024, 1, 0],
        "implausible month": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07", "June", 1996, 1, 0],
        "implausible month after the as-of": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07",
                                              "May", 2025, 1, 0],
        "bad Events": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07", "July", 2024, 2.5, 0],
        "implausible Fatalities above the cap": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07",
                                                 "August", 2024, 5, 250_000],
        "missing Events": ["Mali", "Gao", "Bourem", "MLI", "ML0702", "ML07", "September", 2024,
                           None, 0],
        "malformed ISO3": ["Mali", "Gao", "Bourem", "ML", "ML0702", "ML07", "October", 2024, 1, 0],
        "duplicate key": good[0],
    }  # fmt: skip
    # The sheet: the 9 good rows (rows 2-10), an empty row 11, then the bad ones from 12.
    rows: list[list[object] | None] = [*good, None, *bad.values()]
    path = write_xlsx(tmp_path / hdx_name(), rows)
    report = ingest_acled_hdx(con, path)
    assert report.rows_inserted == 9 and report.rows_quarantined == len(bad)
    held = con.execute("SELECT line, reason, raw FROM quarantine ORDER BY line").fetchall()
    for (line, reason, raw), (number, expected) in zip(held, enumerate(bad, start=12), strict=True):
        assert line == number
        assert reason.startswith(expected.split(" after")[0].split(" above")[0]), reason
        raw_row = json.loads(raw)
        assert (raw_row["_sheet"], int(raw_row["_row"])) == ("Data", number)
        if not reason.startswith("duplicate"):
            assert reason.endswith(f"(sheet Data, row {number})")
    assert held[-1][1].endswith("first seen at line 2")
    assert "(not between 1997-01 and the as-of date, 2025-04)" in held[6][1]
    assert report.quarantine_reasons["implausible month"] == 2


def test_a_bad_csv_row_names_its_line(tmp_path: Path, con) -> None:
    rows = admin2_rows()
    rows[4][8] = -3
    report = ingest_acled_hdx(con, write_csv(tmp_path / hdx_name(ext="csv"), rows))
    assert report.rows_quarantined == 1
    assert con.execute("SELECT line, reason FROM quarantine").fetchone() == (
        6, "negative Events: -3"
    )  # fmt: skip


def test_the_same_file_twice_changes_nothing(tmp_path: Path, con) -> None:
    path = write_xlsx(tmp_path / hdx_name(), admin2_rows())
    first = ingest_acled_hdx(con, path)
    again = ingest_acled_hdx(con, path)
    assert again.skipped and again.ingest_id == first.ingest_id
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM admin_aggregates").fetchone() == (9,)


def test_a_newer_as_of_supersedes_per_unit_month_and_undo_restores(tmp_path: Path, con) -> None:
    older = write_xlsx(tmp_path / hdx_name(as_of="03apr2025"), admin2_rows((1, 2, 3)))
    newer = write_xlsx(tmp_path / hdx_name(as_of="10apr2025"), admin2_rows((2, 3, 4), bump=5))
    oldest = write_xlsx(tmp_path / hdx_name(as_of="27mar2025"), admin2_rows((1, 2), bump=9))
    ingest_acled_hdx(con, older)
    before = current(con)
    late = ingest_acled_hdx(con, newer)
    ingest_acled_hdx(con, oldest)  # an older release ingested last changes nothing current
    now = current(con)
    jan, feb, apr = (month_id(2024, m) for m in (1, 2, 4))
    assert now[("ML0701", jan)] == (1, 2, date(2025, 4, 3))  # only the older file has it
    assert now[("ML0701", feb)] == (2, 9, date(2025, 4, 10))
    assert now[("ML0501", apr)] == (12, 29, date(2025, 4, 10))
    assert len(now) == 12
    # Every release is kept.
    assert con.execute("SELECT count(*) FROM admin_aggregates").fetchone() == (24,)
    counts = undo_ingest(con, late.ingest_id)
    assert counts["admin_aggregates"] == 9
    restored = {k: v for k, v in current(con).items() if v[2] == date(2025, 4, 3)}
    assert restored == before


def test_a_changed_file_of_the_same_as_of_updates_and_undo_restores(tmp_path: Path, con) -> None:
    first = ingest_acled_hdx(con, write_xlsx(tmp_path / hdx_name(), admin2_rows((1, 2, 3))))
    before = stored(con)
    revised_dir = tmp_path / "revised"
    revised_dir.mkdir()
    rows = admin2_rows((1, 2))  # lacks March: March stays stored
    rows[0][9], rows[4][9] = 7, 30
    second = ingest_acled_hdx(con, write_xlsx(revised_dir / hdx_name(), rows))
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 2, 4)
    after = stored(con)
    assert len(after) == 9
    assert after[("ML0701", month_id(2024, 1), date(2025, 4, 3))] == (1, 7)
    assert con.execute("SELECT count(*) FROM admin_aggregates_history").fetchone() == (2,)
    with pytest.raises(UsageError, match="undo those first"):
        undo_ingest(con, first.ingest_id)
    assert undo_ingest(con, second.ingest_id)["admin_aggregates"] == 2
    assert stored(con) == before
    assert con.execute("SELECT count(*) FROM admin_aggregates_history").fetchone() == (0,)
    undo_ingest(con, first.ingest_id)
    assert con.execute("SELECT count(*) FROM admin_aggregates").fetchone() == (0,)


def test_a_file_without_an_as_of_is_updated_in_place(tmp_path: Path, con) -> None:
    name = "mali_acled_political_violence_admin2_month_1997-2024.xlsx"
    ingest_acled_hdx(con, write_xlsx(tmp_path / name, admin2_rows()))
    (tmp_path / "v2").mkdir()
    changed = ingest_acled_hdx(con, write_xlsx(tmp_path / "v2" / name, admin2_rows(bump=1)))
    assert (changed.rows_inserted, changed.rows_updated) == (0, 9)
    assert con.execute("SELECT count(*), count(as_of) FROM admin_aggregates").fetchone() == (9, 0)


def test_the_series_comes_from_the_name_or_the_option(tmp_path: Path, con) -> None:
    path = write_xlsx(tmp_path / "cercles_month.xlsx", admin2_rows())
    with pytest.raises(UsageError, match="pass --series"):
        ingest_acled_hdx(con, path)
    with pytest.raises(UsageError, match="unknown ACLED series"):
        ingest_acled_hdx(con, path, series="battles")
    report = ingest_acled_hdx(con, path, series="civilian-targeting")
    assert report.version == "civilian_targeting"
    named = write_xlsx(tmp_path / hdx_name(), admin2_rows())
    with pytest.raises(UsageError, match="political_violence file, not civilian_targeting"):
        ingest_acled_hdx(con, named, series="civilian_targeting")
    assert con.execute("SELECT DISTINCT series FROM admin_aggregates").fetchall() == [
        ("civilian_targeting",)
    ]


def test_files_not_of_the_layout_are_refused_and_the_store_unchanged(tmp_path: Path, con) -> None:
    junk = tmp_path / hdx_name(ext="csv")
    junk.write_text("\n".join(f"{i},lorem,ipsum" for i in range(200)), encoding="utf-8")
    fake = tmp_path / hdx_name()
    fake.write_bytes(b"not a workbook at all")
    (tmp_path / "nodata").mkdir()
    no_data = tmp_path / "nodata" / hdx_name()
    book = openpyxl.Workbook()
    book.active.title = "TOU"
    book.save(no_data)
    (tmp_path / "national").mkdir()
    national = write_xlsx(
        tmp_path / "national" / hdx_name(), [["Mali", "January", 2024, 3, 1]],
        ["Country", "Month", "Year", "Events", "Fatalities"],
    )  # fmt: skip
    demonstrations = write_xlsx(
        tmp_path / hdx_name("demonstration"), [r[:9] for r in admin2_rows()], ADMIN2_HEADER[:9]
    )
    (tmp_path / "scrambled").mkdir()
    scrambled = [[*r[:6], "someday", "sometime", *r[8:]] for r in admin2_rows(range(1, 13))]
    mostly_junk = write_xlsx(tmp_path / "scrambled" / hdx_name(), scrambled * 3)
    junk_rows = write_csv(tmp_path / "scrambled" / hdx_name(ext="csv"), scrambled * 3)
    cases = [
        (junk, SchemaError, "not one of HDX's ACLED subnational files"),
        (fake, SourceFileError, "not a readable .xlsx workbook"),
        (no_data, SchemaError, "no sheet 'Data'"),
        (national, SchemaError, "country-level"),
        (demonstrations, SchemaError, "no Fatalities column"),
        (mostly_junk, SourceFileError, "refused before reading"),
        (junk_rows, SourceFileError, "refused before reading"),
    ]
    for path, error, message in cases:
        with pytest.raises(error, match=message):
            ingest_acled_hdx(con, path)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM admin_aggregates").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)


def test_a_corrupt_workbook_is_refused(tmp_path: Path, con) -> None:
    path = write_xlsx(tmp_path / hdx_name(), admin2_rows())
    path.write_bytes(path.read_bytes()[:2000])  # cut short: a broken zip
    with pytest.raises(SourceFileError):
        ingest_acled_hdx(con, path)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)


# --------------------------------------------------------------------------- fetch


def package(root: str, names: Sequence[str], dataset: str = "mali-acled-conflict-data"):
    """A CKAN package_show result in HDX's shape (fields the fetcher reads, and others)."""
    return {
        "id": "0d8b7a3e-7f5c-4f6e-9c1a-000000000000",
        "name": dataset,
        "title": "Mali: Conflict Data",
        "organization": {"name": "acled"},
        "groups": [{"name": "mli", "display_name": "Mali", "title": "Mali"}],
        "resources": [
            {
                "id": f"res-{i}",
                "name": name,
                "format": "XLSX",
                "position": i,
                "url": f"{root}/dataset/{dataset}/resource/res-{i}/download/{name}",
            }
            for i, name in enumerate(names)
        ],
    }


class Hdx:
    """The CKAN API and the file downloads, as HDX serves them."""

    def __init__(self, files: dict[str, bytes], *, show: bool = True) -> None:
        self.files, self.show = files, show

    def __call__(self, request: Request) -> Reply:
        if request.path == "/api/3/action/package_show":
            if not self.show or request.query.get("id") != "mali-acled-conflict-data":
                error = {"message": "Not found", "__type": "Not Found Error"}
                return json_reply({"success": False, "error": error}, 404)
            return json_reply({"success": True, "result": package(request.root, list(self.files))})
        if request.path == "/api/3/action/package_search":
            result = package(request.root, list(self.files))
            return json_reply({"success": True, "result": {"count": 1, "results": [result]}})
        name = request.path.rsplit("/", 1)[-1]
        if name in self.files:
            return Reply(body=self.files[name])
        return Reply(404, b"no such file")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, bytes]:
    made = tmp_path / "published"
    made.mkdir()
    out = {}
    for name, rows in [
        (hdx_name(as_of="27mar2025"), admin2_rows((1, 2))),
        (hdx_name(as_of="03apr2025"), admin2_rows((1, 2, 3))),
        (hdx_name("civilian_targeting"), admin2_rows((1,))),
    ]:
        out[name] = write_xlsx(made / name, rows).read_bytes()
    return out


def test_fetch_takes_the_latest_file_of_the_series_and_caches_it(
    tmp_path: Path, con, files
) -> None:
    hdx = Hdx(files)
    with Loopback(hdx) as server:
        config = Settings(cache_dir=tmp_path / "cache", hdx_base_url=server.url)
        report = fetch_acled_hdx(con, settings=config, country="Mali", policy=FAST)
        assert report.version == "political_violence as of 2025-04-03"
        assert report.location.endswith("/download/" + hdx_name(as_of="03apr2025"))
        assert (tmp_path / "cache" / "acled-hdx" / hdx_name(as_of="03apr2025")).is_file()
        again = fetch_acled_hdx(con, settings=config, country="Mali", policy=FAST)
        assert again.skipped
        downloads = [r for r in server.requests if "/download/" in r.path]
        assert len(downloads) == 1  # the second fetch used the cached file
        targeting = fetch_acled_hdx(
            con, settings=config, country="Mali", series="civilian_targeting", policy=FAST
        )
        assert targeting.rows_inserted == 3
        with pytest.raises(UsageError, match="has no demonstrations file"):
            fetch_acled_hdx(con, settings=config, country="Mali", series="demonstrations")
    assert len(current_aggregates(con)) == 9


def test_fetch_searches_when_the_usual_dataset_id_is_not_found(tmp_path: Path, con, files):
    with Loopback(Hdx(files, show=False)) as server:
        config = Settings(cache_dir=tmp_path / "cache", hdx_base_url=server.url)
        report = fetch_acled_hdx(con, settings=config, country="Mali", policy=FAST)
        assert report.rows_inserted == 9
        assert server.hits("/api/3/action/package_search")[0].query["fq"] == "organization:acled"
        with pytest.raises(UsageError, match="HDX has no ACLED dataset niger-acled"):
            fetch_acled_hdx(con, settings=config, country="Niger", policy=FAST)


def test_fetch_offline_says_how_to_ingest_a_local_file(tmp_path: Path, con) -> None:
    config = Settings(cache_dir=tmp_path / "cache", hdx_base_url=closed_port_url())
    with pytest.raises(OfflineError) as caught:
        fetch_acled_hdx(con, settings=config, country="Mali", policy=FAST)
    message = str(caught.value)
    assert "sentinelle ingest acled-hdx FILE" in message and "\n" not in message
    assert "/dataset/mali-acled-conflict-data" in message


# ---------------------------------------------------------------------- command line


def test_cli_ingest_series_status_and_undo(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "s.duckdb")]
    path = write_xlsx(tmp_path / "cercles.xlsx", admin2_rows())
    unnamed = runner.invoke(app, ["ingest", "acled-hdx", str(path), *store])
    assert unnamed.exit_code == UsageError.exit_code and "--series" in unnamed.output
    versioned = runner.invoke(app, ["ingest", "acled-hdx", str(path), "--version", "1", *store])
    assert versioned.exit_code == 2 and "--series names the series" in versioned.output
    other = runner.invoke(app, ["ingest", "ged", str(path), "--series", "x", *store])
    assert other.exit_code == 2 and "--series is for acled-hdx" in other.output
    ok = runner.invoke(
        app, ["ingest", "acled-hdx", str(path), "--series", "political_violence", *store]
    )
    assert ok.exit_code == 0, ok.output
    assert "inserted 9" in ok.output
    status = " ".join(runner.invoke(app, ["status", *store], env={"COLUMNS": "200"}).output.split())
    assert "acled-hdx political_violence MLI admin2 3 2024-01 → 2024-03" in status
    undone = runner.invoke(app, ["undo", "1", *store])
    assert undone.exit_code == 0 and "admin_aggregates 9" in undone.output


def test_cli_fetch_one_country(tmp_path: Path, files) -> None:
    store = ["--store", str(tmp_path / "s.duckdb")]
    with Loopback(Hdx(files)) as server:
        env = {"SENTINELLE_HDX_BASE_URL": server.url, "SENTINELLE_CACHE_DIR": str(tmp_path)}
        result = runner.invoke(app, ["fetch", "acled-hdx", "--country", "Mali", *store], env=env)
        assert result.exit_code == 0, result.output
        assert "political_violence as of 2025-04-03" in result.output
        two = runner.invoke(app, ["fetch", "acled-hdx", "--countries", "Mali,Niger", *store])
        assert two.exit_code == 2 and "one country" in two.output


# ------------------------------------------------------------------ the real files

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MALI = DATA / "acled-hdx" / "mali_acled_political_violence_admin2_month_1997-2024.xlsx"
BFA = "burkina-faso_hrp_{}_events_and_fatalities_by_month-year_as-of-03apr2025.xlsx"
CERCLE_POLYGONS = DATA / "admin" / "mli_adm2_cercles_ocha_pcodes.geojson"


@pytest.fixture(scope="module")
def real() -> Iterator[duckdb.DuckDBPyConnection]:
    """One store holding the three real workbooks, each ingested once."""
    paths = [MALI, *(DATA / "acled-hdx" / BFA.format(s) for s in
                     ("political_violence", "civilian_targeting"))]  # fmt: skip
    if not all(p.is_file() for p in paths):
        pytest.skip("the real HDX files of ../shared/data are not here")
    con = open_store(":memory:")
    for path in paths:
        report = ingest_acled_hdx(con, path)
        assert report.rows_quarantined == 0 and not report.skipped
    yield con
    con.close()


def yearly_fatalities(con: duckdb.DuckDBPyConnection, series: str, iso3: str) -> dict[int, int]:
    frame = current_aggregates(con, series=series, iso3=iso3)
    years = 1980 + (frame["month_id"] - 1) // 12
    return {int(y): int(f) for y, f in frame.groupby(years)["fatalities"].sum().items()}


def test_real_mali_cercles_and_their_yearly_fatalities(real) -> None:
    frame = current_aggregates(real, iso3="MLI", level=2)
    assert frame["pcode"].nunique() == 53
    assert len(frame) == 53 * 12 * 28  # every cercle, January 1997 to December 2024
    assert (frame["month_id"].min(), frame["month_id"].max()) == (
        month_id(1997, 1), month_id(2024, 12)
    )  # fmt: skip
    fatalities = yearly_fatalities(real, "political_violence", "MLI")
    assert {y: fatalities[y] for y in (2021, 2022, 2023, 2024)} == {
        2021: 1907, 2022: 4847, 2023: 4326, 2024: 4023
    }  # fmt: skip


def test_real_burkina_faso_series(real) -> None:
    violence = yearly_fatalities(real, "political_violence", "BFA")
    targeting = yearly_fatalities(real, "civilian_targeting", "BFA")
    assert (violence[2022], violence[2023], violence[2024]) == (4227, 8498, 7522)
    assert (targeting[2023], targeting[2024]) == (2398, 2353)
    coverage = {(a.series, a.iso3): a for a in aggregates_status(real)}
    assert coverage[("civilian_targeting", "BFA")].units == 45
    assert coverage[("civilian_targeting", "BFA")].as_of == date(2025, 4, 3)
    assert coverage[("political_violence", "MLI")].as_of is None
    assert coverage[("political_violence", "MLI")].last == date(2024, 12, 1)
    [held] = [s for s in store_status(real) if s.source == "acled-hdx"]
    assert held.rows == 17_808 + 2 * 15_120 and held.table == "admin_aggregates"


def test_every_real_mali_row_joins_a_cercle_polygon(real) -> None:
    if not CERCLE_POLYGONS.is_file():
        pytest.skip("the cercle polygons of ../shared/data are not here")
    features = json.loads(CERCLE_POLYGONS.read_text(encoding="utf-8"))["features"]
    polygons = {f["properties"]["ADM2_PCODE"] for f in features}
    frame = current_aggregates(real, iso3="MLI", level=2)
    assert frame["pcode"].isin(polygons).all()
    assert set(frame["pcode"]) == polygons
