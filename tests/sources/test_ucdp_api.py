"""UCDP API and release downloads against a loopback server answering in the API's shape."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sentinelle.config import Settings
from sentinelle.sources import AuthError, IncompleteError, OfflineError
from sentinelle.sources.http import sidecar
from sentinelle.sources.ucdp_api import (
    fetch_ged,
    fetch_ged_release,
    is_candidate,
    release_file_name,
)
from sentinelle.store import open_store
from tests.factories import ged_frame, write_ged_csv, zip_file
from tests.sources.loopback import FAST, Loopback, Reply, Request, closed_port_url, json_reply

TOKEN = "ucdp-test-token"
INTEGERS = {
    "id", "year", "type_of_violence", "conflict_new_id", "dyad_new_id", "side_a_new_id",
    "side_b_new_id", "number_of_sources", "where_prec", "country_id", "event_clarity",
    "date_prec", "deaths_civilians", "best", "high", "low",
}  # fmt: skip


def api_events(n: int, *, first_id: int = 1_000_000) -> list[dict[str, Any]]:
    """GED events typed as the API sends them: numbers, a boolean, nulls for empties."""

    def typed(column: str, text: str) -> Any:
        if column in INTEGERS:
            return int(text)
        if column in ("latitude", "longitude"):
            return float(text)
        if column == "active_year":
            return text == "1"
        return text or None

    frame = ged_frame(n, first_id=first_id)
    return [{c: typed(c, v) for c, v in row.items()} for row in frame.to_dict("records")]


class UcdpApi:
    """``/api/gedevents/{version}`` with a token, ``Country`` filter and numbered pages.

    ``announce`` overrides the TotalCount the API claims (to play an under-delivery);
    ``cut_first`` truncates the first answer mid-body.
    """

    def __init__(
        self, events: list[dict[str, Any]], *, announce: int | None = None, cut_first: bool = False
    ) -> None:
        self.events, self.announce, self.cut_first = events, announce, cut_first

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("x-ucdp-access-token") != TOKEN:
            return json_reply({"message": "Invalid or missing access token"}, 401)
        rows = self.events
        if "Country" in request.query:
            wanted = {int(c) for c in request.query["Country"].split(",")}
            rows = [e for e in rows if e["country_id"] in wanted]
        size, page = int(request.query["pagesize"]), int(request.query["page"])
        total = len(rows) if self.announce is None else self.announce
        pages = math.ceil(total / size)
        link = f"{request.root}{request.path}?pagesize={size}&page="
        reply = json_reply(
            {
                "TotalCount": total,
                "TotalPages": pages,
                "PreviousPageUrl": f"{link}{page - 1}" if page else "",
                "NextPageUrl": f"{link}{page + 1}" if page + 1 < pages else "",
                "Result": rows[page * size : (page + 1) * size],
            }
        )
        if self.cut_first:
            self.cut_first = False
            reply.cut_after = len(reply.body) // 2
        return reply


def settings(tmp_path: Path, url: str, token: str | None = TOKEN) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", ucdp_token=token, ucdp_base_url=url)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "s.duckdb")


def test_pages_land_in_the_store_and_refetching_is_idempotent(tmp_path, con):
    events = api_events(7)
    with Loopback(UcdpApi(events)) as server:
        config = settings(tmp_path, server.url)
        report = fetch_ged(con, "24.0.5", settings=config, page_size=3, policy=FAST)
        assert [r.query["page"] for r in server.requests] == ["0", "1", "2"]
        assert {r.query["pagesize"] for r in server.requests} == {"3"}

        assert (report.source, report.version, report.rows_inserted) == (
            "ged_candidate",
            "24.0.5",
            7,
        )
        assert report.location == f"{server.url}/api/gedevents/24.0.5"
        stored = con.execute(
            "SELECT source_event_id, fatalities_best, latitude, date_start FROM events "
            "WHERE source = 'ged_candidate' ORDER BY source_event_id"
        ).fetchall()
        first = events[0]
        first_day = date.fromisoformat(first["date_start"][:10])
        assert stored[0] == (str(first["id"]), first["best"], first["latitude"], first_day)
        assert len(stored) == 7

        again = fetch_ged(con, "24.0.5", settings=config, page_size=3, policy=FAST)
        assert again.skipped and len(server.requests) == 3  # cached: no request at all
        refreshed = fetch_ged(
            con, "24.0.5", settings=config, page_size=3, refresh=True, policy=FAST
        )
        assert len(server.requests) == 6
        assert refreshed.skipped  # same events, same bytes, same checksum
    assert con.execute("SELECT count(*) FROM events").fetchone() == (7,)


def test_filters_are_sent_and_name_the_cached_file(tmp_path, con):
    events = api_events(4) + [dict(e, id=e["id"] + 100, country_id=439) for e in api_events(2)]
    with Loopback(UcdpApi(events)) as server:
        report = fetch_ged(
            con,
            "25.1",
            settings=settings(tmp_path, server.url),
            countries=[432],
            start=date(1990, 1, 1),
            end=date(2024, 12, 31),
            policy=FAST,
        )
    (request,) = server.requests
    assert request.query["Country"] == "432"
    assert (request.query["StartDate"], request.query["EndDate"]) == ("1990-01-01", "2024-12-31")
    assert (report.source, report.rows_inserted) == ("ged", 4)
    cached = (
        tmp_path
        / "cache"
        / "ucdp"
        / ("gedevents_25.1_Country-432_StartDate-1990-01-01_EndDate-2024-12-31.csv")
    )
    assert cached.read_text().splitlines()[0].startswith("id,relid,year,active_year,")
    assert sidecar(cached).is_file()


def test_fewer_events_than_announced_is_incomplete_and_stores_nothing(tmp_path, con):
    with Loopback(UcdpApi(api_events(7), announce=10)) as server:
        config = settings(tmp_path, server.url)
        with pytest.raises(IncompleteError, match=r"announced 10 events .* but 7 arrived"):
            fetch_ged(con, "24.0.5", settings=config, page_size=3, policy=FAST)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM ingests").fetchone() == (0,)
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_a_page_cut_mid_body_is_fetched_again(tmp_path, con):
    with Loopback(UcdpApi(api_events(5), cut_first=True)) as server:
        config = settings(tmp_path, server.url)
        report = fetch_ged(con, "24.0.5", settings=config, page_size=3, policy=FAST)
    assert [r.query["page"] for r in server.requests] == ["0", "0", "1"]
    assert report.rows_inserted == 5


def test_missing_token_is_an_auth_error_before_any_request(tmp_path, con):
    with Loopback(UcdpApi([])) as server, pytest.raises(AuthError, match="SENTINELLE_UCDP_TOKEN"):
        fetch_ged(con, "25.1", settings=settings(tmp_path, server.url, token=None))
    assert server.requests == []


def test_refused_token_is_an_auth_error(tmp_path, con):
    with Loopback(UcdpApi([])) as server, pytest.raises(AuthError) as info:
        fetch_ged(con, "25.1", settings=settings(tmp_path, server.url, "wrong"), policy=FAST)
    assert "HTTP 401" in str(info.value)
    assert "SENTINELLE_UCDP_TOKEN" in str(info.value)
    assert len(server.requests) == 1


def test_offline_names_the_command_for_a_local_candidate_file(tmp_path, con):
    with pytest.raises(OfflineError) as info:
        fetch_ged(con, "24.0.5", settings=settings(tmp_path, closed_port_url()), policy=FAST)
    assert str(info.value).endswith("run `sentinelle ingest ged-candidate PATH --version 24.0.5`")


def test_release_zip_is_downloaded_cached_and_ingested(tmp_path, con):
    csv_path = write_ged_csv(ged_frame(6), tmp_path / "GEDEvent_v25_1.csv")
    archive = zip_file(csv_path, tmp_path / "upload.zip").read_bytes()
    with Loopback(lambda _: Reply(body=archive)) as server:
        base = f"{server.url}/downloads/ged"
        # Releases need no token.
        config = Settings(cache_dir=tmp_path / "cache", ucdp_release_url=base)
        report = fetch_ged_release(con, "25.1", settings=config, policy=FAST)
        again = fetch_ged_release(con, "25.1", settings=config, policy=FAST)
    assert [r.path for r in server.requests] == ["/downloads/ged/ged251-csv.zip"]
    assert (report.source, report.version, report.rows_inserted) == ("ged", "25.1", 6)
    assert report.location == f"{base}/ged251-csv.zip"
    assert again.skipped
    assert (tmp_path / "cache" / "ucdp" / "ged251-csv.zip").read_bytes() == archive


def test_versions():
    assert [is_candidate(v) for v in ("24.0.5", "24.01.24.03", "25.1")] == [True, True, False]
    assert release_file_name("23.1") == "ged231-csv.zip"
    with pytest.raises(ValueError, match=r"like 25\.1"):
        release_file_name("24.0.5")
