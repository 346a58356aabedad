"""ACLED API downloads against a loopback server playing ACLED's OAuth and read endpoints."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sentinelle.config import Settings
from sentinelle.sources import AuthError, FetchError, IncompleteError, OfflineError
from sentinelle.sources.acled_api import EXPORT_COLUMNS, download_acled, fetch_acled
from sentinelle.sources.http import sidecar
from sentinelle.store import open_store
from tests.factories import acled_frame
from tests.sources.loopback import FAST, Loopback, Reply, Request, closed_port_url, json_reply

USER, PASSWORD = "analyst@example.org", "correct horse"
START, END = date(2019, 1, 1), date(2020, 12, 31)


def api_rows(n: int, *, first_id: int = 1) -> list[dict[str, Any]]:
    """ACLED rows as the API sends them: every value a string, the current export columns."""
    frame = acled_frame(n, first_id=first_id).drop(columns=["data_id", "iso3"])
    frame["disorder_type"] = "Political violence"
    frame["civilian_targeting"] = ""
    frame["tags"] = ""
    return frame.to_dict("records")


class AcledApi:
    """ACLED's token, read and deleted endpoints.

    Tokens are ``tok-1``, ``tok-2``...; ``expires_in`` gives the first token's announced
    lifetime; ``revoke_after_reads`` makes the current token invalid (a 401) after that
    many data reads, as the server's clock would; ``refuse_refresh`` refuses refresh
    grants; ``short_count`` makes a page announce one row more than it holds.
    """

    def __init__(
        self,
        rows: list[dict[str, Any]],
        *,
        deleted: tuple[str, ...] = (),
        expires_in: int = 86_400,
        revoke_after_reads: int | None = None,
        refuse_refresh: bool = False,
        short_count: bool = False,
    ) -> None:
        self.rows, self.deleted = rows, deleted
        self.expires_in, self.revoke_after_reads = expires_in, revoke_after_reads
        self.refuse_refresh, self.short_count = refuse_refresh, short_count
        self.grants: list[str] = []
        self.valid: set[str] = set()
        self.reads = 0

    def __call__(self, request: Request) -> Reply:
        if request.path == "/oauth/token":
            return self.token(request.form)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid:
            return json_reply({"message": "Unauthorized"}, 401)
        self.reads += 1
        if self.reads == self.revoke_after_reads:
            self.valid.discard(bearer)
        limit, page = int(request.query["limit"]), int(request.query["page"])
        if request.path == "/api/deleted/read":
            rows = [
                {"event_id_cnty": i, "deleted_timestamp": request.query["deleted_timestamp"]}
                for i in self.deleted
            ]
        else:
            first, last = request.query["event_date"].split("|")
            assert request.query["event_date_where"] == "BETWEEN"
            rows = [
                r
                for r in self.rows
                if r["country"] == request.query["country"] and first <= r["event_date"] <= last
            ]
        data = rows[(page - 1) * limit : page * limit]
        count = len(data) + (1 if self.short_count else 0)
        return json_reply({"status": 200, "success": True, "count": count, "data": data})

    def token(self, form: dict[str, str]) -> Reply:
        assert form["client_id"] == "acled"
        self.grants.append(form["grant_type"])
        if form["grant_type"] == "password":
            if (form["username"], form["password"]) != (USER, PASSWORD):
                return json_reply({"error": "invalid_grant"}, 400)
            expires_in = self.expires_in
        elif self.refuse_refresh or form["refresh_token"] != "refresh-1":
            return json_reply({"error": "invalid_grant"}, 400)
        else:
            expires_in = 86_400
        token = f"tok-{len(self.grants)}"
        self.valid = {token}
        return json_reply(
            {
                "token_type": "Bearer",
                "expires_in": expires_in,
                "access_token": token,
                "refresh_token": "refresh-1",
            }
        )


def settings(tmp_path: Path, url: str, *, username: str | None = USER, password: str = PASSWORD):
    return Settings(
        cache_dir=tmp_path / "cache",
        acled_username=username,
        acled_password=password,
        acled_base_url=url,
    )


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "s.duckdb")


def fetch(con, tmp_path, server, **kwargs):
    options = {"countries": ["Mali"], "start": START, "end": END, "limit": 3, "policy": FAST}
    return fetch_acled(con, settings=settings(tmp_path, server.url), **{**options, **kwargs})


def test_pages_until_a_short_page_and_events_land_in_the_store(tmp_path, con):
    rows = api_rows(7)
    with Loopback(AcledApi(rows)) as server:
        report = fetch(con, tmp_path, server)
        reads = server.hits("/api/acled/read")
        assert [r.query["page"] for r in reads] == ["1", "2", "3"]  # 3 + 3 + 1 rows
        assert reads[0].query == {
            "_format": "json", "country": "Mali", "event_date": "2019-01-01|2020-12-31",
            "event_date_where": "BETWEEN", "limit": "3", "page": "1",
        }  # fmt: skip
        assert reads[0].headers["authorization"] == "Bearer tok-1"

        again = fetch(con, tmp_path, server)
        assert again.skipped and len(server.requests) == 5  # cached: no request at all
        assert fetch(con, tmp_path, server, refresh=True).skipped  # same rows, same bytes
    assert (report.source, report.rows_inserted, report.rows_quarantined) == ("acled", 7, 0)
    assert report.location.startswith(f"{server.url}/api/acled/read?country=Mali&event_date=")
    stored = con.execute(
        "SELECT source_event_id, country_iso3, fatalities_best FROM events ORDER BY 1"
    ).fetchall()
    expected = sorted((r["event_id_cnty"], "MLI", int(r["fatalities"])) for r in rows)
    assert stored == expected

    cached = tmp_path / "cache" / "acled" / "acled_Mali_2019-01-01_2020-12-31.csv"
    with cached.open(newline="") as fh:
        records = list(csv.reader(fh))
    assert records[0] == list(EXPORT_COLUMNS)
    assert len(records) == 8
    assert sidecar(cached).is_file()


def test_token_refused_mid_pagination_is_refreshed_and_the_pages_continue(tmp_path, con):
    api = AcledApi(api_rows(7), revoke_after_reads=1)
    with Loopback(api) as server:
        report = fetch(con, tmp_path, server)
    assert api.grants == ["password", "refresh_token"]
    reads = server.hits("/api/acled/read")
    assert [(r.query["page"], r.headers["authorization"]) for r in reads] == [
        ("1", "Bearer tok-1"), ("2", "Bearer tok-1"), ("2", "Bearer tok-2"), ("3", "Bearer tok-2"),
    ]  # fmt: skip
    assert report.rows_inserted == 7


def test_a_refused_refresh_falls_back_to_the_password(tmp_path, con):
    api = AcledApi(api_rows(7), revoke_after_reads=1, refuse_refresh=True)
    with Loopback(api) as server:
        report = fetch(con, tmp_path, server)
    assert api.grants == ["password", "refresh_token", "password"]
    assert report.rows_inserted == 7


def test_a_token_past_its_expires_in_is_renewed_before_the_next_request(tmp_path, con):
    # The server never refuses tok-1: the client renews it because its lifetime is over.
    api = AcledApi(api_rows(2), expires_in=0)
    with Loopback(api) as server:
        fetch(con, tmp_path, server)
    assert [
        (r.path, r.form.get("grant_type") or r.headers["authorization"]) for r in server.requests
    ] == [
        ("/oauth/token", "password"),
        ("/api/acled/read", "Bearer tok-1"),
        ("/oauth/token", "refresh_token"),
        ("/api/deleted/read", "Bearer tok-2"),
    ]


def test_withdrawn_events_are_marked_deleted_even_outside_the_query(tmp_path, con):
    rows = api_rows(6)
    for row in rows[:2]:  # two events in Niger, outside the second query's scope
        row.update(country="Niger", iso="562")
    niger_id = rows[0]["event_id_cnty"]
    api = AcledApi(rows)
    with Loopback(api) as server:
        fetch(con, tmp_path, server, countries=["Niger", "Mali"])
        api.deleted = (niger_id,)
        report = fetch(con, tmp_path, server, refresh=True)
    (query,) = {r.query["deleted_timestamp"] for r in server.hits("/api/deleted/read")}
    assert int(query) == int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    assert report.rows_deleted == 1
    deleted = con.execute("SELECT source_event_id FROM events WHERE deleted").fetchall()
    assert deleted == [(niger_id,)]

    ids = download_acled(
        settings=settings(tmp_path, server.url), countries=["Mali"], start=START, end=END
    ).deleted
    assert ids == (niger_id,)  # from the cache: the server is closed


def test_a_page_holding_fewer_rows_than_announced_is_incomplete(tmp_path, con):
    api = AcledApi(api_rows(4), short_count=True)
    with (
        Loopback(api) as server,
        pytest.raises(IncompleteError, match="announced 4 rows on page 1"),
    ):
        fetch(con, tmp_path, server)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


@pytest.mark.parametrize(("username", "password"), [(None, PASSWORD), (USER, "")])
def test_missing_credentials_are_an_auth_error_before_any_request(
    tmp_path, con, username, password
):
    with Loopback(AcledApi([])) as server:
        config = settings(tmp_path, server.url, username=username, password=password)
        with pytest.raises(AuthError) as info:
            fetch_acled(con, settings=config, countries=["Mali"], start=START, end=END)
    assert "SENTINELLE_ACLED_USERNAME" in str(info.value)
    assert "SENTINELLE_ACLED_PASSWORD" in str(info.value)
    assert server.requests == []


def test_a_wrong_password_is_an_auth_error(tmp_path, con):
    api = AcledApi([])
    with Loopback(api) as server:
        config = settings(tmp_path, server.url, password="wrong")
        with pytest.raises(AuthError, match="ACLED refused the account"):
            fetch_acled(con, settings=config, countries=["Mali"], start=START, end=END)
    assert api.grants == ["password"]


def test_offline_names_the_command_for_an_export(tmp_path, con):
    config = settings(tmp_path, closed_port_url())
    with pytest.raises(OfflineError) as info:
        fetch_acled(con, settings=config, countries=["Mali"], start=START, end=END, policy=FAST)
    assert str(info.value).endswith("run `sentinelle ingest acled PATH`")


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            json_reply({"status": 400, "success": False, "error": "Invalid country"}),
            FetchError,
            "Invalid country",
        ),
        (json_reply({"message": "Unauthorized"}, 401), AuthError, "newly issued access token"),
    ],
)
def test_api_refusals_after_a_good_token_are_reported(tmp_path, con, reply, error, message):
    def handler(request: Request) -> Reply:
        if request.path == "/oauth/token":
            return json_reply({"access_token": "t", "refresh_token": "r", "expires_in": 3600})
        return reply

    with Loopback(handler) as server, pytest.raises(error, match=message):
        fetch(con, tmp_path, server)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
