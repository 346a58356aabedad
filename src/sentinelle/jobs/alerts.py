"""The alerts job: evaluate the rules, record new alerts once, deliver those pending.

Channels are built from :data:`sentinelle.alerts.channels.CHANNELS` by the caller
(``CHANNELS["webhook"](url)``), so a registered channel kind delivers like the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sentinelle.alerts import DeliveryReport, alert_text, deliver_pending, evaluate_alerts
from sentinelle.alerts.channels import Channel
from sentinelle.i18n import Lang
from sentinelle.steps import Step, no_step
from sentinelle.tables import write_csv


@dataclass(frozen=True)
class AlertsRun:
    """New alerts by rule, subjects of the latest alerts, delivery counts, files written."""

    new: dict[str, int]
    subjects: list[str]
    delivery: DeliveryReport | None = None
    files: list[Path] = field(default_factory=list)


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str = "ged",
    channels: Sequence[Channel] = (),
    lang: Lang = "fr",
    latest: int = 20,
    csv: Path | None = None,
    step: Step = no_step,
) -> AlertsRun:
    """Evaluate the rules on ``source``'s events, deliver pending alerts on ``channels``.

    ``subjects`` are those of the ``latest`` alerts in ``lang``; with ``csv``, every
    recorded alert is also written there.

    Examples
    --------
    >>> run_alerts(con, source="acled", csv=Path("out/alerts.csv")).new  # doctest: +SKIP
    """
    step("evaluating the alert rules")
    new = evaluate_alerts(con, source=source)
    if channels:
        step("delivering pending alerts")
    delivery = deliver_pending(con, list(channels)) if channels else None
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
    return AlertsRun(new, subjects, delivery, files)
