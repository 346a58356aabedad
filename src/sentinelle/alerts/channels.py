"""Where alerts go: the :class:`Channel` protocol, webhooks, email, and :data:`CHANNELS`.

A channel sends one :class:`~sentinelle.alerts.store.Alert` and raises
:class:`~sentinelle.errors.DeliveryError` when it cannot; the outbox
(:mod:`~sentinelle.alerts.delivery`) decides when to try again, so a channel tries once
per send. Every message carries the alert's stable key (``Idempotency-Key`` header,
email ``Message-ID``) for receivers to de-duplicate a repeated send.

Webhooks post through the one HTTP client (:mod:`sentinelle.sources.http`); this is
the only module that speaks SMTP. ``CHANNELS`` maps each kind to its constructor, so a
plug-in adds a kind with ``CHANNELS.register(name, factory)``.
"""

from __future__ import annotations

import hashlib
import smtplib
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from sentinelle.alerts.store import Alert
from sentinelle.alerts.wording import LEVELS, Lang, alert_text
from sentinelle.errors import DeliveryError, FetchError
from sentinelle.registry import Registry
from sentinelle.sources.http import HttpClient, HttpPolicy

if TYPE_CHECKING:
    import httpx


class Channel(Protocol):
    """A delivery channel: a kind, a target, and a send that raises on failure."""

    @property
    def channel(self) -> str:
        """The kind of channel ('webhook', 'email')."""

    @property
    def target(self) -> str:
        """Where the channel delivers (URL, recipients)."""

    def send(self, alert: Alert) -> None:
        """Deliver one alert or raise :class:`~sentinelle.errors.DeliveryError`."""


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON document a webhook receives: the alert, its key and texts in EN and FR."""
    payload: dict[str, Any] = {
        "key": alert.key,
        "alert_id": alert.alert_id,
        "rule": alert.rule,
        "unit_type": alert.unit_type,
        "unit_id": alert.unit_id,
        "period": alert.period,
        "level": alert.level,
        "value": alert.value,
        "threshold": alert.threshold,
        "evidence": alert.evidence,
        "created_at": str(alert.created_at),
    }
    langs: tuple[Lang, ...] = ("en", "fr")
    for lang in langs:
        subject, body = alert_text(alert, lang)
        payload[f"level_{lang}"] = LEVELS[lang][alert.level]
        payload[f"text_{lang}"] = {"subject": subject, "body": body}
    return payload


@dataclass(frozen=True)
class Webhook:
    """POST each alert as JSON to ``url``; any non-2xx answer is a failure.

    ``transport`` carries the request (the network when ``None``; tests pass
    ``httpx.MockTransport``).
    """

    url: str
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = field(
        default=None, kw_only=True, repr=False, compare=False
    )
    channel: str = field(default="webhook", init=False)

    @property
    def target(self) -> str:
        """The URL."""
        return self.url

    def send(self, alert: Alert) -> None:
        """POST the alert's payload with an ``Idempotency-Key`` header, once."""
        # One try: the outbox retries with its own backoff and records each attempt.
        policy = HttpPolicy(
            attempts=1, connect_attempts=1, connect_timeout=self.timeout, read_timeout=self.timeout
        )
        try:
            with HttpClient(
                source="webhook",
                cache_dir=None,
                offline_hint="is the receiver running? The alert stays pending.",
                policy=policy,
                transport=self.transport,
            ) as client:
                client.post_json(
                    self.url,
                    alert_payload(alert),
                    # HTTP headers are ASCII: admin names are not, so the key is percent-encoded.
                    headers={"Idempotency-Key": urllib.parse.quote(alert.key, safe="/")},
                )
        except FetchError as exc:
            raise DeliveryError(f"webhook {self.url}: {exc}") from exc


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

    def message(self, alert: Alert) -> EmailMessage:
        """The email of one alert; its Message-ID derives from the alert key."""
        langs: tuple[Lang, ...] = (self.lang,) if self.lang else ("fr", "en")
        texts = [alert_text(alert, lang) for lang in langs]
        msg = EmailMessage()
        msg["Subject"] = f"[Sentinelle] {texts[0][0]}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        digest = hashlib.sha256(alert.key.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@sentinelle>"
        msg.set_content("\n\n".join(body for _, body in texts) + f"\n\n{alert.key}\n")
        return msg

    def send(self, alert: Alert) -> None:
        """Send the alert's email."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.message(alert))
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email via {self.host}:{self.port}: {exc}") from exc


CHANNELS: Registry[Callable[..., Channel]] = Registry(
    "alert channel", {"webhook": Webhook, "email": Email}
)


def get_channel(name: str) -> Callable[..., Channel]:
    """The constructor of channel kind ``name`` (``get_channel("webhook")(url)``)."""
    return CHANNELS[name]


__all__ = ["CHANNELS", "Channel", "Email", "Webhook", "alert_payload", "get_channel"]
