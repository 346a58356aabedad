"""``sentinelle alerts``: evaluate the rules, record new alerts, deliver pending ones.

Channels are built from :data:`sentinelle.alerts.channels.CHANNELS` by kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sentinelle.cli._common import StoreOption, console, job

if TYPE_CHECKING:
    from sentinelle.alerts.channels import Channel


def alerts(
    source: Annotated[str, typer.Option(help="Event source the rules read")] = "ged",
    webhook: Annotated[str | None, typer.Option(help="POST each alert as JSON here")] = None,
    smtp: Annotated[str | None, typer.Option(help="SMTP server host:port")] = None,
    email_to: Annotated[str | None, typer.Option(help="Comma-separated recipients")] = None,
    email_from: Annotated[str, typer.Option(help="Sender address")] = "sentinelle@localhost",
    lang: Annotated[str, typer.Option(help="en | fr")] = "fr",
    store: StoreOption = None,
) -> None:
    """Evaluate the alert rules, record new alerts once, deliver those still pending.

    Example: [bold]sentinelle alerts --webhook http://127.0.0.1:8080/hook --lang fr[/]
    """
    from sentinelle.alerts.channels import get_channel
    from sentinelle.jobs.alerts import run_alerts

    channels: list[Channel] = []
    if webhook:
        channels.append(get_channel("webhook")(webhook))
    if smtp and email_to:
        host, _, port = smtp.partition(":")
        email = get_channel("email")(host, int(port or 25), email_from, tuple(email_to.split(",")))
        channels.append(email)
    with job(store, "alerts") as (con, step):
        run = run_alerts(
            con, source=source, channels=channels, lang="fr" if lang == "fr" else "en", step=step
        )
    console.print("New alerts: " + ", ".join(f"{k} {v}" for k, v in run.new.items()))
    for subject in run.subjects:
        console.print(f"  {subject}")
    if run.delivery:
        console.print(f"Delivered {run.delivery.delivered}, still pending {run.delivery.failed}")
