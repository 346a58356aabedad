"""``sentinelle alerts``: evaluate the rules, record new alerts, deliver pending ones.

Channels are built from :data:`sentinelle.alerts.channels.CHANNELS` by kind. Every alert
is recorded; only those from ``--since`` on (default: 60 days before the last month of
data) are delivered, so a first run on decades of history does not flood the channels.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from sentinelle.cli._common import BadParameter, StoreOption, _, cli_lang, console, job
from sentinelle.i18n import LANGS, N_, Lang, translator

if TYPE_CHECKING:
    from sentinelle.alerts.channels import Channel


ALERTS_HELP = N_(
    "Evaluate the alert rules, record new alerts once, deliver those still pending.\n\n"
    "Every alert is recorded, but only recent ones are delivered: by default those of the "
    "last month of data and the 60 days before it; --since chooses an earlier or later start "
    "(older alerts are recorded as skipped, and sent if a later run's --since reaches "
    "them).\n\n"
    "Example: [bold]sentinelle alerts --webhook http://127.0.0.1:8080/hook --since 2020-06[/]"
)


def alerts(
    source: Annotated[str, typer.Option(help=N_("Event source the rules read"))] = "ged",
    webhook: Annotated[str | None, typer.Option(help=N_("POST each alert as JSON here"))] = None,
    smtp: Annotated[str | None, typer.Option(help=N_("SMTP server host:port"))] = None,
    email_to: Annotated[str | None, typer.Option(help=N_("Comma-separated recipients"))] = None,
    email_from: Annotated[str, typer.Option(help=N_("Sender address"))] = "sentinelle@localhost",
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m"],
            help=N_(
                "Deliver alerts of this month (YYYY-MM or YYYY-MM-DD) and later; "
                "default: 60 days before the last month of data"
            ),
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(help=N_("Language of the alerts: en | fr (default: the command line's)")),
    ] = None,
    store: StoreOption = None,
) -> None:
    from sentinelle.alerts.channels import get_channel
    from sentinelle.jobs.alerts import run_alerts

    if lang is not None and lang not in LANGS:
        raise BadParameter(_("--lang must be one of %(langs)s", langs=", ".join(LANGS)))
    language: Lang = "fr" if (lang or cli_lang()) == "fr" else "en"
    t = translator(cli_lang())
    channels: list[Channel] = []
    if webhook:
        channels.append(get_channel("webhook")(webhook))
    if smtp and email_to:
        host, _colon, port = smtp.partition(":")
        email = get_channel("email")(host, int(port or 25), email_from, tuple(email_to.split(",")))
        channels.append(email)
    with job(store, "alerts") as (con, step):
        run = run_alerts(
            con, source=source, channels=channels, lang=language,
            since=since.date() if since else None, step=step,
        )  # fmt: skip
    counts = ", ".join(f"{rule} {t.number(n)}" for rule, n in run.new.items())
    console.print(t.gettext("New alerts: %(counts)s") % {"counts": counts})
    for subject in run.subjects:
        console.print(f"  {subject}")
    if run.delivery:
        console.print(
            t.gettext("Delivered %(delivered)s, still pending %(pending)s")
            % {
                "delivered": t.number(run.delivery.delivered),
                "pending": t.number(run.delivery.failed),
            }
        )
        if run.delivery.skipped and run.since:
            console.print(
                t.gettext(
                    "%(skipped)s alerts before %(month)s recorded, not sent (--since to choose)"
                )
                % {
                    "skipped": t.number(run.delivery.skipped),
                    "month": t.month(f"{run.since:%Y-%m}"),
                }
            )
