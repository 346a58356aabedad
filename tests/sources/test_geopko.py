"""Geo-PKO adapter: layout detection, several maps per period, missing values and
quarantine, on small files in the published layouts and on the real files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sentinelle.config import Settings
from sentinelle.sources import OfflineError, SchemaError, SourceFileError, ingest_url
from sentinelle.sources.geopko import FRONTMAP, FULL, RAW, detect_layout, ingest_geopko
from sentinelle.store import open_store
from tests.sources.loopback import FAST, Loopback, Reply, closed_port_url

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "geopko"
FRONTMAP_FILE = SHARED / "FrontMap_v2.3.csv"
FULL_FILE = SHARED / "geopko_full_monthly.csv"
RAW_FILE = SHARED / "geopko_raw_1994-2020.csv"

FRONTMAP_HEADER = (
    "mission,year,country,location,latitude,longitude,Infantry,NoTroops,Reserve,hq,UNPOL,"
    "Med,Av,UNMO,ave.no.troops"
)
FULL_HEADER = (
    "Source,Mission,year,month,location,country,latitude,longitude,No.troops,"
    "UNPOL..dummy.,UNMO..dummy.,HQ,comments"
)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def write(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_frontmap_rows_two_maps_in_a_year_and_na(con, tmp_path):
    path = write(
        tmp_path / "FrontMap_v2.3.csv",
        FRONTMAP_HEADER,
        "MINUSMA,2023,Mali,Gao,16.27167,-0.04472,1175,4765,0,2,0,1,1,0,4892",
        "MINUSMA,2023,Mali,Kidal,18.44111,1.40778,1000,NA,0,2,1,1,0,1,1975",
        "MINUSMA,2023,Mali,Gao,16.27167,-0.04472,1175,5020,0,2,0,1,1,0,4892",
        "MINUSMA,2024,Mali,Gao,16.27167,-0.04472,0,150,0,0,0,0,0,0,150",
    )
    report = ingest_geopko(con, path)
    assert (report.source, report.version, report.rows_inserted) == ("geopko_frontmap", "2.3", 4)
    rows = con.execute(
        "SELECT location, year, month, record, troops, police, observers, hq FROM deployments "
        "ORDER BY year, location, record"
    ).fetchall()
    assert rows == [
        ("Gao", 2023, 0, 1, 4765.0, 0.0, 0.0, 2),
        ("Gao", 2023, 0, 2, 5020.0, 0.0, 0.0, 2),
        ("Kidal", 2023, 0, 1, None, 1.0, 1.0, 2),
        ("Gao", 2024, 0, 1, 150.0, 0.0, 0.0, 0),
    ]
    # The same rows in another file (Gao's maps still in the same order) change nothing.
    header, *rows_in_file = path.read_text().splitlines()
    copy = write(tmp_path / "copy.csv", header, rows_in_file[-1], *rows_in_file[:-1])
    again = ingest_geopko(con, copy)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    assert ingest_geopko(con, path).skipped


def test_full_layout_missing_values_and_quarantine(con, tmp_path):
    path = write(
        tmp_path / "geopko_full_monthly.csv",
        FULL_HEADER,
        "Map no. 4225 Rev. 1,MINUSMA,2014,3,Gao,Mali,16.27,-0.04,850,1,0,2,",
        "Map no. 4225 Rev. 1,MINUSMA,2014,3,Kidal,Mali,18.44,1.41,unknown,0,NA,?,",
        'Map no. 4225 Rev. 1,MINUSMA,2014,3,unclear,Mali,NA,NA,150,0,0,0,"two\nlines"',
        "Map no. 4225 Rev. 1,MINUSMA,2014,13,Ber,Mali,16.83,-2.53,150,0,0,0,",
        "Map no. 4225 Rev. 1,MINUSMA,2O14,3,Ber,Mali,16.83,-2.53,150,0,0,0,",
        "Map no. 4225 Rev. 1,MINUSMA,2014,3,Tessalit,Mali,20.2,181,150,0,0,0,",
        "Map no. 4225 Rev. 1,MINUSMA,2014,3,Aguelhok,Mali,19.46,0.86,-5,0,0,0,",
        "Map no. 4225 Rev. 1,MINUSMA,2014,3,Ansongo,Mali,15.66,0.5,950,yes,0,0,",
    )
    report = ingest_geopko(con, path)
    assert (report.source, report.version) == ("geopko_full", None)
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (8, 2, 6)
    stored = con.execute(
        "SELECT location, month, troops, police, observers, hq FROM deployments ORDER BY 1"
    ).fetchall()
    # 'unknown' troops, 'NA' observers and a '?' HQ code are missing values, not errors.
    assert stored == [("Gao", 3, 850.0, 1.0, 0.0, 2), ("Kidal", 3, None, 0.0, None, None)]
    reasons = dict(con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall())
    assert reasons[4] == "missing coordinates: NA, NA"
    assert reasons[6] == "month out of range: 13"
    assert "year" in reasons[7] and "2O14" in reasons[7]  # refused by the reader
    assert reasons[8] == "coordinates out of range: 20.2, 181"
    assert reasons[9] == "bad troops: -5"
    assert reasons[10] == "bad police: yes"


def test_layouts_are_told_apart_and_unknown_ones_refused(con, tmp_path):
    assert detect_layout(write(tmp_path / "a.csv", FRONTMAP_HEADER)) is FRONTMAP
    assert detect_layout(write(tmp_path / "b.csv", FULL_HEADER)) is FULL
    other = write(tmp_path / "TCCMap_v2.3.csv", "mission,year,location,tcc,troops", "A,1,B,C,2")
    with pytest.raises(SchemaError, match=r"not a Geo-PKO layout.*geopko_frontmap: mission, year"):
        ingest_geopko(con, other)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)


def test_real_frontmap(con):
    if not FRONTMAP_FILE.exists():
        pytest.skip(f"{FRONTMAP_FILE} not available")
    n_rows = sum(1 for _ in FRONTMAP_FILE.open(encoding="utf-8")) - 1  # no quoted newlines
    report = ingest_geopko(con, FRONTMAP_FILE)
    assert report.rows_read == report.rows_inserted == n_rows == 8783
    assert con.execute("SELECT count(*) FROM deployments").fetchone() == (n_rows,)
    minusma = con.execute(
        "SELECT year, record, list(location ORDER BY location) FROM deployments "
        "WHERE mission = 'MINUSMA' AND year >= 2023 GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert minusma[-1] == (2024, 1, ["Bamako", "Gao"])
    # 2023 has two maps: the sites still open early in the year, then fewer.
    assert [(y, r, len(sites)) for y, r, sites in minusma[:2]] == [(2023, 1, 12), (2023, 2, 9)]
    assert {"Ber", "Goundam", "Ménaka"} <= set(minusma[0][2]) - set(minusma[1][2])
    # 'NA' troop counts are stored as missing, not as zero.
    assert con.execute("SELECT count(*) FROM deployments WHERE troops IS NULL").fetchone() == (250,)


def test_real_full_monthly(con):
    if not FULL_FILE.exists():
        pytest.skip(f"{FULL_FILE} not available")
    report = ingest_geopko(con, FULL_FILE)
    # One row (UNOCI 2008, location 'unclear') has no coordinates.
    assert (report.rows_read, report.rows_inserted, report.rows_quarantined) == (12190, 12189, 1)
    assert report.quarantine_reasons == {"missing coordinates": 1}
    months = con.execute("SELECT DISTINCT month FROM deployments ORDER BY 1").fetchall()
    assert [m for (m,) in months] == list(range(1, 13))
    years = con.execute(
        "SELECT min(year), max(year) FROM deployments WHERE mission = 'MINUSMA'"
    ).fetchone()
    assert years == (2014, 2018)
    # The file spells Ménaka 'MÃ©naka' (UTF-8 decoded twice); stored repaired.
    places = {p for (p,) in con.execute("SELECT DISTINCT location FROM deployments").fetchall()}
    assert {"Ménaka", "Ndélé", "Dékoa"} <= places
    assert not {p for p in places if "Ã" in p or p != p.strip()}


def test_real_raw_records(con):
    if not RAW_FILE.exists():
        pytest.skip(f"{RAW_FILE} not available")
    assert detect_layout(RAW_FILE) is RAW
    report = ingest_geopko(con, RAW_FILE)
    assert (report.source, report.rows_read, report.rows_quarantined) == ("geopko_raw", 18699, 1)
    years = con.execute(
        "SELECT min(year), max(year) FROM deployments WHERE mission = 'MINUSMA'"
    ).fetchone()
    assert years == (2014, 2020)


def test_ingest_from_a_url_caches_the_file_and_records_the_url(con, tmp_path):
    """Geo-PKO has no API: its CSV is fetched from a URL (here a loopback server)."""
    body = "\n".join(
        [FRONTMAP_HEADER, "MINUSMA,2023,Mali,Gao,16.27167,-0.04472,1175,4765,0,2,0,1,1,0,4892"]
    ).encode()
    config = Settings(cache_dir=tmp_path / "cache")
    with Loopback(lambda _: Reply(body=body)) as server:
        url = f"{server.url}/data/FrontMap_v2.3.csv"
        report = ingest_url(con, "geopko", url, settings=config, policy=FAST)
        again = ingest_url(con, "geopko", url, settings=config, policy=FAST)
    assert (report.source, report.version, report.rows_inserted) == ("geopko_frontmap", "2.3", 1)
    assert report.location == url and again.skipped
    assert len(server.requests) == 1  # the second ingest read the cached copy
    assert (tmp_path / "cache" / "geopko" / "FrontMap_v2.3.csv").read_bytes() == body
    with pytest.raises(OfflineError, match="run `sentinelle ingest geopko PATH`"):
        ingest_url(con, "geopko", f"{closed_port_url()}/FrontMap.csv", settings=config,
                   policy=FAST)  # fmt: skip
    with pytest.raises(SourceFileError, match="names no file"):
        ingest_url(con, "geopko", "http://127.0.0.1:9/", settings=config, policy=FAST)
