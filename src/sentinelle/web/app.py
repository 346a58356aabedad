"""The dashboard application: :func:`create_app` assembles the API, the pages and security.

Security measures every response gets: a Content-Security-Policy allowing scripts,
styles, images and connections to this server only (the browser itself refuses any
CDN), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a
same-origin referrer policy. Request bodies are limited to :data:`MAX_BODY_BYTES`
(413 beyond, before anything reads them), and a 422 never echoes a password or a
whole body back, nor fails on a ``NaN`` it cannot write as JSON. FastAPI's ``/docs``
and ``/redoc`` would load Swagger UI and ReDoc from a CDN, so they are off; ``/docs``
is a page rendered here from the schema, which is published at ``/openapi.json``.

Errors are raised where they are decided as catalogue messages
(:mod:`~sentinelle.web.messages`: a ``WebError`` or a validator's ``InvalidValue``
carrying an ``N_`` msgid and its values); the handlers here translate them once, in
the request's language (:func:`~sentinelle.web.language.request_lang`). An API error's
body is ``{"detail": English (the contract), "message": the reader's language,
"title": the status in words}``; a 422's ``msg`` is in the reader's language.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import duckdb
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from sentinelle.config import Settings
from sentinelle.errors import StoreBusyError
from sentinelle.i18n import N_, Lang, translator
from sentinelle.store import open_store
from sentinelle.web import api, exports, pages
from sentinelle.web.access import RETRY_AFTER_S, MainStore
from sentinelle.web.auth import csrf_protect, current_user, session_secret
from sentinelle.web.language import request_lang
from sentinelle.web.messages import Explained, Message, WebError
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

        async def send_with_headers(message: ASGIMessage) -> None:
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
            response = api_error(413, self._message(), request_lang(StarletteRequest(scope)))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> ASGIMessage:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised where the route reads its body: FastAPI answers it.
                raise WebError.of(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> Message:
        return Message(
            N_("request body too large: the limit is %(kib)s KiB"),
            {"kib": self.max_bytes // 1024},
        )


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


def _said(errors: Any, lang: Lang) -> Any:
    """Validation errors with the ``msg`` of a catalogue refusal (a validator's
    :class:`~sentinelle.web.messages.InvalidValue`) in ``lang``; the refusal object
    itself is not echoed."""
    out = []
    for error in errors:
        ctx = error.get("ctx") or {}
        reason = ctx.get("error")
        if isinstance(reason, Explained):
            error = {**error, "msg": reason.message.say(lang), "ctx": {**ctx, "error": {}}}
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
# What Starlette's own errors (no route for the path, a method it does not take) say.
_FRAMEWORK_MESSAGES = {
    404: N_("this page does not exist"),
    405: N_("this address does not accept this method"),
}
# What a page's query parameters expect, said when a value is refused.
_FIELD_HINTS = {
    "period": N_("a month range such as 2023-07..2024-06"),
    "country": N_("an ISO3 country code such as MLI"),
    "mission": N_("a mission name such as MINUSMA"),
    "level": N_("country or admin1"),
    "status": N_("submitted, confirmed or rejected"),
    "source": N_("a source name such as acled or ged"),
}


def _message(exc: StarletteHTTPException) -> Message | None:
    """What an HTTP error says, as a catalogue message.

    A :class:`~sentinelle.web.messages.WebError` carries its own. An error Starlette
    raises itself (no route, a method not allowed) has the status's standard phrase
    as its detail and says :data:`_FRAMEWORK_MESSAGES` (else its status title). Any
    other detail (a library's) has none: it is shown as it is.
    """
    if isinstance(exc, WebError):
        return exc.message
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        return None
    if exc.detail == phrase:
        known = _FRAMEWORK_MESSAGES.get(exc.status_code) or STATUS_TITLES.get(exc.status_code)
        return Message(known) if known else None
    return None


def api_error(
    status_code: int,
    message: Message | None,
    lang: Lang,
    *,
    detail: object = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON body of an API error: ``detail`` the English of the API's contract,
    ``message`` the same in ``lang``, ``title`` the status in ``lang``."""
    title = STATUS_TITLES.get(status_code)
    english = detail if detail is not None else str(message)
    return JSONResponse(
        {
            "detail": english,
            "message": message.say(lang) if message else str(english),
            "title": translator(lang).gettext(title) if title else None,
        },
        status_code=status_code,
        headers={**(headers or {}), "Content-Language": lang},
    )


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
        message = _message(exc)
        if request.url.path.startswith("/api/"):
            return api_error(exc.status_code, message, lang, detail=exc.detail, headers=exc.headers)
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
            detail=message.say(lang) if message else str(exc.detail),
        )
        page.headers.update(exc.headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's 422, minus secrets and whole bodies, and serialisable; on a page,
        the error page saying in words which field was refused and what it expects."""
        if request.url.path.startswith("/api/") or request.method != "GET":
            lang = request_lang(request)
            return JSONResponse(
                {"detail": _echo_safe(_said(exc.errors(), lang))},
                status_code=422,
                headers={"Content-Language": lang},
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
        said = (
            exc
            if isinstance(exc, Explained)
            else Explained(
                N_("the store is being written by another process: retry in %(retry)s s"),
                retry=RETRY_AFTER_S,
            )
        )
        return await errors(request, WebError.of(503, said, headers=retry))

    return app
