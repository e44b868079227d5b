"""/v1/tracking, /v1/shipments, /v1/proofs and /v1/changes: events in, status and proofs out."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict

from postroom.api.cursors import (
    decode_seq_cursor,
    decode_time_cursor,
    encode_seq_cursor,
    encode_time_cursor,
)
from postroom.api.schemas import inlined
from postroom.domain.errors import ContentRemoved
from postroom.domain.tracking import (
    MAX_EVENTS_PER_CALL,
    REFERENCE_MAX,
    EventBatch,
    EventFields,
    Proof,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.http.times import UtcAwareDatetime
from postroom.services import tracking
from postroom.services.retry import retrying

router = APIRouter(tags=["tracking"])

CODE_PATTERN = r"^[0-9A-Za-z_.-]{1,20}$"


# The events body is validated by pydantic into plain dicts (TypedDicts), straight from
# the request's JSON text: ~1-2 ms for a thousand events, against ~5 ms into models and
# ~10-13 ms from the Python objects FastAPI would build first (measured for bench/events.py).
Code = Annotated[str, Field(pattern=CODE_PATTERN, description='As in the catalog: "001", not 1')]


@with_config(ConfigDict(extra="forbid"))
class EventIn(TypedDict):
    """One carrier event. The time must carry its UTC offset; codes keep leading zeros."""

    reference: Annotated[str, Field(min_length=1, max_length=REFERENCE_MAX)]
    time: UtcAwareDatetime
    code: Code
    additional_code: NotRequired[Code | None]
    source: NotRequired[
        Annotated[str, Field(min_length=1, max_length=50, description="default: api")] | None
    ]
    latitude: NotRequired[Annotated[float, Field(ge=-90, le=90)] | None]
    longitude: NotRequired[Annotated[float, Field(ge=-180, le=180)] | None]
    location: NotRequired[Annotated[str, Field(max_length=255)] | None]
    location_id: NotRequired[Annotated[str, Field(max_length=50)] | None]
    channel: NotRequired[Annotated[str, Field(max_length=50, description="SMS, EMAIL, ...")] | None]
    message: NotRequired[Annotated[str, Field(max_length=1000)] | None]


@with_config(ConfigDict(extra="forbid"))
class EventBatchIn(TypedDict):
    """Up to 1,000 events in one call; checked as a whole, stored as a whole."""

    events: Annotated[list[EventIn], Field(min_length=1, max_length=MAX_EVENTS_PER_CALL)]
    carrier: NotRequired[Annotated[str, Field(min_length=1, max_length=50)]]


ONE_EVENT: TypeAdapter[EventIn] = TypeAdapter(EventIn)
EVENT_BATCH: TypeAdapter[EventBatchIn] = TypeAdapter(EventBatchIn)


def _events_body_schema() -> dict[str, Any]:
    schema = TypeAdapter(EventBatchIn | EventIn).json_schema()
    return {
        "required": True,
        "content": {"application/json": {"schema": inlined(schema, schema.get("$defs", {}))}},
    }


async def raw_body(request: Request) -> bytes:
    """The request's bytes (validated in the thread pool, not on the event loop)."""
    return await request.body()


def events_of(body: bytes) -> tuple[list[EventFields], str]:
    """The checked events of a body (one event, or a batch) and their carrier."""
    try:
        batch = EVENT_BATCH.validate_json(body)
    except ValidationError as exc:
        if not any(e["type"] == "missing" and e["loc"] == ("events",) for e in exc.errors()):
            raise _invalid(exc) from None
        try:  # no "events": one event
            return [ONE_EVENT.validate_json(body)], tracking.DEFAULT_CARRIER
        except ValidationError as one:
            raise _invalid(one) from None
    return list(batch["events"]), batch.get("carrier", tracking.DEFAULT_CARRIER)


def _invalid(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])


class IngestOut(BaseModel):
    """What a call did: duplicates are counted, not stored again."""

    received: int
    stored: int
    duplicates: int
    shipments_created: int
    status_changes: int


class EventBatchOut(BaseModel):
    """A batch accepted at once: queued, then folded (with what it did) or failed."""

    id: str
    state: Literal["queued", "folded", "failed"]
    carrier: str
    received: int
    received_at: datetime
    folded_at: datetime | None
    stored: int | None
    duplicates: int | None
    shipments_created: int | None
    status_changes: int | None
    error: str | None

    @classmethod
    def of(cls, batch: EventBatch) -> EventBatchOut:
        """The wire form (the batch's fields and its derived state)."""
        return cls.model_validate(batch, from_attributes=True)


class EventCodeOut(BaseModel):
    """One code of the catalog."""

    code: str
    name: str
    group: str
    status: str | None
    proof: str | None


