"""The dashboard's session cookie and CSRF tokens.

The session is the API's own login session (services/accounts.login): its token travels
in an HttpOnly, SameSite=Lax cookie, Secure outside development. Every form carries a
CSRF token: an HMAC, under the server's secret key, of a random value kept in a second
cookie of the same kind (a page on another site can neither read that cookie nor compute
the HMAC), checked on every POST before anything else is done."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import Response

from postroom.bootstrap import Container
from postroom.domain.errors import Unauthenticated
from postroom.domain.model import Account
from postroom.http.deps import ContainerDep
from postroom.services import accounts
from postroom.services.accounts import Principal

SESSION_COOKIE = "postroom_session"
CSRF_COOKIE = "postroom_csrf"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE_AGE = timedelta(days=30)
_CSRF_PURPOSE = b"postroom dashboard csrf\x00"


class SignInNeeded(Exception):
    """No live session: the visitor is sent to the sign-in page, then back to `next`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form came without the token of this browser's CSRF cookie."""


@dataclass(frozen=True)
class Visitor:
    """A signed-in person: their account (the scope of every page) and session token."""

    principal: Principal
    token: str
    account: Account  # its name, and whether it is a sandbox's or the print room's

    @property
    def account_id(self) -> str:
        """The account every page is scoped to."""
        return self.principal.account_id


def secure_cookies(c: Container) -> bool:
    """Cookies go over HTTPS only, except in development (make run on plain HTTP)."""
    return c.settings.env != "development"


def set_cookie(response: Response, c: Container, name: str, value: str, max_age: int) -> None:
    """A cookie the page's scripts cannot read and other sites' forms do not send."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(c),
    )


def forget_cookie(response: Response, c: Container, name: str) -> None:
    """Tell the browser to drop a cookie."""
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure_cookies(c))


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else "/" (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def signed_in(request: Request, c: ContainerDep) -> Visitor:
    """The visitor of a live session, or SignInNeeded (sent to the sign-in page)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeeded(_here(request))
    try:
        principal = accounts.authenticate_session(uow=c.uow(), clock=c.clock, token=token)
    except Unauthenticated:
        raise SignInNeeded(_here(request)) from None
    account = accounts.find_account(uow=c.uow(), ref=principal.account_id)
    return Visitor(principal, token, account)


VisitorDep = Annotated[Visitor, Depends(signed_in)]


def _here(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path if request.method == "GET" else "/"


def sign_in_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` afterwards."""
    if next_path == "/":
        return "/signin"
    return "/signin?next=" + quote(next_path, safe="/")


def _csrf_cookie(request: Request) -> str:
    """This browser's CSRF value: its cookie, or a new one set with the page's answer."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf = value
    return str(value)


def csrf_token(request: Request, c: Container) -> str:
    """The token every form on this page carries."""
    key = c.settings.secret_key.encode()
    return hmac.new(key, _CSRF_PURPOSE + _csrf_cookie(request).encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, c: Container, sent: str | None) -> None:
    """CsrfRefused unless `sent` is the token of this browser's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not sent:
        raise CsrfRefused()
    key = c.settings.secret_key.encode()
    expected = hmac.new(key, _CSRF_PURPOSE + cookie.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sent):
        raise CsrfRefused()


def keep_new_csrf_cookie(request: Request, response: Response, c: Container) -> None:
    """Set the CSRF cookie on the answer when this request made one."""
    value = getattr(request.state, "new_csrf", None)
    if value:
        set_cookie(response, c, CSRF_COOKIE, value, int(CSRF_COOKIE_AGE.total_seconds()))
