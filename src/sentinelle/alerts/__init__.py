"""Alerts: rules evaluated after each ingest or forecast, recorded once, delivered reliably.

- :mod:`~sentinelle.alerts.rules`: the rules of :data:`RULES` (HDX Signals conflict
  rule, forecast exceedance, spread: new area, actor in a new admin1);
  :func:`evaluate_alerts` runs them all.
- :mod:`~sentinelle.alerts.store`: the :class:`Alert` record, the ``alerts`` outbox and
  ``alert_deliveries``.
- :mod:`~sentinelle.alerts.channels`: the channels of :data:`CHANNELS`, webhook and
  email.
- :mod:`~sentinelle.alerts.delivery`: the outbox's delivery with retries.
- :mod:`~sentinelle.alerts.wording`: English and French texts (vigilance / alerte).
- :mod:`~sentinelle.alerts.views_cm`: country-month series from the VIEWS files.
- :mod:`~sentinelle.alerts.aggregates`: HDX Signals' conflict definition
  (:func:`hdx_signals`) and its rule on ACLED's HDX aggregates, country and admin1.
"""

from sentinelle.alerts.aggregates import aggregate_alerts, hdx_signals
from sentinelle.alerts.channels import CHANNELS, Channel, Email, Webhook, get_channel
from sentinelle.alerts.delivery import DeliveryReport, deliver_pending
from sentinelle.alerts.rules import (
    RULES,
    Rule,
    RuleContext,
    actor_new_admin1_alerts,
    evaluate_alerts,
    forecast_exceedance,
    get_rule,
    hdx_alerts,
    monthly_fatalities,
    new_area_alerts,
)
from sentinelle.alerts.store import Alert, AlertCandidate, read_alerts, record_alerts
from sentinelle.alerts.views_cm import views_cm_series
from sentinelle.alerts.wording import LEVELS, alert_text

__all__ = [
    "CHANNELS",
    "LEVELS",
    "RULES",
    "Alert",
    "AlertCandidate",
    "Channel",
    "DeliveryReport",
    "Email",
    "Rule",
    "RuleContext",
    "Webhook",
    "actor_new_admin1_alerts",
    "aggregate_alerts",
    "alert_text",
    "deliver_pending",
    "evaluate_alerts",
    "forecast_exceedance",
    "get_channel",
    "get_rule",
    "hdx_alerts",
    "hdx_signals",
    "monthly_fatalities",
    "new_area_alerts",
    "read_alerts",
    "record_alerts",
    "views_cm_series",
]
