"""/v1/sessions: log in with a username and password, log out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from postroom.api.idempotency import idempotent
from postroom.api.schemas import LoginIn, SessionOut
from postroom.domain.errors import Unauthenticated
from postroom.http.deps import ContainerDep
from postroom.services import accounts

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.post("", status_code=201, response_model=SessionOut, summary="Log in")
def login(request: Request, body: LoginIn, c: ContainerDep) -> JSONResponse:
    """Exchange a username and password for a session token (send it as X-Auth-Token)."""
    principal = accounts.authenticate_password(
        uow=c.uow(),
        username=body.username,
        password=body.password,
        clock=c.clock,
        client=request.client.host if request.client else None,
    )

    def handler() -> tuple[int, Any, Any]:
        session, token = accounts.login(
            uow=c.uow(),
            clock=c.clock,
            username=body.username,
            password=body.password,
            ttl=c.session_ttl(),
        )
        shown = SessionOut(id=session.id, token=token, expires_at=session.expires_at)
        return 201, shown, shown.model_copy(update={"token": None})

    return idempotent(request, c, principal, {"username": body.username}, handler)


@router.delete("/current", status_code=204, summary="Log out")
def logout(request: Request, c: ContainerDep) -> Response:
    """End the session whose token is sent (X-Auth-Token or Bearer)."""
    token = request.headers.get("x-auth-token")
    auth = request.headers.get("authorization", "")
    if token is None and auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    if not token:
        raise Unauthenticated("send the session token as X-Auth-Token or Bearer")
    accounts.logout(uow=c.uow(), clock=c.clock, token=token.strip())
    return Response(status_code=204)
