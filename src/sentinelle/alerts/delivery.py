"""Alert delivery by webhook (JSON POST) and email (SMTP), from the ``alerts`` outbox.

:func:`deliver_pending` gives every recorded alert one ``alert_deliveries`` row per
channel, then tries each pending row a bounded number of times with exponential
backoff. A success marks the row ``delivered`` (it is never sent again); a failure
records the attempts and the last error and leaves the row ``pending`` for the next
run, so an alert is never lost. The status is written right after each send, one
statement at a time: a crash between a send and its record can repeat that one
send, which is why every message carries a stable idempotency key
(``Idempotency-Key`` header, email ``Message-ID``) for receivers to de-duplicate.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

import duckdb
import httpx
from tenacity import Retrying, stop_after_attempt, wait_exponential

from sentinelle.alerts.wording import LEVELS, Lang, alert_text


class Channel(Protocol):
    """A delivery channel: a kind, a target, and a send that raises on failure."""

    @property
    def channel(self) -> str:
        """The kind of channel ('webhook', 'email')."""

    @property
    def target(self) -> str:
        """Where the channel delivers (URL, recipients)."""

    def send(self, alert: dict[str, Any]) -> None:
        """Deliver one alert or raise."""


def alert_key(alert: dict[str, Any]) -> str:
    """Stable idempotency key of an alert: ``rule/unit_type/unit_id/period``."""
    return "/".join(str(alert[k]) for k in ("rule", "unit_type", "unit_id", "period"))


def alert_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The JSON document a webhook receives: the alert, its key and texts in EN and FR."""
    evidence = alert["evidence"]
    payload = {
        "key": alert_key(alert),
        **{k: alert[k] for k in ("alert_id", "rule", "unit_type", "unit_id", "period", "level")},
        "value": alert["value"],
        "threshold": alert["threshold"],
        "evidence": json.loads(evidence) if isinstance(evidence, str) else evidence,
        "created_at": str(alert["created_at"]),
    }
    langs: tuple[Lang, ...] = ("en", "fr")
    for lang in langs:
        subject, body = alert_text(alert, lang)
        payload[f"level_{lang}"] = LEVELS[lang][int(alert["level"])]
        payload[f"text_{lang}"] = {"subject": subject, "body": body}
    return payload


@dataclass(frozen=True)
class Webhook:
    """POST each alert as JSON to ``url``; any non-2xx answer is a failure."""

    url: str
    timeout: float = 10.0
    channel: str = field(default="webhook", init=False)

    @property
    def target(self) -> str:
        """The URL."""
        return self.url

    def send(self, alert: dict[str, Any]) -> None:
        """POST the alert's payload with an ``Idempotency-Key`` header."""
        response = httpx.post(
            self.url,
            json=alert_payload(alert),
            # HTTP headers are ASCII: admin names are not, so the key is percent-encoded.
            headers={"Idempotency-Key": urllib.parse.quote(alert_key(alert), safe="/")},
            timeout=self.timeout,
        )
        response.raise_for_status()


@dataclass(frozen=True)
class Email:
    """Send each alert by SMTP, French text first then English (or ``lang`` only)."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    lang: Lang | None = None
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    channel: str = field(default="email", init=False)

    @property
    def target(self) -> str:
        """The recipients, comma-separated."""
        return ",".join(self.recipients)

    def message(self, alert: dict[str, Any]) -> EmailMessage:
        """The email of one alert; its Message-ID derives from the alert key."""
        langs: tuple[Lang, ...] = (self.lang,) if self.lang else ("fr", "en")
        texts = [alert_text(alert, lang) for lang in langs]
        msg = EmailMessage()
        msg["Subject"] = f"[Sentinelle] {texts[0][0]}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        digest = hashlib.sha256(alert_key(alert).encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@sentinelle>"
        msg.set_content("\n\n".join(body for _, body in texts) + f"\n\n{alert_key(alert)}\n")
        return msg

    def send(self, alert: dict[str, Any]) -> None:
        """Send the alert's email."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(alert))


@dataclass
class DeliveryReport:
    """What one delivery run did: counts of rows delivered and left pending."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_pending(
    con: duckdb.DuckDBPyConnection,
    channels: list[Channel],
    *,
    attempts: int = 3,
    backoff: float = 1.0,
) -> DeliveryReport:
    """Send every alert not yet delivered on each channel; see the module docstring.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A store with recorded alerts.
    channels : list of Channel
        E.g. ``[Webhook("https://ops.example/hook"), Email("smtp.example", 25,
        "sentinelle@example", ("analyst@example",))]``.
    attempts : int
        Tries per alert and channel in this run.
    backoff : float
        Seconds of the first wait between tries (doubled each time, at most 30 s).

    Returns
    -------
    DeliveryReport

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> deliver_pending(open_store(":memory:"), [Webhook("http://127.0.0.1:9/")]).delivered
    0
    """
    report = DeliveryReport()
    for ch in channels:
        con.execute(
            "INSERT INTO alert_deliveries (alert_id, channel, target) "
            "SELECT alert_id, ?, ? FROM alerts ON CONFLICT DO NOTHING",
            [ch.channel, ch.target],
        )
        cursor = con.execute(
            """
            SELECT a.* FROM alerts a JOIN alert_deliveries d USING (alert_id)
            WHERE d.channel = ? AND d.target = ? AND d.status = 'pending'
            ORDER BY a.alert_id
            """,
            [ch.channel, ch.target],
        )
        names = [c[0] for c in cursor.description or []]
        for row in cursor.fetchall():
            alert = dict(zip(names, row, strict=True))
            tries, error = _send_with_retries(ch, alert, attempts, backoff)
            done = error is None
            con.execute(
                """
                UPDATE alert_deliveries
                SET attempts = attempts + ?, last_error = ?,
                    status = CASE WHEN ? THEN 'delivered' ELSE status END,
                    delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END
                WHERE alert_id = ? AND channel = ? AND target = ?
                """,
                [tries, error, done, done, datetime.now(), alert["alert_id"], ch.channel,
                 ch.target],
            )  # fmt: skip
            if done:
                report.delivered += 1
            else:
                report.failed += 1
                report.errors.append(f"{ch.channel} {alert_key(alert)}: {error}")
    return report


def _send_with_retries(
    ch: Channel, alert: dict[str, Any], attempts: int, backoff: float
) -> tuple[int, str | None]:
    """Try ``ch.send`` up to ``attempts`` times; return (tries made, last error or None)."""
    tries = 0
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=backoff, max=30),
            reraise=True,
        ):
            with attempt:
                tries += 1
                ch.send(alert)
    except Exception as exc:  # any failure leaves the alert pending, with its reason
        return tries, f"{type(exc).__name__}: {exc}"
    return tries, None
