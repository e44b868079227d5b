"""Posten's routes under /posten: register one event on a parcel, read a parcel's event log.
Each reads the request, calls services/tracking, writes Posten's answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from postroom.dialects.base import dialect_route
from postroom.dialects.posten.auth import PostenPrincipal
from postroom.dialects.posten.errors import translate
from postroom.dialects.posten.schemas import EventIn, EventLogOut, EventOut
from postroom.domain.tracking import REFERENCE_MAX
from postroom.http.deps import ContainerDep
from postroom.services import tracking
from postroom.services.retry import retrying

router = APIRouter(tags=["posten"], route_class=dialect_route(translate))

LOG_LIMIT = 1000  # events of one parcel shown; a parcel has a few dozen at most


@router.post(
    "/v1/events",
    response_model=EventOut,
    summary="Parcel Register Event: add one event to a parcel",
)
def register_event(c: ContainerDep, principal: PostenPrincipal, body: EventIn) -> EventOut:
    """200 once the event is stored; it then shows in the event log, the shipment's events
    and the webhooks of the status it implies."""
    event = body.event()
    retrying(
        lambda: tracking.register_event(
            uow=c.uow(),
            clock=c.clock,
            catalog=c.events,
            account_id=principal.account_id,
            user_id=principal.user_id,
            event=event,
        )
    )
    row = c.events.get(event.code)
    return EventOut.of(event, row.name if row else None)


@router.get("/v1/events", response_model=EventLogOut, summary="A parcel's event log")
def event_log(
    c: ContainerDep,
    principal: PostenPrincipal,
    reference: Annotated[
        str, Query(alias="trackingReference", min_length=1, max_length=REFERENCE_MAX)
    ],
) -> EventLogOut:
    """Every event of the parcel in the order they came in, whoever registered them."""
    rows = tracking.reachable_events(
        uow=c.uow(),
        account_id=principal.account_id,
        user_id=principal.user_id,
        reference=reference,
        limit=LOG_LIMIT,
    )
    events = []
    for _, event in rows:
        row = c.events.get(event.code)
        events.append(EventOut.of(event, row.name if row else None))
    return EventLogOut(trackingReference=reference, events=events)
