"""Alerts: rules evaluated after each ingest or forecast, recorded once, delivered reliably.

- :mod:`~sentinelle.alerts.rules`: HDX Signals conflict rule, forecast exceedance,
  spread (new area, actor in a new admin1); :func:`evaluate_alerts` runs them all.
- :mod:`~sentinelle.alerts.store`: the ``alerts`` outbox and ``alert_deliveries``.
- :mod:`~sentinelle.alerts.delivery`: webhook and email delivery with retries.
- :mod:`~sentinelle.alerts.wording`: English and French texts (vigilance / alerte).
- :mod:`~sentinelle.alerts.views_cm`: country-month series from the VIEWS files.
"""

from sentinelle.alerts.delivery import DeliveryReport, Email, Webhook, deliver_pending
from sentinelle.alerts.rules import (
    actor_new_admin1_alerts,
    evaluate_alerts,
    forecast_exceedance,
    hdx_alerts,
    hdx_signals,
    monthly_fatalities,
    new_area_alerts,
)
from sentinelle.alerts.store import AlertCandidate, record_alerts
from sentinelle.alerts.views_cm import views_cm_series
from sentinelle.alerts.wording import LEVELS, alert_text

__all__ = [
    "LEVELS",
    "AlertCandidate",
    "DeliveryReport",
    "Email",
    "Webhook",
    "actor_new_admin1_alerts",
    "alert_text",
    "deliver_pending",
    "evaluate_alerts",
    "forecast_exceedance",
    "hdx_alerts",
    "hdx_signals",
    "monthly_fatalities",
    "new_area_alerts",
    "record_alerts",
    "views_cm_series",
]
