"""Delivery against local servers on 127.0.0.1: retries, idempotence, nothing lost."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import duckdb
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from sentinelle.alerts import (
    CHANNELS,
    AlertCandidate,
    Email,
    Webhook,
    deliver_pending,
    get_channel,
    read_alerts,
    record_alerts,
)
from sentinelle.errors import DeliveryError, UnknownNameError
from sentinelle.store import open_store


class _Hook(BaseHTTPRequestHandler):
    fail_next = 0
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Hook.fail_next > 0:
            _Hook.fail_next -= 1
            self.send_response(503)
        else:
            _Hook.received.append((self.headers["Idempotency-Key"], body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def hook() -> Iterator[str]:
    _Hook.fail_next, _Hook.received = 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _store() -> duckdb.DuckDBPyConnection:
    con = open_store(":memory:")
    record_alerts(con, [
        AlertCandidate("hdx_conflict", "country", "MLI", "2022-03", 2, 492.0, 155.0, {"a": 1}),
        AlertCandidate("new_area", "admin2", "MLI/Ségou/Niono", "2020-03", 1, 3.0, 1.0),
    ])  # fmt: skip
    return con


def _status(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT alert_id, status, attempts FROM alert_deliveries ORDER BY alert_id"
    ).fetchall()


def test_webhook_retries_then_delivers_once(hook: str) -> None:
    con = _store()
    _Hook.fail_next = 2  # the first alert needs three tries
    report = deliver_pending(con, [Webhook(hook)], attempts=3, backoff=0.001)
    assert (report.delivered, report.failed) == (2, 0)
    assert _status(con) == [(1, "delivered", 3), (2, "delivered", 1)]
    keys = [urllib.parse.unquote(k) for k, _ in _Hook.received]
    assert keys == ["hdx_conflict/country/MLI/2022-03", "new_area/admin2/MLI/Ségou/Niono/2020-03"]
    body = _Hook.received[0][1]
    assert body["level_fr"] == "alerte" and body["evidence"] == {"a": 1}
    # A second run sends nothing: each alert is delivered once.
    assert deliver_pending(con, [Webhook(hook)], backoff=0.001).delivered == 0
    assert len(_Hook.received) == 2


def test_failed_delivery_stays_pending_and_is_sent_later(hook: str) -> None:
    con = _store()
    _Hook.fail_next = 100
    report = deliver_pending(con, [Webhook(hook)], attempts=2, backoff=0.001)
    assert (report.delivered, report.failed) == (0, 2)
    rows = con.execute("SELECT status, attempts, last_error FROM alert_deliveries").fetchall()
    assert all(s == "pending" and a == 2 and "503" in e for s, a, e in rows)
    _Hook.fail_next = 0
    assert deliver_pending(con, [Webhook(hook)], backoff=0.001).delivered == 2
    assert [r[1:] for r in _status(con)] == [("delivered", 3), ("delivered", 3)]


def test_unreachable_webhook_loses_nothing() -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    con = _store()
    report = deliver_pending(con, [Webhook(f"http://127.0.0.1:{port}/")], attempts=2,
                             backoff=0.001)  # fmt: skip
    assert report.failed == 2
    assert con.execute("SELECT count(*) FROM alerts").fetchone() == (2,)


class _Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


def test_email_delivery_once() -> None:
    with socket.socket() as s:  # aiosmtpd's controller cannot take port 0
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        con = _store()
        email = Email("127.0.0.1", port, "sentinelle@example.org", ("analyste@example.org",))
        assert deliver_pending(con, [email], backoff=0.001).delivered == 2
        assert deliver_pending(con, [email], backoff=0.001).delivered == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    first = inbox.messages[0]
    assert (
        str(make_header(decode_header(first["Subject"]))) == "[Sentinelle] ALERTE - MLI - mars 2022"
    )
    assert "492 décès liés aux conflits" in first.get_payload(decode=True).decode()
    assert first["Message-ID"].endswith("@sentinelle>")


def test_webhook_through_a_mock_transport_posts_the_payload_once_per_alert() -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if len(seen) == 1 else 204)

    con = _store()
    hook = Webhook("https://ops.example/hook", transport=httpx.MockTransport(receiver))
    report = deliver_pending(con, [hook], attempts=2, backoff=0.001)
    assert (report.delivered, report.failed) == (2, 0)
    assert _status(con) == [(1, "delivered", 2), (2, "delivered", 1)]  # one POST per try
    assert len(seen) == 3
    body = json.loads(seen[-1].content)
    assert body["key"] == "new_area/admin2/MLI/Ségou/Niono/2020-03"
    assert body["text_en"]["subject"] == "WATCH - MLI/Ségou/Niono - March 2020"
    assert urllib.parse.unquote(seen[-1].headers["Idempotency-Key"]) == body["key"]


def test_a_refused_webhook_is_a_delivery_error() -> None:
    [alert] = read_alerts(_store(), "SELECT * FROM alerts WHERE alert_id = 1", [])
    hook = Webhook("https://ops.example/hook", transport=httpx.MockTransport(
        lambda _: httpx.Response(410)))  # fmt: skip
    with pytest.raises(DeliveryError, match=r"webhook https://ops\.example/hook: HTTP 410"):
        hook.send(alert)


def test_channels_are_made_by_name() -> None:
    assert get_channel("webhook")("https://ops.example/hook") == Webhook("https://ops.example/hook")
    email = CHANNELS["email"]("smtp.example", 25, "s@example.org", ("a@example.org",))
    assert (email.channel, email.target) == ("email", "a@example.org")
    with pytest.raises(UnknownNameError, match="unknown alert channel 'sms'"):
        get_channel("sms")
