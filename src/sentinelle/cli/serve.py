"""``sentinelle serve`` and ``users``: the web dashboard and its accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from sentinelle.cli._common import StoreOption, console, failures, print_frame, settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="Natural Earth admin-0 file for map outlines (default: pyogrio's)"),
    ] = None,
    admin_boundaries: Annotated[
        list[Path] | None,
        typer.Option(help="Admin-1/2 boundary file with P-codes for the map's choropleth"),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Serve the web dashboard and the JSON API (OpenAPI schema at /openapi.json).

    The server reads the store only for the length of each query, so `sentinelle ingest`
    and `status` work while it runs, and new data shows without a restart. Users,
    sessions and analyst reports live beside the store, in STORE.web.sqlite. Sessions
    are signed with SENTINELLE_SECRET_KEY, or a key kept in STORE.secret. Create the
    first admin with `sentinelle users add NAME --role admin` (also while serving).

    Example: [bold]sentinelle serve --port 8000 --boundaries africa_admin0.geojson[/]
    """
    import uvicorn

    from sentinelle.web import create_app
    from sentinelle.web.pages import vendor_missing

    missing = vendor_missing()
    if missing:
        console.print(
            f"[bold red]error:[/] the map's browser files are missing ({', '.join(missing)}): "
            "run `bash scripts/build_web.sh`",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    config = settings(store)
    if boundaries is not None:
        config = config.model_copy(update={"boundaries": boundaries})
    if admin_boundaries:
        config = config.model_copy(update={"admin_boundaries": admin_boundaries})
    if host not in ("127.0.0.1", "localhost", "::1") and not config.cookie_secure:
        console.print(
            "[yellow]warning:[/] serving beyond loopback without SENTINELLE_COOKIE_SECURE=true:"
            " put the server behind HTTPS, and consider SENTINELLE_REQUIRE_LOGIN=true",
            soft_wrap=True,
        )
    with failures():  # a store held by another process is a StoreBusyError, one line
        web = create_app(config)
    console.print(f"Sentinelle dashboard on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)


users_app = typer.Typer(
    help="Dashboard accounts: add, list.\n\n"
    "Example: [bold]sentinelle users add aminata --role admin[/]",
    no_args_is_help=True,
)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="viewer | analyst | admin")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Create a dashboard user; the password is asked for (twice) unless piped in.

    Works while `sentinelle serve` runs: users live in STORE.web.sqlite.

    Example: [bold]sentinelle users add aminata --role admin[/]
    """
    import sys

    from sentinelle.web import create_user, open_web_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with failures(), open_web_store(settings(store).store).connect() as con:
        user = create_user(con, name, password, role)  # type: ignore[arg-type]
    console.print(f"[green]user {user.username}[/] ({user.role}) created")


@users_app.command("list")
def users_list(store: StoreOption = None) -> None:
    """List dashboard users with their role and state.

    Example: [bold]sentinelle users list[/]
    """
    from sentinelle.web import list_users, open_web_store

    with failures(), open_web_store(settings(store).store).connect() as con:
        rows = list_users(con)
    print_frame(
        pd.DataFrame(rows, columns=["username", "role", "disabled", "created_at"]), "Users", 100
    )
