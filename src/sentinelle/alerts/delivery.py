"""Alert delivery from the ``alerts`` outbox on :mod:`~sentinelle.alerts.channels`.

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

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
from tenacity import Retrying, stop_after_attempt, wait_exponential

from sentinelle.alerts.channels import Channel
from sentinelle.alerts.store import Alert, read_alerts


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
    >>> from sentinelle.alerts.channels import Webhook
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
        pending = read_alerts(
            con,
            """
            SELECT a.* FROM alerts a JOIN alert_deliveries d USING (alert_id)
            WHERE d.channel = ? AND d.target = ? AND d.status = 'pending'
            ORDER BY a.alert_id
            """,
            [ch.channel, ch.target],
        )
        for alert in pending:
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
                [tries, error, done, done, datetime.now(), alert.alert_id, ch.channel,
                 ch.target],
            )  # fmt: skip
            if done:
                report.delivered += 1
            else:
                report.failed += 1
                report.errors.append(f"{ch.channel} {alert.key}: {error}")
    return report


def _send_with_retries(
    ch: Channel, alert: Alert, attempts: int, backoff: float
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
