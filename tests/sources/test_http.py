"""The shared download client against a real loopback server: retries, rate limit, cache,
offline and error mapping."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from sentinelle.errors import UsageError
from sentinelle.sources import AuthError, FetchError, IncompleteError, OfflineError
from sentinelle.sources.http import (
    HttpClient,
    HttpPolicy,
    is_cached,
    json_body,
    sidecar,
    url_with_params,
)
from tests.sources.loopback import Loopback, Reply, Request, closed_port_url

BODY = bytes(range(256)) * 400  # 100 KiB, so a cut leaves a real partial file


class Sleeps(list[float]):
    """A ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(tmp_path: Path, **policy: object) -> HttpClient:
    fast = {"rate": 1000.0, "backoff": 0.001, "max_backoff": 0.01, **policy}
    return HttpClient(
        source="test",
        cache_dir=tmp_path / "cache",
        offline_hint="Download the file elsewhere and run `sentinelle ingest ged PATH`",
        auth_hint="set SENTINELLE_UCDP_TOKEN",
        policy=HttpPolicy(**fast),  # type: ignore[arg-type]
    )


def sequence(*replies: Reply) -> Loopback:
    """A server giving ``replies`` in order, then repeating the last one."""

    def handler(_: Request) -> Reply:
        return replies[min(len(server.requests), len(replies)) - 1]

    server = Loopback(handler)
    return server


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("2", (2.0, 2.0)), ("HTTP-date 30 s ahead", (25.0, 30.0))],
)
def test_429_waits_as_told_then_succeeds(tmp_path, retry_after, expected):
    if retry_after.startswith("HTTP-date"):
        retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    sleeps = Sleeps()
    server = sequence(Reply(429, headers={"Retry-After": retry_after}), Reply(body=b"ok"))
    with server, client(tmp_path, sleep=sleeps) as http:
        response = http.request("GET", server.url + "/data")
    assert response.text == "ok"
    assert len(server.requests) == 2
    low, high = expected
    assert any(low <= s <= high for s in sleeps), sleeps


def test_retry_after_beyond_the_limit_fails_at_once(tmp_path):
    server = sequence(Reply(429, headers={"Retry-After": "3600"}))
    with server, client(tmp_path) as http, pytest.raises(FetchError, match="wait 3600 s"):
        http.request("GET", server.url + "/data")
    assert len(server.requests) == 1


def test_persistent_5xx_gives_up_after_the_policy_attempts_and_caches_nothing(tmp_path):
    server = sequence(Reply(503, body=b"maintenance"))
    with server, client(tmp_path, attempts=3) as http, pytest.raises(FetchError) as info:
        http.download(server.url + "/f.zip", "f.zip")
    assert "HTTP 503" in str(info.value)
    assert not isinstance(info.value, OfflineError)
    assert len(server.requests) == 3
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_connection_dropped_mid_download_is_restarted(tmp_path):
    server = sequence(Reply(body=BODY, cut_after=len(BODY) // 3), Reply(body=BODY))
    with server, client(tmp_path) as http:
        path = http.download(server.url + "/f.zip", "f.zip")
    assert len(server.requests) == 2
    assert path.read_bytes() == BODY
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.zip", "f.zip.sha256"]


def test_connection_dropped_every_time_is_incomplete_and_caches_nothing(tmp_path):
    server = sequence(Reply(body=BODY, cut_after=100))
    with server, client(tmp_path, attempts=2) as http, pytest.raises(IncompleteError):
        http.download(server.url + "/f.zip", "f.zip")
    assert len(server.requests) == 2
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_offline_fails_fast_with_the_local_file_hint(tmp_path):
    # The default policy (real waits): a refused connection must not hang the command.
    http = HttpClient(
        source="test",
        cache_dir=tmp_path,
        offline_hint="Download the file elsewhere and run `sentinelle ingest ged PATH`",
    )
    started = time.monotonic()
    with http, pytest.raises(OfflineError) as info:
        http.download(closed_port_url() + "/ged251-csv.zip", "ged251-csv.zip")
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        "cannot reach 127.0.0.1: offline? "
        "Download the file elsewhere and run `sentinelle ingest ged PATH`"
    )


def test_cache_is_reused_with_a_sidecar_checksum_and_refreshed_on_demand(tmp_path):
    server = sequence(Reply(body=BODY))
    with server, client(tmp_path) as http:
        path = http.download(server.url + "/f.zip", "f.zip")
        assert http.download(server.url + "/f.zip", "f.zip") == path
        assert len(server.requests) == 1
        digest = hashlib.sha256(BODY).hexdigest()
        assert sidecar(path).read_text() == f"{digest}  f.zip\n"
        http.download(server.url + "/f.zip", "f.zip", refresh=True)
        assert len(server.requests) == 2


def test_a_cached_file_that_no_longer_matches_its_checksum_is_fetched_again(tmp_path):
    server = sequence(Reply(body=BODY))
    with server, client(tmp_path) as http:
        path = http.download(server.url + "/f.zip", "f.zip")
        path.write_bytes(BODY[:10])
        assert not is_cached(path)
        http.download(server.url + "/f.zip", "f.zip")
    assert len(server.requests) == 2
    assert path.read_bytes() == BODY


def test_rate_limit_spaces_requests(tmp_path):
    server = sequence(Reply(body=b"ok"))
    with server, client(tmp_path, rate=20.0, sleep=time.sleep) as http:
        started = time.monotonic()
        for _ in range(4):
            http.request("GET", server.url + "/data")
        elapsed = time.monotonic() - started
    assert len(server.requests) == 4
    assert elapsed >= 3 / 20


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthError), (403, AuthError), (404, FetchError)]
)
def test_refusals_raise_without_retrying(tmp_path, status, error):
    server = sequence(Reply(status, body=b"no"))
    with server, client(tmp_path) as http, pytest.raises(error, match=f"HTTP {status}") as info:
        http.request("GET", server.url + "/data")
    assert len(server.requests) == 1
    assert ("SENTINELLE_UCDP_TOKEN" in str(info.value)) == (error is AuthError)


