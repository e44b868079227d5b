"""Request dependencies: the container, and the caller's principal from any accepted credential."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from postroom.bootstrap import Container
from postroom.domain.errors import Unauthenticated
from postroom.services import accounts
from postroom.services.accounts import Principal


async def get_container(request: Request) -> Container:
    """The process's container, set on the app at creation. (Async: it only reads the app,
    and FastAPI would otherwise hand it to the thread pool, a thread hop per request.)"""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _basic(c: Container, value: str, client: str | None) -> Principal:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("the Basic credentials are not valid base64") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("the Basic credentials must be username:password")
    return accounts.authenticate_password(
        uow=c.uow(), username=username, password=password, clock=c.clock, client=client
    )


def _bearer(c: Container, value: str) -> Principal:
    # Bearer carries either an API key (dialects that call it a token) or a session token.
    try:
        return accounts.authenticate_api_key(uow=c.uow(), clock=c.clock, key=value)
    except Unauthenticated:
        return accounts.authenticate_session(uow=c.uow(), clock=c.clock, token=value)


def authenticate(c: Container, request: Request) -> Principal:
    """Read `Authorization: api-key|Basic|Bearer ...` or `X-Auth-Token`; raise when none fits."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        if not value:
            raise Unauthenticated("the Authorization header has no credentials")
        if scheme == "api-key":
            return accounts.authenticate_api_key(uow=c.uow(), clock=c.clock, key=value)
        if scheme == "basic":
            return _basic(c, value, request.client.host if request.client else None)
        if scheme == "bearer":
            return _bearer(c, value)
        raise Unauthenticated(f"unsupported Authorization scheme {scheme!r}")
    token = request.headers.get("x-auth-token")
    if token:
        return accounts.authenticate_session(uow=c.uow(), clock=c.clock, token=token.strip())
    raise Unauthenticated("send an API key, Basic credentials or a session token")


def get_principal(request: Request, c: ContainerDep) -> Principal:
    """The authenticated caller."""
    return authenticate(c, request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
