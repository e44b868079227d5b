"""The webhook endpoints page: add an endpoint (its signing secret shown once), an
endpoint's delivery log, and a delivery sent again; disable or enable an endpoint, give it
a new secret (shown once), remove it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from postroom.domain.errors import Conflict, InvalidInput
from postroom.domain.webhooks import ROTATION_GRACE
from postroom.http.deps import ContainerDep
from postroom.services import webhooks
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HOOKS = "/developers/webhooks"
URL_MAX = 2000  # as POST /v1/webhooks takes
DESCRIPTION_MAX = 200
EVENT_TYPES_MAX = 50
DELIVERIES_SHOWN = 50


def _list(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    error: str = "",
    created: tuple[str, str] | None = None,
    done: str = "",
) -> Response:
    endpoints = webhooks.list_endpoints(uow=c.uow(), account_id=visitor.account_id)
    return render(
        request,
        c,
        "webhooks.html",
        status=status,
        title="Webhook endpoints",
        nav="webhooks",
        visitor=visitor,
        endpoints=endpoints,
        form=form or {"url": "", "description": "", "event_types": "*"},
        error=error,
        created=created,
        done=done,
    )


@router.get(HOOKS)
def endpoints(request: Request, c: ContainerDep, visitor: VisitorDep, done: str = "") -> Response:
    """The account's endpoints, and a form to add one."""
    words = "The endpoint was removed, with its deliveries." if done == "removed" else ""
    return _list(request, c, visitor, done=words)


@router.post(HOOKS)
def create_endpoint(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    event_types: Annotated[str, Form()] = "*",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Add an endpoint and show its signing secret, this once."""
    check_csrf(request, c, csrf_token)
    form = {
        "url": url.strip()[:URL_MAX],
        "description": description.strip()[:DESCRIPTION_MAX],
        "event_types": event_types.strip()[:1000],
    }
    types = [t for t in event_types.replace(",", " ").split() if t]
    problem = ""
    if not form["url"]:
        problem = "Enter the URL Postroom should send events to."
    elif len(url.strip()) > URL_MAX or len(description.strip()) > DESCRIPTION_MAX:
        problem = f"The URL is at most {URL_MAX} characters, the description {DESCRIPTION_MAX}."
    elif not types or len(types) > EVENT_TYPES_MAX:
        problem = f"Give from 1 to {EVENT_TYPES_MAX} event types, or * for every event."
    if not problem:
        try:
            endpoint, secret = webhooks.create_endpoint(
                uow=c.uow(),
                clock=c.clock,
                account_id=visitor.account_id,
                url=form["url"],
                event_types=types,
                description=form["description"],
                allow_private=c.settings.webhooks_allow_private,
            )
        except (InvalidInput, Conflict) as exc:
            problem = exc.message[:1].upper() + exc.message[1:] + "."
        else:
            return _list(request, c, visitor, status=201, created=(endpoint.url, secret))
    return _list(request, c, visitor, status=422, form=form, error=problem)


@router.get(HOOKS + "/{endpoint_id}")
def endpoint_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    endpoint_id: Annotated[str, Path(max_length=64)],
    before: Annotated[datetime | None, Query()] = None,
    before_id: Annotated[str, Query(max_length=64)] = "",
    done: str = "",
) -> Response:
    """One endpoint and its deliveries, newest first, 50 a page."""
    return _endpoint_page(request, c, visitor, endpoint_id, before, before_id, done=done)


DONE_WORDS = {
    "replayed": "The delivery will be sent again shortly.",
    "disabled": "The endpoint is disabled: nothing is sent to it until it is enabled again.",
    "enabled": "The endpoint is enabled again.",
}


def _endpoint_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    endpoint_id: str,
    before: datetime | None = None,
    before_id: str = "",
    *,
    done: str = "",
    new_secret: str = "",
) -> Response:
    endpoint = webhooks.get_endpoint(
        uow=c.uow(), account_id=visitor.account_id, endpoint_id=endpoint_id
    )
    if before is not None and before.tzinfo is None:
        raise InvalidInput("The page's address is not valid: its time has no offset.")
    found = webhooks.list_deliveries(
        uow=c.uow(),
        account_id=visitor.account_id,
        endpoint_id=endpoint.id,
        state=None,
        after=(before, before_id) if before is not None and before_id else None,
        limit=DELIVERIES_SHOWN + 1,
    )
    shown = found[:DELIVERIES_SHOWN]
    older = None
    if len(found) > DELIVERIES_SHOWN:
        last = shown[-1]
        older = (last.created_at.isoformat(), last.id)
    return render(
        request,
        c,
        "webhook.html",
        title="Webhook endpoint",
        nav="webhooks",
        visitor=visitor,
        endpoint=endpoint,
        deliveries=shown,
        older=older,
        done=DONE_WORDS.get(done, ""),
        new_secret=new_secret,
        grace_hours=int(ROTATION_GRACE.total_seconds() // 3600),
    )


@router.post(HOOKS + "/{endpoint_id}/enabled")
def enable_endpoint(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    endpoint_id: Annotated[str, Path(max_length=64)],
    enabled: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Disable an endpoint (nothing is sent to it), or enable it again (as PATCH
    /v1/webhooks/{id} with `enabled`)."""
    check_csrf(request, c, csrf_token)
    on = enabled == "on"
    webhooks.update_endpoint(
        uow=c.uow(),
        clock=c.clock,
        account_id=visitor.account_id,
        endpoint_id=endpoint_id,
        changes=webhooks.EndpointChanges(enabled=on),
        allow_private=c.settings.webhooks_allow_private,
    )
    done = "enabled" if on else "disabled"
    return RedirectResponse(f"{HOOKS}/{endpoint_id}?done={done}", status_code=303)


@router.post(HOOKS + "/{endpoint_id}/rotate")
def rotate_secret(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    endpoint_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Give the endpoint a new signing secret and show it, this once; the old one keeps
    signing beside it for ROTATION_GRACE (as POST /v1/webhooks/{id}/rotate-secret)."""
    check_csrf(request, c, csrf_token)
    _, secret = webhooks.rotate_secret(
        uow=c.uow(), clock=c.clock, account_id=visitor.account_id, endpoint_id=endpoint_id
    )
    return _endpoint_page(request, c, visitor, endpoint_id, new_secret=secret)


@router.post(HOOKS + "/{endpoint_id}/remove")
def remove_endpoint(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    endpoint_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Remove the endpoint and its deliveries (as DELETE /v1/webhooks/{id})."""
    check_csrf(request, c, csrf_token)
    webhooks.delete_endpoint(uow=c.uow(), account_id=visitor.account_id, endpoint_id=endpoint_id)
    return RedirectResponse(f"{HOOKS}?done=removed", status_code=303)


@router.post("/developers/webhook-deliveries/{delivery_id}/replay")
def replay_delivery(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    delivery_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Send a delivery again (a new series of attempts, the first one now)."""
    check_csrf(request, c, csrf_token)
    delivery = webhooks.replay_delivery(
        uow=c.uow(), clock=c.clock, account_id=visitor.account_id, delivery_id=delivery_id
    )
    return RedirectResponse(f"{HOOKS}/{delivery.endpoint_id}?done=replayed", status_code=303)
