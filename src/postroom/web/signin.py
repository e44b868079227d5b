"""Signing in and out of the dashboard, with the API's users, password check and login
throttle (services/accounts)."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from postroom.domain.errors import TooManyAttempts, Unauthenticated
from postroom.http.deps import ContainerDep
from postroom.services import accounts
from postroom.web.errors import PageRoute
from postroom.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    check_csrf,
    forget_cookie,
    local_path,
    set_cookie,
)
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

WRONG_PASSWORD = "The username or password is wrong. Check both and try again."
FIELD_MAX = 200  # longer than any username or password we issue; refused before argon2


@router.get("/signin")
def signin_form(request: Request, c: ContainerDep, next: str = "/") -> Response:
    """The sign-in form."""
    if request.cookies.get(SESSION_COOKIE):
        try:
            accounts.authenticate_session(
                uow=c.uow(), clock=c.clock, token=request.cookies[SESSION_COOKIE]
            )
            return RedirectResponse(local_path(next), status_code=303)
        except Unauthenticated:
            pass
    return _form(request, c, next=local_path(next))


def _form(
    request: Request,
    c: ContainerDep,
    *,
    next: str,
    status: int = 200,
    username: str = "",
    errors: dict[str, str] | None = None,
    summary: str = "",
) -> Response:
    return render(
        request,
        c,
        "signin.html",
        status=status,
        next=next,
        username=username,
        errors=errors or {},
        summary=summary,
        title="Sign in",
    )


@router.post("/signin")
def signin(
    request: Request,
    c: ContainerDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the username and password; open a session and go on, or say what is wrong."""
    check_csrf(request, c, csrf_token)
    target = local_path(next)
    username = username.strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username."
    if not password:
        errors["password"] = "Enter your password."
    if len(username) > FIELD_MAX or len(password) > FIELD_MAX:
        errors["password"] = WRONG_PASSWORD
    if errors:
        return _form(
            request, c, next=target, status=422, username=username[:FIELD_MAX], errors=errors
        )
    try:
        # The API's check, throttle included, then the API's session (POST /v1/sessions).
        accounts.authenticate_password(
            uow=c.uow(),
            username=username,
            password=password,
            clock=c.clock,
            client=request.client.host if request.client else None,
        )
        session, token = accounts.login(
            uow=c.uow(), clock=c.clock, username=username, password=password, ttl=c.session_ttl()
        )
    except TooManyAttempts as exc:
        return _form(request, c, next=target, status=429, username=username, summary=exc.message)
    except Unauthenticated:
        return _form(request, c, next=target, status=401, username=username, summary=WRONG_PASSWORD)
    response = RedirectResponse(target, status_code=303)
    age = int((session.expires_at - session.created_at).total_seconds())
    set_cookie(response, c, SESSION_COOKIE, token, age)
    return response


@router.post("/signout")
def signout(
    request: Request,
    c: ContainerDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """End the session and forget its cookie."""
    check_csrf(request, c, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        # Already ended or expired: signing out again is not an error.
        with contextlib.suppress(Unauthenticated):
            accounts.logout(uow=c.uow(), clock=c.clock, token=token)
    response = RedirectResponse("/signin", status_code=303)
    forget_cookie(response, c, SESSION_COOKIE)
    return response
