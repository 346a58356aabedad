"""Delivery against local servers on 127.0.0.1: retries, idempotence, nothing lost."""

from __future__ import annotations

import datetime as dt
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
        str(make_header(decode_header(first["Subject"])))
        == "[Sentinelle] ALERTE — Mali : 492 décès liés aux conflits en mars 2022"
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
    assert body["text_en"]["subject"] == (
        "WATCH — Mali, Ségou region, Niono cercle: violence in March 2020 after a year "
        "without events"
    )
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


# -- A first run does not flood: only the recent window is delivered ---------------------


def _history_of_alerts() -> duckdb.DuckDBPyConnection:
    """A store whose rules found alerts every other month from 1998 to October 2020,
    with events up to October 2020 (the last month of data)."""
    con = open_store(":memory:")
    months = [f"{y}-{m:02d}" for y in range(1998, 2021) for m in range(1, 13, 2)]
    months = [m for m in months if m <= "2020-10"] + ["2020-08", "2020-10"]
    record_alerts(con, [
        AlertCandidate("hdx_conflict", "admin1", "MLI/Mopti", month, 1, 150.0, 100.0)
        for month in sorted(set(months))
    ] + [AlertCandidate("new_area", "admin2", "BFA/Boucle du Mouhoun/Kossi", "2020-09", 1,
                        4.0, 1.0)])  # fmt: skip
    con.execute(
        "INSERT INTO events (source, source_event_id, source_version, date_start, date_end, "
        "violence_type, fatalities_best, ingest_id) VALUES "
        "('acled', 'e1', '1', DATE '2020-10-20', DATE '2020-10-20', 'one_sided', 3, 1), "
        "('acled', 'e0', '1', DATE '1998-01-05', DATE '1998-01-05', 'one_sided', 1, 1)"
    )
    return con


def _receiver() -> tuple[list[dict[str, Any]], httpx.MockTransport]:
    bodies: list[dict[str, Any]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(204)

    return bodies, httpx.MockTransport(receive)


def test_window_is_60_days_before_the_last_month_of_data() -> None:
    from sentinelle.alerts.delivery import last_data_month, window_start

    con = _history_of_alerts()
    assert last_data_month(con, "acled") == "2020-10"
    assert last_data_month(con, "ged") is None
    assert window_start("2020-10") == dt.date(2020, 8, 2)
    assert window_start("2020-03", days=10) == dt.date(2020, 2, 20)


def test_a_first_run_records_the_history_but_delivers_only_the_recent_window() -> None:
    from sentinelle.jobs.alerts import run_alerts

    con = _history_of_alerts()
    recorded = con.execute("SELECT count(*) FROM alerts").fetchone()
    assert recorded is not None and recorded[0] > 100  # 1998 .. 2020
    bodies, transport = _receiver()
    hook = Webhook("https://ops.example/hook", transport=transport)
    run = run_alerts(con, source="acled", channels=[hook])
    assert run.since == dt.date(2020, 8, 2)
    assert run.delivery is not None
    sent = sorted((b["unit_id"], b["period"]) for b in bodies)
    assert sent == [
        ("BFA/Boucle du Mouhoun/Kossi", "2020-09"), ("MLI/Mopti", "2020-08"),
        ("MLI/Mopti", "2020-09"), ("MLI/Mopti", "2020-10"),
    ]  # fmt: skip
    assert run.delivery.delivered == 4 and run.delivery.skipped == recorded[0] - 4
    statuses = dict(con.execute(
        "SELECT status, count(*) FROM alert_deliveries GROUP BY 1").fetchall())  # fmt: skip
    assert statuses == {"delivered": 4, "skipped": recorded[0] - 4}
    # A second run sends nothing more; an earlier --since sends the alerts it reaches.
    again = run_alerts(con, source="acled", channels=[hook])
    assert again.delivery is not None and again.delivery.delivered == 0 and len(bodies) == 4
    earlier = run_alerts(con, source="acled", channels=[hook], since=dt.date(2020, 3, 15))
    assert earlier.delivery is not None and earlier.delivery.delivered == 3
    assert sorted(b["period"] for b in bodies[4:]) == ["2020-03", "2020-05", "2020-07"]


def test_an_alert_pending_before_the_window_moved_on_is_still_delivered() -> None:
    con = _history_of_alerts()
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(503 if calls["n"] <= 3 else 204)

    hook = Webhook("https://ops.example/hook", transport=httpx.MockTransport(flaky))
    first = deliver_pending(con, [hook], attempts=1, backoff=0.001, since=dt.date(2020, 9, 1))
    assert (first.delivered, first.failed) == (0, 3)
    later = deliver_pending(con, [hook], attempts=1, backoff=0.001, since=dt.date(2021, 6, 1))
    assert later.delivered == 3  # pending ones are never dropped


@pytest.mark.parametrize(
    ("lang", "subjects"),
    [
        ("fr", [
            "VIGILANCE — Mali, région de Mopti : 150 décès liés aux conflits en octobre 2020",
            "VIGILANCE — Burkina Faso, région de la Boucle du Mouhoun, Kossi : violences en "
            "septembre 2020 après un an sans événement",
        ]),
        ("en", [
            "WATCH — Mali, Mopti region: 150 conflict fatalities in October 2020",
            "WATCH — Burkina Faso, Boucle du Mouhoun region, Kossi: violence in September "
            "2020 after a year without events",
        ]),
    ],
)  # fmt: skip
def test_subjects_read_in_words_without_internal_ids(lang: str, subjects: list[str]) -> None:
    from sentinelle.alerts import alert_text
    from sentinelle.jobs.alerts import run_alerts

    con = _history_of_alerts()
    run = run_alerts(con, source="acled", lang=lang, latest=3)  # type: ignore[arg-type]
    assert run.subjects[0] == subjects[0] and subjects[1] in run.subjects[1:]
    for alert in read_alerts(con, "SELECT * FROM alerts", []):
        for language in ("fr", "en"):
            subject, body = alert_text(alert, language)  # type: ignore[arg-type]
            for code in ("MLI", "BFA", "/", "hdx_conflict", "new_area", "None"):
                assert code not in subject and code not in body, (code, subject)


def test_place_names_follow_french_usage() -> None:
    from sentinelle.alerts.wording import place_name

    assert place_name("admin1", "MLI/Mopti region", "fr") == "Mali, région de Mopti"
    assert place_name("admin1", "BFA/Sahel", "fr") == "Burkina Faso, région du Sahel"
    assert place_name("admin1", "BFA/Est", "fr") == "Burkina Faso, région de l\u2019Est"
    assert place_name("admin1", "NER/Agadez", "fr") == "Niger, région d\u2019Agadez"
    assert place_name("admin1", "MLI/Bamako", "fr") == "Mali, district de Bamako"
    assert place_name("actor_admin1", "jnim@MLI/Ségou", "en") == "Mali, Ségou region"
    assert place_name("country", "TCD", "fr") == "Tchad"
