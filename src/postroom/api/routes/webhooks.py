"""/v1/webhooks and /v1/webhook-deliveries: endpoints, their secrets, the delivery log, replays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from postroom.api.cursors import decode_time_cursor, encode_time_cursor
from postroom.api.idempotency import idempotent
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.webhooks import (
    MAX_ROTATION_GRACE,
    ROTATION_GRACE,
    URL_MAX,
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import webhooks
from postroom.services.webhook_transport import header_signer
from postroom.services.webhooks import EndpointChanges

router = APIRouter(tags=["webhooks"])

EventType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=URL_MAX)]
Description = Annotated[str, StringConstraints(max_length=200)]


class WebhookIn(BaseModel):
    """A new endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="http(s) URL on a public address")
    description: Description = ""
    event_types: list[EventType] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=50,
        description="`*`, `piece.*`, `shipment.*` or exact types such as `piece.delivered`",
    )
    enabled: bool = True
    dialect: str | None = Field(
        default=None,
        max_length=30,
        description="`ekopost`: the body in Ekopost's form, signed with X-Ekopost-Signature too",
    )


class WebhookPatch(BaseModel):
    """Fields to change; a field left out (or null) stays as it is."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    description: Description | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=50)
    enabled: bool | None = None


class RotateIn(BaseModel):
    """How long the replaced secret keeps signing."""

    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=int(ROTATION_GRACE.total_seconds()),
        ge=0,
        le=int(MAX_ROTATION_GRACE.total_seconds()),
    )


class SecretOut(BaseModel):
    """A signing secret, never in full."""

    hint: str
    created_at: datetime
    expires_at: datetime | None


class WebhookOut(BaseModel):
    """A webhook endpoint."""

    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    state: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    dialect: str | None
    secrets: list[SecretOut] = Field(description="The secrets that sign, newest first")
    created_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now: datetime) -> WebhookOut:
        """The wire form of an endpoint (its secrets as hints)."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=endpoint.event_types,
            enabled=endpoint.enabled,
            state=endpoint.state.value,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            dialect=endpoint.dialect,
            secrets=[
                SecretOut(hint=s.hint, created_at=s.created_at, expires_at=s.expires_at)
                for s in endpoint.secrets
                if s.valid_at(now)
            ],
            created_at=endpoint.created_at,
        )


class WebhookWithSecret(WebhookOut):
    """An endpoint with its new secret, shown in this answer only."""

    secret: str | None


class WebhookList(BaseModel):
    data: list[WebhookOut]


class DeliveryOut(BaseModel):
    """One event's message to one endpoint; `id` is its `webhook-id` header."""

    id: str
    endpoint_id: str
    event_type: str
    state: DeliveryState
    attempt_count: int = Field(description="Attempts in the current series (a replay restarts)")
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        """The wire form of a delivery."""
        return cls(
            id=d.id,
            endpoint_id=d.endpoint_id,
            event_type=d.event_type,
            state=d.state,
            attempt_count=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            created_at=d.created_at,
            payload=d.payload,
        )


class AttemptOut(BaseModel):
    """One request of a delivery and what came back."""

    attempted_at: datetime
    request_headers: dict[str, str]
    status_code: int | None
    response_body: str | None = Field(description="The first 4 KB of the answer")
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, a: WebhookAttempt) -> AttemptOut:
        """The wire form of an attempt."""
        return cls(
            attempted_at=a.attempted_at,
            request_headers=a.request_headers,
            status_code=a.status_code,
            response_body=a.response_body,
            error=a.error,
            duration_ms=a.duration_ms,
        )


class DeliveryDetailOut(DeliveryOut):
    """A delivery with every attempt made for it, oldest first."""

    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    """A page of deliveries, newest first."""

    data: list[DeliveryOut]
    next_cursor: str | None


@router.post(
    "/webhooks", status_code=201, response_model=WebhookWithSecret, summary="Add an endpoint"
)
def create_webhook(
    request: Request, body: WebhookIn, c: ContainerDep, principal: PrincipalDep
) -> JSONResponse:
    """Register an endpoint; `secret` is in this answer only (a replay with the same
    Idempotency-Key returns `secret: null`)."""

    if body.dialect is not None and header_signer(body.dialect) is None:
        raise InvalidInput(
            f"no dialect {body.dialect!r} sends webhooks", code=ErrorCode.UNKNOWN_DIALECT
        )

    def handler() -> tuple[int, Any, Any]:
        endpoint, secret = webhooks.create_endpoint(
            uow=c.uow(),
            clock=c.clock,
            account_id=principal.account_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            enabled=body.enabled,
            dialect=body.dialect,
            allow_private=c.settings.webhooks_allow_private,
        )
        out = WebhookOut.of(endpoint, c.clock.now()).model_dump()
        return 201, WebhookWithSecret(**out, secret=secret), WebhookWithSecret(**out, secret=None)

    return idempotent(request, c, principal, body.model_dump(), handler)