class ShipmentIn(BaseModel):
    """A shipment registered before its first event."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=REFERENCE_MAX)
    carrier: str = Field(default=tracking.DEFAULT_CARRIER, min_length=1, max_length=50)
    details: dict[str, Any] = Field(default_factory=dict)
    shop_id: str | None = Field(
        default=None, max_length=36, description="One of the account's shops (postroom shops)"
    )


class ShipmentOut(BaseModel):
    """A shipment and its carriage status."""

    id: str
    reference: str
    carrier: str
    status: ShipmentStatus
    status_code: str | None
    status_at: datetime | None
    piece_id: str | None
    shop_id: str | None
    details: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, shipment: Shipment) -> ShipmentOut:
        """The wire form."""
        return cls.model_validate(tracking.shipment_dict(shipment))


class ShipmentPage(BaseModel):
    """A page of shipments, oldest first."""

    data: list[ShipmentOut]
    next_cursor: str | None


class EventOut(BaseModel):
    """An event as stored, with the catalog's name, group and implied status."""

    id: int
    reference: str
    time: str
    code: str
    additional_code: str | None
    source: str
    latitude: float | None
    longitude: float | None
    location: str | None
    location_id: str | None
    channel: str | None
    message: str | None
    name: str | None
    group: str | None
    status: str | None


class EventPage(BaseModel):
    """A page of a shipment's event log, in arrival order."""

    data: list[EventOut]
    next_cursor: str | None


class ProofOut(BaseModel):
    """A proof's facts; its bytes are at /v1/proofs/{id}/content."""

    id: str
    kind: str
    shipment_id: str
    piece_id: str | None
    media_type: str
    sha256: str
    size_bytes: int
    created_at: datetime
    available: bool

    @classmethod
    def of(cls, proof: Proof) -> ProofOut:
        """The wire form."""
        return cls.model_validate(proof.to_dict())


class ChangeOut(BaseModel):
    """One entry of the change feed."""

    seq: int
    created_at: datetime
    subject_type: str
    subject_id: str
    kind: str
    status: str
    data: dict[str, Any]


class ChangePage(BaseModel):
    """Changes after the cursor; pass next_cursor back to get the ones after these."""

    data: list[ChangeOut]
    next_cursor: str


@router.post(
    "/tracking/events",
    response_model=IngestOut | EventBatchOut,
    summary="Report tracking events",
    responses={202: {"model": EventBatchOut, "description": "Queued (Prefer: respond-async)"}},
    openapi_extra={"requestBody": _events_body_schema()},
)
def post_events(
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[bytes, Depends(raw_body)],
    response: Response,
    prefer: Annotated[str | None, Header()] = None,
) -> IngestOut | EventBatchOut:
    """One event, or `{"events": [...]}` with up to 1,000. Duplicates (same reference, code,
    time and source) are counted and dropped; a status never moves backwards.

    With `Prefer: respond-async` (RFC 7240) the checked batch is stored as it is and folded
    by a worker stage: the answer is 202 with the batch, whose `Location` tells what the
    events did once folded."""
    events, carrier = events_of(body)
    if prefer is not None and "respond-async" in prefer.lower():
        batch = tracking.queue_events(
            uow=c.uow(),
            clock=c.clock,
            catalog=c.events,
            account_id=principal.account_id,
            events=events,
            carrier=carrier,
        )
        response.status_code = 202
        response.headers["Location"] = f"/v1/tracking/batches/{batch.id}"
        response.headers["Preference-Applied"] = "respond-async"
        return EventBatchOut.of(batch)
    result = retrying(
        lambda: tracking.ingest_events(
            uow=c.uow(),
            clock=c.clock,
            catalog=c.events,
            account_id=principal.account_id,
            events=[TrackingEvent.of(e) for e in events],
            carrier=carrier,
        )
    )
    return IngestOut(**result.to_dict())


@router.get(
    "/tracking/batches/{event_batch_id}",
    response_model=EventBatchOut,
    summary="A batch of events accepted with Prefer: respond-async",
)
def get_event_batch(event_batch_id: str, c: ContainerDep, principal: PrincipalDep) -> EventBatchOut:
    """Queued until a worker folds it; then what its events did, as a synchronous call
    would have answered."""
    return EventBatchOut.of(
        tracking.get_event_batch(
            uow=c.uow(), account_id=principal.account_id, batch_id=event_batch_id
        )
    )


@router.get("/tracking/event-codes", response_model=list[EventCodeOut], summary="The event catalog")
def event_codes(c: ContainerDep, _principal: PrincipalDep) -> list[EventCodeOut]:
    """Every event code with its name, group, the status it implies and the proof it issues."""
    return [EventCodeOut(**code.to_dict()) for code in c.events.all()]


