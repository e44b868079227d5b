"""/ekopost: Ekopost's REST API (seed 004) translated onto the core's batches and pieces.

Translation only: each route reads Ekopost's request, calls a core service and writes
Ekopost's answer. Every failure is Ekopost's error object (errors.EkopostRoute)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Query

from postroom.api.deps import ContainerDep
from postroom.bootstrap import Container
from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.errors import EkopostError, EkopostRoute, campaign_not_found
from postroom.dialects.ekopost.mapping import CAMPAIGN_STATE_BY_NAME
from postroom.dialects.ekopost.schemas import CampaignIn, CampaignOut, ErrorOut, utc_date
from postroom.domain.errors import NotFound
from postroom.domain.states import BatchState
from postroom.services import intake, order
from postroom.services.retry import retrying

router = APIRouter(
    prefix="/ekopost",
    tags=["ekopost"],
    route_class=EkopostRoute,
    responses={
        400: {"model": ErrorOut, "description": "Refused: error_code from the seed's table"},
        404: {"model": ErrorOut, "description": "Not found (106 campaign, 111 envelope)"},
    },
)

# The core service a campaign is closed with: letters produced at the daily cut-off of the
# campaign's output date, printed on the local print channel.
CAMPAIGN_SERVICE = "letter_standard"
# The preflight profile of a campaign's documents.
CAMPAIGN_PROFILE = "postroom"
# Most campaigns one GET campaigns answers (the seed has no paging).
MAX_LISTED = 1000


def _guid(value: str, not_found: EkopostError) -> str:
    """A Guid path parameter; anything else names nothing, so it is not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found from None


def _campaign(c: Container, account_id: str, campaign_id: str) -> CampaignOut:
    batch_id = _guid(campaign_id, campaign_not_found(campaign_id))
    try:
        batch, _, counts = intake.batch_summary(
            uow=c.uow(), account_id=account_id, batch_id=batch_id
        )
    except NotFound:
        raise campaign_not_found(campaign_id) from None
    return CampaignOut.of(batch, sum(counts.values()))


@router.post("/campaigns", response_model=CampaignOut, summary="Create campaign")
def create_campaign(body: CampaignIn, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """A new campaign in state opened: a core batch with the asked output date."""
    batch = intake.create_batch(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        name=body.name,
        profile=CAMPAIGN_PROFILE,
        output_date=None if body.output_date is None else utc_date(body.output_date),
        cost_center=body.cost_center,
    )
    return CampaignOut.of(batch, 0)


def _moment(name: str, value: str) -> datetime:
    """A "Date in UTC format" query parameter: a date is that day's UTC midnight, a time
    without an offset is UTC. Anything else is 115 (invalid search parameters)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EkopostError("115", f"{name} is not a date: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@router.get("/campaigns", response_model=list[CampaignOut], summary="Get campaigns")
def list_campaigns(
    c: ContainerDep,
    principal: EkopostPrincipal,
    start: str | None = Query(default=None),
    stop: str | None = Query(default=None),
    name: str | None = Query(default=None),
    state: str | None = Query(default=None),
) -> list[CampaignOut]:
    """The caller's campaigns created in [start, stop), newest first; start defaults to
    today and stop to tomorrow (UTC midnights)."""
    today = datetime.combine(c.clock.now().astimezone(UTC).date(), time(), tzinfo=UTC)
    begin = today if start is None else _moment("start", start)
    end = today + timedelta(days=1) if stop is None else _moment("stop", stop)
    if begin >= end:
        raise EkopostError("116", f"start {begin.isoformat()} is not before stop {end.isoformat()}")
    wanted = None
    if state is not None:
        wanted = CAMPAIGN_STATE_BY_NAME.get(state.strip().lower())
        if wanted is None:
            raise EkopostError("115", f"state must be one of {', '.join(CAMPAIGN_STATE_BY_NAME)}")
    found = intake.list_batches(
        uow=c.uow(),
        account_id=principal.account_id,
        created_from=begin,
        created_to=end,
        name=name,
        state=wanted,
        limit=MAX_LISTED,
    )
    return [CampaignOut.of(batch, count) for batch, count in found]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, summary="Get campaign")
def get_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """One of the caller's campaigns; another account's is not found (106, 404)."""
    return _campaign(c, principal.account_id, campaign_id)


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignOut, summary="Close campaign")
def close_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Close the batch with the core's order service: its pieces are priced, paid for and
    scheduled for the campaign's output date. 101 when it has no envelope, 102 while one is
    still open (its content not yet checked)."""
    campaign = _campaign(c, principal.account_id, campaign_id)
    batch = intake.get_batch(uow=c.uow(), account_id=principal.account_id, batch_id=campaign.id)
    if batch.state is BatchState.OPENED:
        _, _, counts = intake.batch_summary(
            uow=c.uow(), account_id=principal.account_id, batch_id=batch.id
        )
        if sum(counts.values()) == 0:
            raise EkopostError("101", "the campaign has no envelope")
        if counts.get("pending", 0):
            raise EkopostError("102", f"{counts['pending']} envelope(s) are not closed yet")
    today = c.clock.now().date()
    requested: date | None = batch.output_date
    if requested is not None and requested <= today:
        requested = None  # today or earlier: as soon as the service can
    retrying(
        lambda: order.close_batch(
            uow=c.uow(),
            clock=c.clock,
            prices=c.prices,
            account_id=principal.account_id,
            batch_id=batch.id,
            service_ref=CAMPAIGN_SERVICE,
            options={},
            requested_output_date=requested,
            cost_center=batch.cost_center,
        )
    )
    return _campaign(c, principal.account_id, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/cancel", response_model=CampaignOut, summary="Cancel campaign"
)
def cancel_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Cancel the batch and its envelopes (core intake.cancel_batch); once an envelope is in
    production, or the campaign is past closed, the refusal is 127 and nothing changes."""
    campaign = _campaign(c, principal.account_id, campaign_id)
    retrying(
        lambda: intake.cancel_batch(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, batch_id=campaign.id
        )
    )
    return _campaign(c, principal.account_id, campaign_id)
