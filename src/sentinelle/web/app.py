"""The dashboard application: :func:`create_app` assembles the API, the pages and security.

Security measures every response gets: a Content-Security-Policy allowing scripts,
styles, images and connections to this server only (the browser itself refuses any
CDN), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a
same-origin referrer policy. Request bodies are limited to :data:`MAX_BODY_BYTES`
(413 beyond, before anything reads them), and a 422 never echoes a password or a
whole body back, nor fails on a ``NaN`` it cannot write as JSON. FastAPI's ``/docs``
and ``/redoc`` would load Swagger UI and ReDoc from a CDN, so they are off; ``/docs``
is a page rendered here from the schema, which is published at ``/openapi.json``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinelle.config import Settings
from sentinelle.errors import StoreBusyError
from sentinelle.i18n import N_, Lang, translator
from sentinelle.store import open_store
from sentinelle.web import api, exports, pages
from sentinelle.web.access import RETRY_AFTER_S, MainStore
from sentinelle.web.auth import csrf_protect, current_user, session_secret
from sentinelle.web.language import request_lang
from sentinelle.web.state import WebState
from sentinelle.web.webstore import open_web_store

__all__ = ["MAX_BODY_BYTES", "create_app"]

log = logging.getLogger(__name__)

SESSION_COOKIE = "sentinelle_session"
SESSION_MAX_AGE = 8 * 3600  # a working day; then sign in again
# The largest legitimate body, a report with every field full, is under 8 KiB.
MAX_BODY_BYTES = 64 * 1024
# Fields a 422 never echoes back.
_SECRET_FIELDS = frozenset({"password"})

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


class BodyLimit:
    """ASGI middleware refusing a request body over ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is refused before the body is read;
    a chunked body is counted as it arrives and refused once past the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            response = JSONResponse({"detail": self._detail()}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised where the route reads its body: FastAPI answers it.
                raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counted, send)

    def _detail(self) -> str:
        return f"request body too large: the limit is {self.max_bytes // 1024} KiB"


def _echo_safe(errors: Any) -> Any:
    """Validation errors without secret or whole-body inputs, and JSON-safe.

    A body that is not an object, or a model-level error, would echo the whole
    body, password included; ``NaN`` and infinities are not JSON.
    """
    cleaned = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        whole = loc[:1] == ["body"] and (len(loc) == 1 or isinstance(error.get("input"), dict))
        if whole or _SECRET_FIELDS & set(loc):
            error = {k: v for k, v in error.items() if k != "input"}
        cleaned.append(error)
    return _finite(jsonable_encoder(cleaned))


