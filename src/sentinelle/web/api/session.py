"""Sessions and accounts: sign in and out, the CSRF token, and user management (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, status
from fastapi.responses import Response

from sentinelle.i18n import N_
from sentinelle.web.api.params import Admin, WebCursor
from sentinelle.web.api.responses import error_responses
from sentinelle.web.api.schemas import LoginIn, SessionOut, UserIn, UserOut, UserPatch, UserRow
from sentinelle.web.auth import (
    USERNAME_PATTERN,
    AccountError,
    UnknownUserError,
    User,
    authenticate,
    create_user,
    csrf_token,
    current_user,
    end_session,
    list_users,
    rate_limit,
    start_session,
    update_user,
)
from sentinelle.web.messages import WebError

__all__ = ["router"]

# Writes answer 400 to a body FastAPI cannot decode.
router = APIRouter(responses=error_responses(400))


@router.get("/session", response_model=SessionOut, tags=["session"])
def session(request: Request, user: Annotated[User | None, Depends(current_user)]) -> SessionOut:
    """Who is signed in, and the CSRF token every POST or PATCH must send."""
    out = UserOut(username=user.username, role=user.role) if user else None
    return SessionOut(user=out, csrf_token=csrf_token(request))


@router.post(
    "/login",
    response_model=SessionOut,
    tags=["session"],
    dependencies=[Depends(rate_limit("login"))],
    responses=error_responses(401, 403, 429),
)
def login(request: Request, credentials: LoginIn, con: WebCursor) -> SessionOut:
    """Sign in; the response carries the new session's CSRF token."""
    user = authenticate(con, credentials.username, credentials.password)
    if user is None:
        raise WebError(status.HTTP_401_UNAUTHORIZED, N_("wrong user name or password"))
    token = start_session(request, user, con)
    return SessionOut(user=UserOut(username=user.username, role=user.role), csrf_token=token)


@router.post("/logout", status_code=204, tags=["session"], responses=error_responses(403))
def logout(request: Request, con: WebCursor) -> Response:
    """Sign out: the session ends on the server too, so a saved cookie no longer works."""
    end_session(request, con)
    return Response(status_code=204)


@router.get(
    "/users", response_model=list[UserRow], tags=["users"], responses=error_responses(401, 403)
)
def users(con: WebCursor, _: Admin) -> list[dict[str, Any]]:
    """Every user (admins)."""
    return list_users(con)


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    tags=["users"],
    dependencies=[Depends(rate_limit("write"))],
    responses=error_responses(401, 403, 409, 429),
)
def add_user(con: WebCursor, _: Admin, new: UserIn) -> UserOut:
    """Create a user (admins)."""
    try:
        created = create_user(con, new.username, new.password, new.role)
    except AccountError as exc:
        raise WebError.of(status.HTTP_409_CONFLICT, exc) from None
    return UserOut(username=created.username, role=created.role)


@router.patch(
    "/users/{username}",
    status_code=204,
    tags=["users"],
    dependencies=[Depends(rate_limit("write"))],
    responses=error_responses(401, 403, 404, 429),
)
def change_user(
    con: WebCursor,
    admin: Admin,
    username: Annotated[str, Path(pattern=USERNAME_PATTERN)],
    change: Annotated[UserPatch, Body()],
) -> Response:
    """Change a user's role, disabled flag or password (admins; not their own role).

    The user's sessions end: they sign in again under the new terms.
    """
    if username.lower() == admin.username and (
        change.role not in (None, "admin") or change.disabled
    ):
        raise WebError(status.HTTP_403_FORBIDDEN, N_("admins cannot demote or disable themselves"))
    try:
        update_user(
            con, username, role=change.role, disabled=change.disabled, password=change.password
        )
    except UnknownUserError as exc:
        raise WebError.of(status.HTTP_404_NOT_FOUND, exc) from None
    return Response(status_code=204)
