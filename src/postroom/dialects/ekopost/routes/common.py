"""What the Ekopost route modules share: the router they are built on, the campaign and
envelope look-ups by path, and the core services a campaign is made with."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter

from postroom.bootstrap import Container
from postroom.dialects.base import dialect_route
from postroom.dialects.ekopost.errors import campaign_not_found, translate
from postroom.dialects.ekopost.mapping import EkopostCode, EkopostError
from postroom.dialects.ekopost.schemas import CampaignOut, ErrorOut
from postroom.domain.errors import NotFound
from postroom.services import intake

# One route class for every module: it answers each failure with Ekopost's error object and
# keeps, per path, every method the dialect serves there.
ROUTE_CLASS = dialect_route(translate)


def new_router() -> APIRouter:
    """A router of Ekopost routes (joined into the dialect's router by router.py)."""
    return APIRouter(
        tags=["ekopost"],
        route_class=ROUTE_CLASS,
        responses={
            400: {"model": ErrorOut, "description": "Refused: error_code from the seed's table"},
            404: {"model": ErrorOut, "description": "Not found (106 campaign, 111 envelope)"},
        },
    )


# The core service a campaign is closed with: letters produced at the daily cut-off of the
# campaign's output date, printed on the local print channel.
CAMPAIGN_SERVICE = "letter_standard"
# The core service of an envelope with an email address: sent at the campaign's close.
EMAIL_SERVICE = "email"
# The preflight profile of a campaign's documents.
CAMPAIGN_PROFILE = "postroom"
# Most campaigns one GET campaigns answers (the seed has no paging).
MAX_LISTED = 1000
T = TypeVar("T")


def guid(value: str, not_found: EkopostError) -> str:
    """A Guid path parameter; anything else names nothing, so it is not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found from None


def campaign_of(c: Container, account_id: str, campaign_id: str) -> CampaignOut:
    """The caller's campaign named by a path (106 otherwise)."""
    batch_id = guid(campaign_id, campaign_not_found(campaign_id))
    try:
        batch, _, counts = intake.batch_summary(
            uow=c.uow(), account_id=account_id, batch_id=batch_id
        )
    except NotFound:
        raise campaign_not_found(campaign_id) from None
    return CampaignOut.of(batch, sum(counts.values()))


def envelope_not_found(envelope_id: str) -> EkopostError:
    """111 for an envelope the campaign does not have."""
    return EkopostError(
        EkopostCode.ENVELOPE_NOT_FOUND, f"no envelope {envelope_id} in this campaign", status=404
    )


def envelope_ref(
    c: Container, account_id: str, campaign_id: str, envelope_id: str
) -> tuple[CampaignOut, str]:
    """The campaign (106 when not the account's) and the envelope's id (111 when not a
    Guid) named by a path."""
    return campaign_of(c, account_id, campaign_id), guid(
        envelope_id, envelope_not_found(envelope_id)
    )


def envelope_call(envelope_id: str, call: Callable[[], T]) -> T:
    """Run a core call about one envelope; its NotFound is the envelope's (111)."""
    try:
        return call()
    except NotFound:
        raise envelope_not_found(envelope_id) from None


def no_null_search(**params: str | None) -> None:
    """114 for a search parameter sent without a value (`?name=` or `?state=`: what a
    client writes for a null variable); a parameter left out is simply not a filter."""
    empty = [name for name, value in params.items() if value is not None and not value.strip()]
    if empty:
        raise EkopostError(
            EkopostCode.SEARCH_NULL, f"search parameter(s) without a value: {', '.join(empty)}"
        )
