"""/v1/sandbox: a sandbox account's clock, and any carrier event on its shipments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from postroom.api.routes.tracking import CODE_PATTERN, IngestOut
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.http.times import UtcAwareDatetime
from postroom.services import sandbox, tracking

router = APIRouter(tags=["sandbox"])


class ClockOut(BaseModel):
    """The account's sandbox time, and how far it runs ahead of real time."""

    now: datetime
    offset_seconds: int


class ClockIn(BaseModel):
    """Move the sandbox clock forward."""

    model_config = ConfigDict(extra="forbid")

    advance_seconds: int = Field(ge=0, le=10 * 365 * 24 * 3600)


class SandboxEventIn(BaseModel):
    """A catalog event to play on the shipment (its time defaults to the sandbox's now)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    time: UtcAwareDatetime | None = None
    additional_code: str | None = Field(default=None, pattern=CODE_PATTERN)
    location: str | None = Field(default=None, max_length=255)
    message: str | None = Field(default=None, max_length=1000)


@router.get("/sandbox/clock", response_model=ClockOut, summary="The sandbox clock")
def get_clock(c: ContainerDep, principal: PrincipalDep) -> ClockOut:
    """A sandbox account's current time (409 not_a_sandbox_account for a live account)."""
    now = sandbox.get_clock(uow=c.uow(), clock=c.clock, account_id=principal.account_id)
    return ClockOut(now=now.now, offset_seconds=now.offset_seconds)


@router.post("/sandbox/clock", response_model=ClockOut, summary="Move the sandbox clock")
def move_clock(c: ContainerDep, principal: PrincipalDep, body: ClockIn) -> ClockOut:
    """Move the account's clock forward; its letters move along their story (printed,
    posted, in transit, delivered) as the time passes."""
    now = sandbox.advance_clock(
        uow=c.uow(), clock=c.clock, account_id=principal.account_id, seconds=body.advance_seconds
    )
    return ClockOut(now=now.now, offset_seconds=now.offset_seconds)


@router.post(
    "/sandbox/shipments/{shipment_id}/events",
    response_model=IngestOut,
    summary="Play a carrier event",
)
def play_event(
    shipment_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[SandboxEventIn | None, Body()] = None,
) -> IngestOut:
    """Any catalog event on a sandbox shipment: returned to sender (020), undeliverable
    (021), delivered (013), proof ready (030), ... Webhooks, proofs and the change feed
    follow exactly as for a carrier's event."""
    # The shipment is looked up before the body is judged: another account gets 404.
    tracking.get_shipment(uow=c.uow(), account_id=principal.account_id, shipment_id=shipment_id)
    if body is None:
        raise InvalidInput("send JSON with the event's code", code=ErrorCode.VALIDATION_ERROR)
    result = sandbox.inject_event(
        uow_factory=c.uow,
        clock=c.clock,
        catalog=c.events,
        account_id=principal.account_id,
        shipment_id=shipment_id,
        code=body.code,
        time=body.time,
        location=body.location,
        message=body.message,
        additional_code=body.additional_code,
    )
    return IngestOut(**result.to_dict())
