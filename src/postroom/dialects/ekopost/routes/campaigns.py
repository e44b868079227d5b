"""Ekopost's campaigns: create, get, list, close and cancel, on the core's batches."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import Query

from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.mapping import CAMPAIGN_STATE_BY_NAME, EkopostCode, EkopostError
from postroom.dialects.ekopost.routes.common import (
    CAMPAIGN_PROFILE,
    CAMPAIGN_SERVICE,
    MAX_LISTED,
    campaign_of,
    new_router,
    no_null_search,
)
from postroom.dialects.ekopost.schemas import CampaignIn, CampaignOut, utc_date
from postroom.domain.clock import to_utc
from postroom.http.deps import ContainerDep
from postroom.services import envelopes, intake
from postroom.services.retry import retrying

router = new_router()


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
        reply_mail=body.replymail,
        markup_required=body.markup,
    )
    return CampaignOut.of(batch, 0)


def _moment(name: str, value: str) -> datetime:
    """A "Date in UTC format" query parameter: a date is that day's UTC midnight, a time
    without an offset is UTC. Anything else is 115 (invalid search parameters)."""
    try:
        return to_utc(datetime.fromisoformat(value.strip()))
    except ValueError:  # not ISO 8601, or out of range in UTC (TimeOutOfRange)
        raise EkopostError(EkopostCode.SEARCH_INVALID, f"{name} is not a date: {value!r}") from None


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
    today and stop to tomorrow (UTC midnights). A parameter sent empty is 114."""
    no_null_search(start=start, stop=stop, name=name, state=state)
    today = datetime.combine(c.clock.now().astimezone(UTC).date(), time(), tzinfo=UTC)
    begin = today if start is None else _moment("start", start)
    end = today + timedelta(days=1) if stop is None else _moment("stop", stop)
    if begin >= end:
        raise EkopostError(
            EkopostCode.TIMESPAN_INVALID,
            f"start {begin.isoformat()} is not before stop {end.isoformat()}",
        )
    wanted = None
    if state is not None:
        wanted = CAMPAIGN_STATE_BY_NAME.get(state.strip().lower())
        if wanted is None:
            raise EkopostError(
                EkopostCode.SEARCH_INVALID,
                f"state must be one of {', '.join(CAMPAIGN_STATE_BY_NAME)}",
            )
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
    return campaign_of(c, principal.account_id, campaign_id)


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignOut, summary="Close campaign")
def close_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Close the batch with the core's order service: its pieces are priced, paid for and
    scheduled for the campaign's output date (one already past: as soon as possible, as the
    core reads any batch's planned date). 101 when it has no envelope, 102 while one is
    still opened."""
    campaign = campaign_of(c, principal.account_id, campaign_id)
    retrying(
        lambda: envelopes.close_batch(
            uow=c.uow(),
            clock=c.clock,
            prices=c.prices,
            account_id=principal.account_id,
            batch_id=campaign.id,
            service_ref=CAMPAIGN_SERVICE,
        )
    )
    return campaign_of(c, principal.account_id, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/cancel", response_model=CampaignOut, summary="Cancel campaign"
)
def cancel_campaign(campaign_id: str, c: ContainerDep, principal: EkopostPrincipal) -> CampaignOut:
    """Cancel the batch and its envelopes (core intake.cancel_batch); once an envelope is in
    production, or the campaign is past closed, the refusal is 127 and nothing changes."""
    campaign = campaign_of(c, principal.account_id, campaign_id)
    retrying(
        lambda: intake.cancel_batch(
            uow=c.uow(), clock=c.clock, account_id=principal.account_id, batch_id=campaign.id
        )
    )
    return campaign_of(c, principal.account_id, campaign_id)
