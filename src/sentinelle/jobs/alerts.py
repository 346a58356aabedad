"""The alerts job: evaluate the rules, record new alerts once, deliver those pending.

Channels are built from :data:`sentinelle.alerts.channels.CHANNELS` by the caller
(``CHANNELS["webhook"](url)``), so a registered channel kind delivers like the others.

Every alert is recorded, but only recent ones are delivered: those from ``since`` on,
by default 60 days before the last month of data (see :mod:`sentinelle.alerts.delivery`),
so a first run on decades of history does not flood the channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from sentinelle.alerts import DeliveryReport, alert_text, deliver_pending, evaluate_alerts
from sentinelle.alerts.channels import Channel
from sentinelle.alerts.delivery import DEFAULT_WINDOW_DAYS, last_data_month, window_start
from sentinelle.i18n import Lang
from sentinelle.steps import Step, no_step
from sentinelle.tables import write_csv


@dataclass(frozen=True)
class AlertsRun:
    """New alerts by rule, subjects of the latest alerts, delivery counts, files written,
    and the first day of the delivery window (``None``: a store without data)."""

    new: dict[str, int]
    subjects: list[str]
    delivery: DeliveryReport | None = None
    files: list[Path] = field(default_factory=list)
    since: date | None = None


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str = "ged",
    channels: Sequence[Channel] = (),
    lang: Lang = "fr",
    latest: int = 20,
    csv: Path | None = None,
    since: date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    step: Step = no_step,
) -> AlertsRun:
    """Evaluate the rules on ``source``'s events, deliver pending alerts on ``channels``.

    Only alerts from ``since`` on are delivered (older ones are recorded as skipped);
    by default ``since`` is ``window_days`` before the last month of data. ``subjects``
    are those of the ``latest`` alerts in ``lang``; with ``csv``, every recorded alert
    is also written there.

    Examples
    --------
    >>> run_alerts(con, source="acled", csv=Path("out/alerts.csv")).new  # doctest: +SKIP
    """
    step("evaluating the alert rules")
    new = evaluate_alerts(con, source=source)
    if channels:
        step("delivering pending alerts")
    if since is None:
        last = last_data_month(con, source)
        since = window_start(last, window_days) if last else None
    delivery = deliver_pending(con, list(channels), since=since) if channels else None
    recent = con.execute(
        "SELECT * FROM alerts ORDER BY period DESC, level DESC LIMIT ?", [latest]
    ).df()
    subjects = [
        alert_text({str(k): v for k, v in alert.items()}, lang)[0]
        for alert in recent.to_dict("records")
    ]
    files = []
    if csv is not None:
        csv.parent.mkdir(parents=True, exist_ok=True)
        write_csv(con.execute("SELECT * FROM alerts ORDER BY period, unit_id").df(), csv)
        files.append(csv)
    return AlertsRun(new, subjects, delivery, files, since)
