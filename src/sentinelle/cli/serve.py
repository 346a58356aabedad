"""``sentinelle serve`` and ``users``: the web dashboard and its accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from sentinelle.cli._common import (
    ERROR,
    StoreOption,
    _,
    console,
    failures,
    print_frame,
    settings,
)
from sentinelle.cli._help import TranslatedCommand, TranslatedGroup
from sentinelle.i18n import N_

SERVE_HELP = N_(
    "Serve the web dashboard and the JSON API (OpenAPI schema at /openapi.json).\n\n"
    "The server reads the store only for the length of each query, so `sentinelle ingest` "
    "and `status` work while it runs, and new data shows without a restart. Users, sessions "
    "and analyst reports live beside the store, in STORE.web.sqlite. Sessions are signed "
    "with SENTINELLE_SECRET_KEY, or a key kept in STORE.secret. Create the first admin with "
    "`sentinelle users add NAME --role admin` (also while serving).\n\n"
    "Example: [bold]sentinelle serve --port 8000 --boundaries africa_admin0.geojson[/]"
)


def serve(
    host: Annotated[str, typer.Option(help=N_("Address to listen on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=N_("TCP port"))] = 8000,
    boundaries: Annotated[
        Path | None,
        typer.Option(help=N_("Natural Earth admin-0 file for map outlines (default: pyogrio's)")),
    ] = None,
    admin_boundaries: Annotated[
        list[Path] | None,
        typer.Option(help=N_("Admin-1/2 boundary file with P-codes for the map's choropleth")),
    ] = None,
    store: StoreOption = None,
) -> None:
    import uvicorn

    from sentinelle.web import create_app
    from sentinelle.web.pages import vendor_missing

    missing = vendor_missing()
    if missing:
        files = _(
            "the map's browser files are missing (%(files)s): run %(command)s",
            files=", ".join(missing),
            command="`bash scripts/build_web.sh`",
        )
        console.print(f"[bold red]{_(ERROR)}[/] {files}", soft_wrap=True)
        raise typer.Exit(1)
    config = settings(store)
    if boundaries is not None:
        config = config.model_copy(update={"boundaries": boundaries})
    if admin_boundaries:
        config = config.model_copy(update={"admin_boundaries": admin_boundaries})
    if host not in ("127.0.0.1", "localhost", "::1") and not config.cookie_secure:
        beyond = _(
            "serving beyond loopback without SENTINELLE_COOKIE_SECURE=true: put the server "
            "behind HTTPS, and consider SENTINELLE_REQUIRE_LOGIN=true"
        )
        warning = _("warning:")
        console.print(f"[yellow]{warning}[/] {beyond}", soft_wrap=True)
    with failures():  # a store held by another process is a StoreBusyError, one line
        web = create_app(config)
    url = f"http://{host}:{port}/"
    console.print(_("Sentinelle dashboard on %(url)s (Ctrl-C stops it)", url=url))
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)


users_app = typer.Typer(
    cls=TranslatedGroup,
    help=N_(
        "Dashboard accounts: add, list.\n\n"
        "Example: [bold]sentinelle users add aminata --role admin[/]"
    ),
    no_args_is_help=True,
)

ADD_HELP = N_(
    "Create a dashboard user; the password is asked for (twice) unless piped in.\n\n"
    "Works while `sentinelle serve` runs: users live in STORE.web.sqlite.\n\n"
    "Example: [bold]sentinelle users add aminata --role admin[/]"
)


@users_app.command("add", cls=TranslatedCommand, help=ADD_HELP)
def users_add(
    name: Annotated[str, typer.Argument(help=N_("User name (letters, digits, . _ @ -)"))],
    role: Annotated[str, typer.Option(help=N_("viewer | analyst | admin"))] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=N_("Read the password from standard input"))
    ] = False,
    store: StoreOption = None,
) -> None:
    import sys

    from sentinelle.web import create_user, open_web_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    with failures(), open_web_store(settings(store).store).connect() as con:
        user = create_user(con, name, password, role)  # type: ignore[arg-type]
    created = _("user %(name)s", name=user.username)
    console.print(f"[green]{created}[/] " + _("(%(role)s) created", role=user.role))


LIST_HELP = N_(
    "List dashboard users with their role and state.\n\nExample: [bold]sentinelle users list[/]"
)


@users_app.command("list", cls=TranslatedCommand, help=LIST_HELP)
def users_list(store: StoreOption = None) -> None:
    from sentinelle.web import list_users, open_web_store

    with failures(), open_web_store(settings(store).store).connect() as con:
        rows = list_users(con)
    print_frame(
        pd.DataFrame(rows, columns=["username", "role", "disabled", "created_at"]), _("Users"), 100
    )