@router.post("/shipments", response_model=ShipmentOut, status_code=201, summary="Add a shipment")
def create_shipment(c: ContainerDep, principal: PrincipalDep, body: ShipmentIn) -> ShipmentOut:
    """Register a shipment by reference before its first event."""
    shipment = tracking.create_shipment(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        reference=body.reference,
        carrier=body.carrier,
        details=body.details,
        shop_id=body.shop_id,
    )
    return ShipmentOut.of(shipment)


@router.get("/shipments", response_model=ShipmentPage, summary="List shipments")
def list_shipments(
    c: ContainerDep,
    principal: PrincipalDep,
    status: ShipmentStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ShipmentPage:
    """The account's shipments, oldest first, optionally in one status."""
    rows = tracking.list_shipments(
        uow=c.uow(),
        account_id=principal.account_id,
        status=status,
        after=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    next_cursor = (
        encode_time_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        if len(rows) > limit
        else None
    )
    return ShipmentPage(data=[ShipmentOut.of(s) for s in rows[:limit]], next_cursor=next_cursor)


@router.get("/shipments/{shipment_id}", response_model=ShipmentOut, summary="Get a shipment")
def get_shipment(shipment_id: str, c: ContainerDep, principal: PrincipalDep) -> ShipmentOut:
    """One shipment and its status."""
    return ShipmentOut.of(
        tracking.get_shipment(uow=c.uow(), account_id=principal.account_id, shipment_id=shipment_id)
    )


@router.get(
    "/shipments/{shipment_id}/events", response_model=EventPage, summary="A shipment's events"
)
def get_events(
    shipment_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> EventPage:
    """The shipment's event log in the order the events came in."""
    after = decode_seq_cursor(cursor) if cursor else None
    rows = tracking.shipment_events(
        uow=c.uow(),
        account_id=principal.account_id,
        shipment_id=shipment_id,
        after=after,
        limit=limit + 1,
    )
    data = [
        EventOut(id=event_id, **tracking.event_view(event, c.events))
        for event_id, event in rows[:limit]
    ]
    next_cursor = encode_seq_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    return EventPage(data=data, next_cursor=next_cursor)


@router.get(
    "/shipments/{shipment_id}/proofs", response_model=list[ProofOut], summary="A shipment's proofs"
)
def get_proofs(shipment_id: str, c: ContainerDep, principal: PrincipalDep) -> list[ProofOut]:
    """Every proof issued for the shipment."""
    proofs = tracking.shipment_proofs(
        uow=c.uow(), account_id=principal.account_id, shipment_id=shipment_id
    )
    return [ProofOut.of(p) for p in proofs]


@router.get("/proofs/{proof_id}", response_model=ProofOut, summary="Get a proof's facts")
def get_proof(proof_id: str, c: ContainerDep, principal: PrincipalDep) -> ProofOut:
    """A proof's kind, hash and size."""
    return ProofOut.of(
        tracking.get_proof(uow=c.uow(), account_id=principal.account_id, proof_id=proof_id)
    )


@router.get("/proofs/{proof_id}/content", summary="Download a proof")
def get_proof_content(proof_id: str, c: ContainerDep, principal: PrincipalDep) -> FileResponse:
    """The proof's bytes (PDF, or JSON for the tracking detail), as stored and hashed."""
    proof = tracking.get_proof(uow=c.uow(), account_id=principal.account_id, proof_id=proof_id)
    if proof.redacted_at is not None or not c.blobs.exists(proof.blob_sha256):
        raise ContentRemoved(f"the content of proof {proof_id} was removed by the retention rules")
    suffix = "json" if proof.media_type == "application/json" else "pdf"
    return FileResponse(
        c.blobs.path(proof.blob_sha256),
        media_type=proof.media_type,
        filename=f"{proof.kind.value.lower()}-{proof.shipment_id}.{suffix}",
        headers={"Digest": "sha-256=" + _b64_of_hex(proof.blob_sha256)},
    )


def _b64_of_hex(sha256: str) -> str:
    return base64.b64encode(bytes.fromhex(sha256)).decode()


@router.get("/changes", response_model=ChangePage, summary="The change feed")
def get_changes(
    c: ContainerDep,
    principal: PrincipalDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangePage:
    """Status changes of the account's pieces, shipments and proofs, in order. Keep
    `next_cursor` and pass it back: each change comes once per cursor, none is skipped."""
    after = decode_seq_cursor(cursor) if cursor else 0
    changes = tracking.changes_after(
        uow=c.uow(), account_id=principal.account_id, after=after, limit=limit
    )
    last = changes[-1].seq if changes else after
    return ChangePage(
        data=[ChangeOut(**ch.to_dict()) for ch in changes], next_cursor=encode_seq_cursor(last)
    )