def _translated(errors: Any, lang: Lang) -> Any:
    """Validation errors whose reason is a catalogue message (a validator's
    ``ValueError(N_(...))``, e.g. the period's), with ``msg`` in ``lang``."""
    t = translator(lang)
    out = []
    for error in errors:
        reason = str((error.get("ctx") or {}).get("error", ""))
        if reason and error.get("type") == "value_error" and t.gettext(reason) != reason:
            error = {**error, "msg": t.gettext(reason)}
        out.append(error)
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# Titles of the error statuses, for the error page and the ``message`` of API errors.
STATUS_TITLES = {
    400: N_("Bad request"),
    401: N_("Not signed in"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    503: N_("Store busy"),
}
# The API's error details, matched to their catalogue messages: ``detail`` stays the
# English of the API's contract, ``message`` says it in the reader's language.
_API_MESSAGES = [
    (re.compile(pattern), message)
    for pattern, message in (
        (r"sign in first \(POST /api/login\)", N_("sign in first (POST /api/login)")),
        (r"wrong user name or password", N_("wrong user name or password")),
        (
            r"CSRF token missing or invalid.*",
            N_("the form has expired or came from elsewhere: reload the page and try again"),
        ),
        (
            r"this needs the (?P<role>\w+) role; you are (?P<current>\w+)",
            N_("this needs the %(role)s role; you are %(current)s"),
        ),
        (
            r"too many requests: the limit is (?P<limit>.+); retry in (?P<retry>\d+) s",
            N_("too many requests: the limit is %(limit)s; retry in %(retry)s s"),
        ),
        (
            r"request body too large: the limit is (?P<kib>\d+) KiB",
            N_("request body too large: the limit is %(kib)s KiB"),
        ),
        (r"admins cannot (change their own account|demote or disable themselves)",
         N_("admins cannot change their own account")),
        (r"no impact analysis stored.*", N_("no impact analysis stored")),
        (r"no such table or format", N_("no such table or format")),
        (r"Not Found", N_("this page does not exist")),
    )
]  # fmt: skip
# What a page's query parameters expect, said when a value is refused.
_FIELD_HINTS = {
    "period": N_("a month range such as 2023-07..2024-06"),
    "country": N_("an ISO3 country code such as MLI"),
    "mission": N_("a mission name such as MINUSMA"),
    "level": N_("country or admin1"),
    "status": N_("submitted, confirmed or rejected"),
    "source": N_("a source name such as acled or ged"),
}


def _message(detail: object, lang: Lang) -> str:
    """An error detail in ``lang`` when the catalogue has it, else as it is (English
    details are the API's own words)."""
    text = str(detail)
    if lang == "en":
        return text
    t = translator(lang)
    for pattern, message in _API_MESSAGES:
        found = pattern.fullmatch(text)
        if found:
            return (
                t.gettext(message) % found.groupdict() if found.groupdict() else t.gettext(message)
            )
    return text


def _prepare_store(path: str) -> None:
    """Create the main store or bring its schema up to date, then let it go.

    A store another process is writing is left as it is: that writer migrated it.
    """
    with contextlib.suppress(StoreBusyError):
        open_store(path).close()


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
    settings: Settings | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> FastAPI:
    """The dashboard as an ASGI app.

    Parameters
    ----------
    settings : Settings, optional
        Store path, secret key, boundaries, cookie and rate-limit settings; read from
        the environment and ``sentinelle.toml`` when omitted.
    con : duckdb.DuckDBPyConnection, optional
        An open store to serve (the caller keeps it; tests, in-memory stores);
        otherwise each read opens ``settings.store`` read-only for its duration
        (:class:`~sentinelle.web.access.MainStore`), so the command line can write it.

    Users, sessions and analyst reports live in the web store beside the main one
    (:mod:`~sentinelle.web.webstore`); a main store's own are copied there once.

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from sentinelle.store import open_store
    >>> app = create_app(Settings(store=":memory:"), open_store(":memory:"))
    >>> TestClient(app).get("/api/session").status_code
    200
    """
    settings = settings or Settings()
    path = str(settings.store)
    if con is None:
        _prepare_store(path)
    state = WebState(
        settings=settings,
        main=MainStore(path, con),
        web=open_web_store(path, con),
        heavy_rate_limit=settings.heavy_rate_limit,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        missing = pages.vendor_missing()
        if missing:
            log.warning("map assets missing (%s): run scripts/build_web.sh", ", ".join(missing))
        yield

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
    app.add_middleware(BodyLimit)
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
    app.include_router(exports.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def errors(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API; for pages, the login form (401) or an error page."""
        allowed = _allowed_methods(request) if exc.status_code == 405 else set()
        if allowed:
            # Starlette's Allow names the methods of the first route of the path only.
            exc.headers = {"Allow": ", ".join(sorted(allowed))}
        lang = request_lang(request)
        if request.url.path.startswith("/static/"):
            return await http_exception_handler(request, exc)
        if request.url.path.startswith("/api/"):
            title = STATUS_TITLES.get(exc.status_code)
            return JSONResponse(
                {
                    "detail": exc.detail,
                    "message": _message(exc.detail, lang),
                    "title": translator(lang).gettext(title) if title else None,
                },
                status_code=exc.status_code,
                headers={**(exc.headers or {}), "Content-Language": lang},
            )
        if exc.status_code == 401 and request.method == "GET":
            return pages.login_redirect(request)
        with state.web.connect() as web:
            user = current_user(request, web)
        page = pages.render(
            request,
            "error.html",
            user,
            status_code=exc.status_code,
            code=exc.status_code,
            status_title=translator(lang).gettext(STATUS_TITLES.get(exc.status_code, N_("Error"))),
            detail=_message(exc.detail, lang),
        )
        page.headers.update(exc.headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's 422, minus secrets and whole bodies, and serialisable; on a page,
        the error page saying in words which field was refused and what it expects."""
        if request.url.path.startswith("/api/") or request.method != "GET":
            return JSONResponse(
                {"detail": _echo_safe(_translated(exc.errors(), request_lang(request)))},
                status_code=422,
            )
        t = translator(request_lang(request))
        reasons = []
        for error in exc.errors():
            field = str(error.get("loc", ("", ""))[-1])
            hint = _FIELD_HINTS.get(field)
            reasons.append(
                t.gettext("%(field)s: the value was not understood; expected %(hint)s")
                % {"field": field, "hint": t.gettext(hint)}
                if hint
                else t.gettext("%(field)s: the value was not understood") % {"field": field}
            )
        with state.web.connect() as web:
            user = current_user(request, web)
        return pages.render(
            request,
            "error.html",
            user,
            status_code=422,
            code=422,
            status_title=t.gettext(STATUS_TITLES[422]),
            detail="; ".join(reasons),
        )

    @app.exception_handler(StoreBusyError)
    async def busy(request: Request, exc: StoreBusyError) -> Response:
        """503 with Retry-After while an ingest holds the store past the bounded wait."""
        retry = {"Retry-After": str(RETRY_AFTER_S)}
        return await errors(request, StarletteHTTPException(503, str(exc), headers=retry))

    return app
