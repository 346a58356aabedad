"""The dashboard application: :func:`create_app` assembles the API, the pages and security.

Security measures every response gets: a Content-Security-Policy allowing scripts,
styles, images and connections to this server only (the browser itself refuses any
CDN), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a
same-origin referrer policy. FastAPI's ``/docs`` and ``/redoc`` would load Swagger UI
and ReDoc from a CDN, so they are off; ``/docs`` is a page rendered here from the
schema, which is published at ``/openapi.json``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing

import duckdb
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinelle.config import Settings
from sentinelle.store import open_store
from sentinelle.web import api, pages
from sentinelle.web.auth import csrf_protect, current_user, session_secret
from sentinelle.web.state import WebState

__all__ = ["create_app"]

log = logging.getLogger(__name__)

SESSION_COOKIE = "sentinelle_session"
SESSION_MAX_AGE = 8 * 3600  # a working day; then sign in again

_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`_SECURITY_HEADERS` to every HTTP response.

    Written as plain ASGI rather than ``@app.middleware("http")``, whose wrapper
    costs a task and a stream per request on the latency-critical map endpoint.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _allowed_methods(request: Request) -> set[str]:
    """Every method the schema documents for the request's path (API paths only)."""
    methods: set[str] = set()
    for template, item in request.app.openapi()["paths"].items():
        pattern = "/".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/")
        )
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in item}
    return methods


def create_app(
    settings: Settings | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> FastAPI:
    """The dashboard as an ASGI app.

    Parameters
    ----------
    settings : Settings, optional
        Store path, secret key, boundaries, cookie and rate-limit settings; read from
        the environment and ``sentinelle.toml`` when omitted.
    con : duckdb.DuckDBPyConnection, optional
        An open store to serve (the caller keeps it); otherwise the app opens
        ``settings.store`` read-write when it starts and closes it when it stops.

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from sentinelle.store import open_store
    >>> app = create_app(Settings(store=":memory:"), open_store(":memory:"))
    >>> TestClient(app).get("/api/session").status_code
    200
    """
    settings = settings or Settings()
    owned = con is None
    state = WebState(settings=settings, con=con or open_store(settings.store))
    # Timestamps the server writes (reports, users) are UTC, whatever the machine's zone.
    state.con.execute("SET GLOBAL TimeZone = 'UTC'")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        missing = pages.vendor_missing()
        if missing:
            log.warning("map assets missing (%s): run scripts/build_web.sh", ", ".join(missing))
        yield
        if owned:
            state.con.close()

    app = FastAPI(
        title="Sentinelle",
        version="0.1.0",
        summary="Open conflict early warning: events, forecasts, peacekeeping impact.",
        description=api.__doc__ or "",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(csrf_protect)],
        lifespan=lifespan,
    )
    app.state.web = state
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(SecurityHeaders)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def errors(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API; for pages, the login form (401) or an error page."""
        allowed = _allowed_methods(request) if exc.status_code == 405 else set()
        if allowed:
            # Starlette's Allow names the methods of the first route of the path only.
            exc.headers = {"Allow": ", ".join(sorted(allowed))}
        if request.url.path.startswith(("/api/", "/static/")):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401 and request.method == "GET":
            return pages.login_redirect(request)
        with closing(state.con.cursor()) as cursor:
            user = current_user(request, cursor)
        page = pages.render(
            request,
            "error.html",
            user,
            status_code=exc.status_code,
            code=exc.status_code,
            detail=exc.detail,
        )
        page.headers.update(exc.headers or {})
        return page

    return app