@router.get("/webhooks", response_model=WebhookList, summary="List endpoints")
def list_webhooks(c: ContainerDep, principal: PrincipalDep) -> WebhookList:
    """The account's endpoints, oldest first; secrets as hints only."""
    found = webhooks.list_endpoints(uow=c.uow(), account_id=principal.account_id)
    now = c.clock.now()
    return WebhookList(data=[WebhookOut.of(e, now) for e in found])


@router.get("/webhooks/{endpoint_id}", response_model=WebhookOut, summary="Get an endpoint")
def get_webhook(endpoint_id: str, c: ContainerDep, principal: PrincipalDep) -> WebhookOut:
    """One endpoint; secrets as hints only."""
    endpoint = webhooks.get_endpoint(
        uow=c.uow(), account_id=principal.account_id, endpoint_id=endpoint_id
    )
    return WebhookOut.of(endpoint, c.clock.now())


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookOut, summary="Change an endpoint")
def patch_webhook(
    endpoint_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[WebhookPatch | None, Body()] = None,
) -> WebhookOut:
    """Change the URL, description, event types, or enable/disable it."""
    # The endpoint is looked up before the body is judged: another account gets 404, not 422.
    webhooks.get_endpoint(uow=c.uow(), account_id=principal.account_id, endpoint_id=endpoint_id)
    if body is None:
        raise InvalidInput("send JSON with the fields to change", code=ErrorCode.VALIDATION_ERROR)
    endpoint = webhooks.update_endpoint(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        endpoint_id=endpoint_id,
        changes=EndpointChanges(
            url=body.url,
            description=body.description,
            event_types=body.event_types,
            enabled=body.enabled,
        ),
        allow_private=c.settings.webhooks_allow_private,
    )
    return WebhookOut.of(endpoint, c.clock.now())


@router.delete("/webhooks/{endpoint_id}", status_code=204, summary="Remove an endpoint")
def delete_webhook(endpoint_id: str, c: ContainerDep, principal: PrincipalDep) -> Response:
    """Remove an endpoint and its delivery log (the evidence log keeps every attempt)."""
    webhooks.delete_endpoint(uow=c.uow(), account_id=principal.account_id, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response_model=WebhookWithSecret,
    summary="Rotate an endpoint's secret",
)
def rotate_webhook_secret(
    endpoint_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> WebhookWithSecret:
    """A new secret, shown in this answer only; the old one keeps signing (every message
    carries both signatures) for `grace_seconds`, 24 h by default."""
    grace = timedelta(seconds=(body or RotateIn()).grace_seconds)
    endpoint, secret = webhooks.rotate_secret(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        endpoint_id=endpoint_id,
        grace=grace,
    )
    return WebhookWithSecret(**WebhookOut.of(endpoint, c.clock.now()).model_dump(), secret=secret)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response_model=DeliveryPage,
    summary="List an endpoint's deliveries",
)
def list_webhook_deliveries(
    endpoint_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    state: DeliveryState | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """The endpoint's deliveries, newest first, optionally in one state."""
    found = webhooks.list_deliveries(
        uow=c.uow(),
        account_id=principal.account_id,
        endpoint_id=endpoint_id,
        state=state,
        after=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    next_cursor = (
        encode_time_cursor(found[limit - 1].created_at, found[limit - 1].id)
        if len(found) > limit
        else None
    )
    return DeliveryPage(data=[DeliveryOut.of(d) for d in found[:limit]], next_cursor=next_cursor)


@router.get(
    "/webhook-deliveries/{delivery_id}",
    response_model=DeliveryDetailOut,
    summary="Get a delivery and its attempts",
)
def get_webhook_delivery(
    delivery_id: str, c: ContainerDep, principal: PrincipalDep
) -> DeliveryDetailOut:
    """A delivery with its attempts: headers sent, status, the start of each answer."""
    detail = webhooks.get_delivery(
        uow=c.uow(), account_id=principal.account_id, delivery_id=delivery_id
    )
    return DeliveryDetailOut(
        **DeliveryOut.of(detail.delivery).model_dump(),
        attempts=[AttemptOut.of(a) for a in detail.attempts],
    )


@router.post(
    "/webhook-deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again",
)
def replay_webhook_delivery(
    delivery_id: str, c: ContainerDep, principal: PrincipalDep
) -> DeliveryOut:
    """A new series of attempts, the first one due now, whatever became of the last."""
    delivery = webhooks.replay_delivery(
        uow=c.uow(), clock=c.clock, account_id=principal.account_id, delivery_id=delivery_id
    )
    return DeliveryOut.of(delivery)