def test_passthrough_statuses_are_returned_to_the_caller(tmp_path):
    server = sequence(Reply(401, body=b"expired"))
    with server, client(tmp_path) as http:
        response = http.request("GET", server.url + "/data", passthrough=(401,))
    assert response.status_code == 401


def test_a_missing_file_is_neither_retried_nor_cached(tmp_path):
    server = sequence(Reply(404, body=b"not found"))
    with server, client(tmp_path) as http, pytest.raises(FetchError, match="HTTP 404"):
        http.download(server.url + "/ged999-csv.zip", "ged999-csv.zip")
    assert len(server.requests) == 1
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_a_page_that_is_not_json_is_a_fetch_error_quoting_it(tmp_path):
    # e.g. a captive portal's login page answering 200 in place of the API
    server = sequence(Reply(body=b"<html>Please log in to the hotel wifi</html>"))
    with server, client(tmp_path) as http, pytest.raises(FetchError, match="hotel wifi"):
        json_body(http.request("GET", server.url + "/api"))


def mock_client(handler, **policy: object) -> HttpClient:
    """A client whose requests ``handler`` answers in process (``httpx.MockTransport``)."""
    fast = {"rate": 1000.0, "backoff": 0.001, "max_backoff": 0.01, **policy}
    return HttpClient(
        source="webhook",
        cache_dir=None,
        offline_hint="check that the receiver is running",
        policy=HttpPolicy(**fast),  # type: ignore[arg-type]
        transport=httpx.MockTransport(handler),
    )


def test_post_json_sends_the_document_through_the_transport():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200 if len(seen) > 1 else 503)

    with mock_client(handler) as http:
        response = http.post_json("https://ops.example/hook", {"level": 2, "unit": "Ségou"},
                                  headers={"Idempotency-Key": "k"})  # fmt: skip
    assert response.status_code == 200
    assert len(seen) == 2  # the 503 was retried under the policy
    assert seen[1].method == "POST" and seen[1].headers["Idempotency-Key"] == "k"
    assert seen[1].headers["Content-Type"] == "application/json"
    assert json.loads(seen[1].content) == {"level": 2, "unit": "Ségou"}


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (httpx.Response(410), FetchError, "HTTP 410 from https://ops.example/hook"),
        (httpx.ConnectError("refused"), OfflineError, "check that the receiver is running"),
    ],
)
def test_post_json_failures_are_in_the_error_tree(answer, error, message):
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = mock_client(handler, attempts=2, connect_attempts=2)
    with client as http, pytest.raises(error, match=message):
        http.post_json("https://ops.example/hook", {})


def test_a_client_without_cache_dir_has_no_cache():
    with mock_client(lambda _: httpx.Response(200)) as http, pytest.raises(UsageError):
        _ = http.cache


def test_url_with_params_encodes_the_query():
    assert url_with_params("https://api.example/read", {"event_date": "2023-01-01|2023-12-31"}) == (
        "https://api.example/read?event_date=2023-01-01%7C2023-12-31"
    )
