"""The sandbox pages: a sandbox account's clock moved forward, and a carrier event played
on one of its letters' shipments (driving it to any end: delivered, returned, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from postroom.domain.errors import Conflict
from postroom.http.deps import ContainerDep
from postroom.services import dashboard, sandbox
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SANDBOX = "/developers/sandbox"
HOURS_MAX = 10 * 365 * 24  # the API's ten years


@router.get(SANDBOX)
def sandbox_page(
    request: Request, c: ContainerDep, visitor: VisitorDep, moved: int = 0
) -> Response:
    """The account's sandbox clock, or why a live account has none."""
    return _page(request, c, visitor, moved=moved)


def _page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    *,
    moved: int = 0,
    error: str = "",
    hours: str = "1",
) -> Response:
    try:
        now = sandbox.get_clock(uow=c.uow(), clock=c.clock, account_id=visitor.account_id)
        live = ""
    except Conflict as exc:
        now, live = None, exc.message
    return render(
        request,
        c,
        "sandbox.html",
        title="Sandbox",
        nav="sandbox",
        visitor=visitor,
        now=now,
        live=live,
        moved=moved if 0 < moved <= HOURS_MAX else 0,
        error=error,
        hours=hours,
        status=422 if error else 200,
    )


@router.post(SANDBOX + "/clock")
def move_clock(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    hours: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Move the sandbox clock forward; the account's letters play their story meanwhile."""
    check_csrf(request, c, csrf_token)
    count = int(hours) if hours.strip().isdigit() else 0
    if not 1 <= count <= HOURS_MAX:
        error = f"Enter a whole number of hours from 1 to {HOURS_MAX}."
        return _page(request, c, visitor, error=error, hours=hours[:20])
    sandbox.advance_clock(
        uow=c.uow(), clock=c.clock, account_id=visitor.account_id, seconds=count * 3600
    )
    return RedirectResponse(f"{SANDBOX}?moved={count}", status_code=303)


@router.post("/letters/{letter_id}/sandbox-event")
def play_event(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    letter_id: Annotated[str, Path(max_length=64)],
    code: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Play a catalog event on the letter's shipment, at the sandbox's time."""
    check_csrf(request, c, csrf_token)
    timeline = dashboard.letter_timeline(
        uow=c.uow(), account_id=visitor.account_id, piece_id=letter_id
    )
    if timeline.shipment is None:
        raise Conflict("The letter has not left yet: there is no shipment to play an event on.")
    sandbox.inject_event(
        uow_factory=c.uow,
        clock=c.clock,
        catalog=c.events,
        account_id=visitor.account_id,
        shipment_id=timeline.shipment.id,
        code=code,
    )
    return RedirectResponse(f"/letters/{letter_id}", status_code=303)
