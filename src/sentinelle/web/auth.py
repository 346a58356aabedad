"""Users, passwords, sessions, roles, CSRF tokens and rate limits of the dashboard.

* Users live in the web store's ``users`` table (:mod:`~sentinelle.web.webstore`) with
  an Argon2id hash of their password (``argon2-cffi``'s RFC 9106 defaults); the
  password itself is never stored or logged.
* Roles are ordered ``viewer < analyst < admin``: viewers read analyst reports,
  analysts also file them, admins also review them and manage users.
* A session is a signed cookie (Starlette's ``SessionMiddleware``: HttpOnly,
  SameSite=Lax, Secure when configured) holding a session id and a CSRF token. The
  id must name a row of the ``sessions`` table, which signing out deletes, as do a
  change of the user's password, role or disabled flag: a saved cookie replayed
  after any of these signs nobody in. The user is read again on every request.
* Every state-changing request (any method but GET, HEAD, OPTIONS) must carry the
  session's CSRF token, in the ``X-CSRF-Token`` header or a ``csrf_token`` form
  field, or is refused with 403 (:func:`csrf_protect`, installed app-wide).
* Rate limits per client address use the ``limits`` library's moving window
  (:func:`rate_limit`): logins 5 a minute and writes 30 a minute by default.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, status
from fastapi.concurrency import run_in_threadpool

from sentinelle.config import Settings
from sentinelle.errors import UsageError
from sentinelle.i18n import N_
from sentinelle.web.messages import Explained, WebError, word
from sentinelle.web.state import web_state, webdb
from sentinelle.web.webstore import now_utc, rows, utc

__all__ = [
    "ROLES",
    "AccountError",
    "Role",
    "UnknownUserError",
    "User",
    "authenticate",
    "count_request",
    "create_user",
    "csrf_protect",
    "csrf_token",
    "current_user",
    "end_session",
    "list_users",
    "login_gate",
    "rate_limit",
    "reader",
    "require_role",
    "session_secret",
    "signed_in",
    "start_session",
    "update_user",
]

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{3,64}$"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a megabyte "password" is a denial of service

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a login for an unknown name
# takes as long as one with a wrong password and does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Each Argon2id hash takes 64 MiB and a core for tens of milliseconds: 50 sign-ins at
# once would take 3 GiB and every core from the other requests. Two at a time.
_HASHING = threading.BoundedSemaphore(2)
# What a refused request is told (the app says it in the reader's language).
_SIGN_IN = N_("sign in first (POST /api/login)")
_CSRF_MESSAGE = N_(
    "CSRF token missing or invalid: the form has expired or came from elsewhere, reload "
    "the page and try again (API clients: send the session's token as the X-CSRF-Token "
    "header or the csrf_token form field; GET /api/session gives it)"
)
# The units of time of a rate limit (``limits``' granularity names), as words.
_UNITS = {
    "second": N_("second"),
    "minute": N_("minute"),
    "hour": N_("hour"),
    "day": N_("day"),
    "month": N_("month"),
    "year": N_("year"),
}


class AccountError(Explained, UsageError):
    """A user name, password or role that cannot be accepted, or a name already taken
    (the API answers 409), said as a catalogue message."""


class UnknownUserError(AccountError, LookupError):
    """No user has the name given (the API answers 404)."""


@dataclass(frozen=True)
class User:
    """A signed-in user."""

    user_id: int
    username: str
    role: Role

    def can(self, role: Role) -> bool:
        """Whether this user's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _check_username(username: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise AccountError(
            N_("user names are 3 to 64 letters, digits or . _ @ - (no spaces), got '%(name)s'"),
            name=username,
        )
    return username.lower()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            N_("passwords have %(min)d to %(max)d characters"), min=MIN_PASSWORD, max=MAX_PASSWORD
        )


