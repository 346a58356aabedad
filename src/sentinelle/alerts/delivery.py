"""Alert delivery from the ``alerts`` outbox on :mod:`~sentinelle.alerts.channels`.

:func:`deliver_pending` gives every recorded alert one ``alert_deliveries`` row per
channel, then tries each pending row a bounded number of times with exponential
backoff. A success marks the row ``delivered`` (it is never sent again); a failure
records the attempts and the last error and leaves the row ``pending`` for the next
run, so an alert is never lost. The status is written right after each send, one
statement at a time: a crash between a send and its record can repeat that one
send, which is why every message carries a stable idempotency key
(``Idempotency-Key`` header, email ``Message-ID``) for receivers to de-duplicate.

Only recent alerts are sent. The rules record the whole history (a first run on data
back to 1997 finds hundreds of alerts), but a channel receives an alert only if its
month is not before ``since``: by default (:func:`window_start`) 60 days before the
first day of the last month of data, so the month of the data and the two before it.
An older alert gets its delivery row with status ``skipped``: recorded, never sent, and
not tried again, unless a later run asks for an earlier ``since`` (``sentinelle alerts
--since 2019-01``), which turns the skipped rows from then on back to ``pending``. An
alert already pending stays pending, however old it grows: nothing due is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
from tenacity import Retrying, stop_after_attempt, wait_exponential

from sentinelle.alerts.channels import Channel
from sentinelle.alerts.store import Alert, read_alerts
from sentinelle.geo import month_string
from sentinelle.store.queries import month_sql

# Days before the last month of data whose alerts a channel receives by default.
DEFAULT_WINDOW_DAYS = 60


@dataclass
class DeliveryReport:
    """What one delivery run did: counts of rows delivered and left pending, and of the
    alerts older than ``since`` this run recorded but did not send (``skipped``; the
    most of any one channel)."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    since: date | None = None


def last_data_month(con: duckdb.DuckDBPyConnection, source: str | None = None) -> str | None:
    """``YYYY-MM`` of the latest data the rules read: events of ``source`` (every source
    when ``None``) and the subnational aggregates; ``None`` for a store without data.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> last_data_month(open_store(":memory:")) is None
    True
    """
    months = con.execute(
        f"SELECT max({month_sql('date_start')}) FROM events "
        "WHERE NOT deleted AND (? IS NULL OR source = ?)",
        [source, source],
    ).fetchone()
    found = [int(months[0])] if months and months[0] is not None else []
    tables = {str(r[0]) for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "admin_aggregates" in tables:
        row = con.execute("SELECT max(month_id) FROM admin_aggregates").fetchone()
        found += [int(row[0])] if row and row[0] is not None else []
    return month_string(max(found)) if found else None


def window_start(last_month: str, days: int = DEFAULT_WINDOW_DAYS) -> date:
    """The first day whose alerts are delivered: ``days`` before the first day of the
    last month of data.

    Examples
    --------
    >>> window_start("2020-10")
    datetime.date(2020, 8, 2)
    """
    year, month = (int(part) for part in last_month.split("-"))
    return date(year, month, 1) - timedelta(days=days)


def deliver_pending(
    con: duckdb.DuckDBPyConnection,
    channels: list[Channel],
    *,
    attempts: int = 3,
    backoff: float = 1.0,
    since: date | None = None,
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
    since : datetime.date, optional
        Alerts of months before the month of this day are recorded as ``skipped``, not
        sent; skipped alerts from this month on are sent. ``None``: every alert is sent.

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
    report = DeliveryReport(since=since)
    # An alert is in the window when its month is that of ``since`` or later.
    first = f"{since:%Y-%m}" if since else "0000-00"
    for ch in channels:
        before = _skipped(con, ch)
        con.execute(
            "INSERT INTO alert_deliveries (alert_id, channel, target, status) "
            "SELECT alert_id, ?, ?, CASE WHEN period >= ? THEN 'pending' ELSE 'skipped' END "
            "FROM alerts ON CONFLICT DO NOTHING",
            [ch.channel, ch.target, first],
        )
        con.execute(
            "UPDATE alert_deliveries d SET status = 'pending' FROM alerts a "
            "WHERE a.alert_id = d.alert_id AND d.channel = ? AND d.target = ? "
            "AND d.status = 'skipped' AND a.period >= ?",
            [ch.channel, ch.target, first],
        )
        report.skipped = max(report.skipped, _skipped(con, ch) - before)
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


def _skipped(con: duckdb.DuckDBPyConnection, ch: Channel) -> int:
    row = con.execute(
        "SELECT count(*) FROM alert_deliveries WHERE channel = ? AND target = ? "
        "AND status = 'skipped'",
        [ch.channel, ch.target],
    ).fetchone()
    return int(row[0]) if row else 0


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