def create_user(con: sqlite3.Connection, username: str, password: str, role: Role) -> User:
    """Add a user with an Argon2id hash of ``password``.

    Raises
    ------
    UsageError
        If the name or password is not acceptable, the role unknown, or the name taken
        (names are case-insensitive).

    Examples
    --------
    >>> from sentinelle.web.webstore import open_web_store
    >>> with open_web_store(":memory:").connect() as con:
    ...     create_user(con, "Aminata", "correct horse battery", "admin").username
    'aminata'
    """
    name = _check_username(username)
    _check_password(password)
    if role not in ROLES:
        raise AccountError(
            N_("role must be one of %(roles)s, got '%(role)s'"), roles=", ".join(ROLES), role=role
        )
    try:
        row = con.execute(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?) "
            "RETURNING user_id",
            [name, _hasher.hash(password), role, now_utc()],
        ).fetchone()
    except sqlite3.IntegrityError:
        raise AccountError(N_("user '%(name)s' already exists"), name=name) from None
    assert row is not None  # RETURNING always yields the inserted row
    return User(int(row[0]), name, role)


def list_users(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every user (without hashes), by name; ``created_at`` in UTC."""
    found = rows(
        con.execute(
            "SELECT user_id, username, role, disabled, created_at FROM users ORDER BY username"
        )
    )
    return [
        {
            **row,
            "disabled": bool(row["disabled"]),
            "created_at": utc(row["created_at"]),
        }
        for row in found
    ]


def update_user(
    con: sqlite3.Connection,
    username: str,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> None:
    """Change a user's role, disabled flag or password, ending the user's sessions.

    Raises
    ------
    UnknownUserError
        If there is no such user.
    UsageError
        If the role or password is not acceptable.
    """
    if role is not None and role not in ROLES:
        raise AccountError(
            N_("role must be one of %(roles)s, got '%(role)s'"), roles=", ".join(ROLES), role=role
        )
    if password is not None:
        _check_password(password)
    hashed = _hasher.hash(password) if password else None
    with con:  # one transaction: no session outlives the change
        row = con.execute(
            "UPDATE users SET role = coalesce(?, role), disabled = coalesce(?, disabled), "
            "password_hash = coalesce(?, password_hash) WHERE username = ? RETURNING user_id",
            [role, disabled, hashed, username.lower()],
        ).fetchone()
        if row is None:
            raise UnknownUserError(N_("no user '%(name)s'"), name=username)
        if (role, disabled, hashed) != (None, None, None):
            con.execute("DELETE FROM sessions WHERE user_id = ?", [row[0]])


def authenticate(con: sqlite3.Connection, username: str, password: str) -> User | None:
    """The user if ``password`` is theirs and they are not disabled, else None.

    A hash made with older parameters is replaced by one with the current ones.
    """
    row = con.execute(
        "SELECT user_id, username, role, password_hash, disabled FROM users WHERE username = ?",
        [username.lower()],
    ).fetchone()
    if row is None or len(password) > MAX_PASSWORD:
        with contextlib.suppress(VerificationError), _HASHING:
            _hasher.verify(_DUMMY_HASH, password[:MAX_PASSWORD])
        return None
    user_id, name, role, stored, disabled = row
    try:
        with _HASHING:
            _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        con.execute(
            "UPDATE users SET password_hash = ? WHERE user_id = ?",
            [_hasher.hash(password), user_id],
        )
    return User(int(user_id), str(name), role)


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies.

    ``settings.secret_key`` (env ``SENTINELLE_SECRET_KEY``) when set; otherwise a
    random key generated on first use and kept in ``<store>.secret`` (mode 0600), so
    that sessions survive a restart. An in-memory store gets a key for this process.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if str(settings.store) == ":memory:":
        return secrets.token_urlsafe(32)
    path = Path(f"{settings.store}.secret")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two servers starting together cannot overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created with the session if there is none yet."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def start_session(request: Request, user: User, con: sqlite3.Connection) -> str:
    """Sign ``user`` in: a fresh session (no fixation) with a new CSRF token."""
    end_session(request, con)
    session_id = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO sessions (session_id, user_id, created_at) VALUES (?, ?, ?)",
        [session_id, user.user_id, now_utc()],
    )
    request.session["sid"] = session_id
    return csrf_token(request)


def end_session(request: Request, con: sqlite3.Connection) -> None:
    """Sign out: the session's row is deleted, so its cookie is worth nothing."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        con.execute("DELETE FROM sessions WHERE session_id = ?", [session_id])
    request.session.clear()


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request without the session's CSRF token (403)."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get("csrf_token")
        sent = field if isinstance(field, str) else None
    expected = request.session.get("csrf")
    if not (sent and isinstance(expected, str) and secrets.compare_digest(sent, expected)):
        raise WebError(status.HTTP_403_FORBIDDEN, _CSRF_MESSAGE)


def current_user(
    request: Request, con: Annotated[sqlite3.Connection, Depends(webdb)]
) -> User | None:
    """The signed-in user, or None (a FastAPI dependency)."""
    session_id = request.session.get("sid")
    if not isinstance(session_id, str):
        return None
    row = con.execute(
        "SELECT u.user_id, u.username, u.role FROM sessions s JOIN users u USING (user_id) "
        "WHERE s.session_id = ? AND NOT u.disabled",
        [session_id],
    ).fetchone()
    if row is None:
        request.session.clear()
        return None
    return User(int(row[0]), str(row[1]), row[2])


def reader(request: Request, user: Annotated[User | None, Depends(current_user)]) -> User | None:
    """The user of a page anyone may read, or 401 if ``require_login`` is set and none."""
    if user is None and web_state(request).settings.require_login:
        raise WebError(status.HTTP_401_UNAUTHORIZED, _SIGN_IN)
    return user


async def login_gate(request: Request) -> None:
    """Like :func:`reader` for the API, but touches a store only if a login is required.

    Published reads are then answered without a connection or a worker thread.
    """
    if not web_state(request).settings.require_login:
        return
    if await signed_in(request) is None:
        raise WebError(status.HTTP_401_UNAUTHORIZED, _SIGN_IN)


async def signed_in(request: Request) -> User | None:
    """:func:`current_user` from an async route (the web store is read in a worker thread)."""
    if not isinstance(request.session.get("sid"), str):
        return None

    def lookup() -> User | None:
        with web_state(request).web.connect() as con:
            return current_user(request, con)

    return await run_in_threadpool(lookup)


def require_role(role: Role) -> Callable[[User | None], User]:
    """A dependency admitting users of ``role`` or above: 401 signed out, 403 below."""

    def check(user: Annotated[User | None, Depends(current_user)]) -> User:
        if user is None:
            raise WebError(status.HTTP_401_UNAUTHORIZED, _SIGN_IN)
        if not user.can(role):
            raise WebError(
                status.HTTP_403_FORBIDDEN,
                N_("this needs the %(role)s role; you are %(current)s"),
                role=word(role),
                current=word(user.role),
            )
        return user

    return check


def rate_limit(
    name: Literal["login", "write", "heavy"],
) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting requests per client address against the named limit (429)."""

    async def check(request: Request) -> None:
        count_request(request, name)

    return check


def count_request(request: Request, name: Literal["login", "write", "heavy"]) -> None:
    """Count the request against the named limit of its client address; 429 beyond it."""
    state = web_state(request)
    item = state.limits[name]
    client = request.client.host if request.client else "unknown"
    if not state.limiter.hit(item, name, client):
        reset, _ = state.limiter.get_window_stats(item, name, client)
        retry = max(1, int(reset - time.time()))
        raise WebError(
            status.HTTP_429_TOO_MANY_REQUESTS,
            N_(
                "too many requests: the limit is %(amount)s per %(per)s %(unit)s; "
                "retry in %(retry)s s"
            ),
            headers={"Retry-After": str(retry)},
            amount=item.amount,
            per=item.multiples,
            unit=word(_UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)),
            retry=retry,
        )
