"""Shipments and carrier events: the catalog of event codes and how events set a status.

A shipment's status is a function of the *set* of its events, never of their arrival
order: each status has a rank, and the status shown is the one implied by the event with
the highest (rank, time, code). A late "in transit" after "delivered" changes nothing, the
same events replayed or shuffled give the same status, and a duplicate is dropped before
it is stored (same reference, code, time and source).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from postroom.domain.clock import TimeOutOfRange, to_utc
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import new_id

REFERENCE_MAX = 35  # Posten's trackingReference limit; the longest any carrier here uses
MAX_EVENTS_PER_CALL = 1000
DEFAULT_SOURCE = "api"
_MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ShipmentStatus(StrEnum):
    """Carriage status, from the carrier's first scan to the end of the story."""

    REGISTERED = "registered"  # the carrier knows of it; nothing physical yet
    IN_TRANSIT = "in_transit"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    RETURNED = "returned"  # returned to sender


# Higher ranks win; the end states outrank every step of the way, and a return outranks
# a delivery (a piece that came back was, in the end, not delivered).
STATUS_RANK: dict[ShipmentStatus, int] = {
    ShipmentStatus.REGISTERED: 0,
    ShipmentStatus.IN_TRANSIT: 10,
    ShipmentStatus.READY_FOR_PICKUP: 20,
    ShipmentStatus.OUT_FOR_DELIVERY: 20,
    ShipmentStatus.DELIVERY_ATTEMPTED: 30,
    ShipmentStatus.DELIVERED: 40,
    ShipmentStatus.UNDELIVERABLE: 45,
    ShipmentStatus.RETURNED: 50,
}

FINAL_STATUSES = frozenset(
    {ShipmentStatus.DELIVERED, ShipmentStatus.UNDELIVERABLE, ShipmentStatus.RETURNED}
)


@dataclass(frozen=True)
class EventCode:
    """One row of the catalog: a code (leading zeros kept), its name, group and status."""

    code: str
    name: str
    group: str
    status: ShipmentStatus | None  # None: informative only (a message, a notification)
    proof: str | None = None  # a proof kind this event issues (FAIL_PROOF, ACKN), if any

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of GET /v1/tracking/event-codes."""
        return {
            "code": self.code,
            "name": self.name,
            "group": self.group,
            "status": self.status.value if self.status else None,
            "proof": self.proof,
        }


class EventCatalog:
    """Event codes by code; codes are strings so "001" and "1" stay different."""

    def __init__(self, codes: Iterable[EventCode]) -> None:
        self._codes = {c.code: c for c in codes}

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def get(self, code: str) -> EventCode | None:
        """The catalog row for a code, or None when the code is unknown."""
        return self._codes.get(code)

    def all(self) -> list[EventCode]:
        """Every code, in code order."""
        return [self._codes[k] for k in sorted(self._codes)]

    def first_with_status(self, status: ShipmentStatus) -> EventCode:
        """The lowest code that implies `status` (what the sandbox plays for it)."""
        for code in self.all():
            if code.status is status:
                return code
        raise LookupError(f"no event code implies {status.value}")

    @classmethod
    def from_csv(cls, text: str) -> EventCatalog:
        """Read `code,name,group,status,proof` rows (status and proof may be empty)."""
        codes = []
        for row in csv.DictReader(io.StringIO(text)):
            status = (row.get("status") or "").strip()
            proof = (row.get("proof") or "").strip()
            codes.append(
                EventCode(
                    code=row["code"].strip(),
                    name=row["name"].strip(),
                    group=row["group"].strip(),
                    status=ShipmentStatus(status) if status else None,
                    proof=proof or None,
                )
            )
        return cls(codes)

    @classmethod
    def load(cls, path: Path | None = None) -> EventCatalog:
        """The operator's catalog file when given, else the one shipped with Postroom."""
        if path is not None:
            return cls.from_csv(path.read_text(encoding="utf-8"))
        text = resources.files("postroom.domain").joinpath("event_codes.csv").read_text("utf-8")
        return cls.from_csv(text)


COMMUNICATION_GROUP = "communication"  # the catalog group whose events may name a channel


def shop_allowed(limited_to: frozenset[str], shop_id: str | None) -> bool:
    """Whether a user limited to `limited_to` shops (empty: not limited) reaches a shipment
    of `shop_id`; a limited user reaches no shipment without a shop."""
    return not limited_to or shop_id in limited_to


def channel_allowed(code: str, channel: str | None, catalog: EventCatalog) -> bool:
    """A communication channel (SMS, EMAIL, ...) belongs only to events of the
    communication group."""
    row = catalog.get(code)
    return channel is None or (row is not None and row.group == COMMUNICATION_GROUP)


def offset_minutes(at: datetime) -> int:
    """The UTC offset of an aware time, in minutes (0 for a naive one)."""
    offset = at.utcoffset()
    return 0 if offset is None else offset // _MINUTE


class EventFields(TypedDict):
    """An event as a caller sends it, its fields checked: the time aware, in the caller's
    offset; a missing source is DEFAULT_SOURCE. The inbox stores these as they are."""

    reference: str
    time: datetime
    code: str
    additional_code: NotRequired[str | None]
    source: NotRequired[str | None]
    latitude: NotRequired[float | None]
    longitude: NotRequired[float | None]
    location: NotRequired[str | None]
    location_id: NotRequired[str | None]
    channel: NotRequired[str | None]
    message: NotRequired[str | None]


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One thing that happened to a shipment, as a carrier or the print shop told it."""

    reference: str
    occurred_at: datetime  # aware; kept in UTC, with the sender's offset beside it
    code: str
    source: str
    utc_offset_minutes: int = 0
    latitude: float | None = None
    longitude: float | None = None
    location: str | None = None
    location_id: str | None = None
    additional_code: str | None = None
    channel: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if not self.reference or len(self.reference) > REFERENCE_MAX:
            raise InvalidInput(
                f"the tracking reference must be 1 to {REFERENCE_MAX} characters",
                detail={"field": "reference"},
            )
        if self.occurred_at.tzinfo is None:
            raise InvalidInput("the event time needs a UTC offset", detail={"field": "time"})
        if self.occurred_at.tzinfo is not UTC:
            try:
                object.__setattr__(self, "occurred_at", to_utc(self.occurred_at))
            except TimeOutOfRange as exc:
                raise InvalidInput(
                    f"the event time {exc}",
                    code=ErrorCode.VALIDATION_ERROR,
                    detail={"field": "time"},
                ) from exc

    @classmethod
    def of(cls, fields: EventFields) -> TrackingEvent:
        """The event a caller's checked fields describe."""
        at = fields["time"]
        return cls(
            reference=fields["reference"],
            occurred_at=at,
            utc_offset_minutes=offset_minutes(at),
            code=fields["code"],
            source=fields.get("source") or DEFAULT_SOURCE,
            latitude=fields.get("latitude"),
            longitude=fields.get("longitude"),
            location=fields.get("location"),
            location_id=fields.get("location_id"),
            additional_code=fields.get("additional_code"),
            channel=fields.get("channel"),
            message=fields.get("message"),
        )

    @property
    def dedup_key(self) -> tuple[str, str, datetime, str]:
        """Two events with this key equal are one event told twice."""
        return (self.reference, self.code, self.occurred_at, self.source)

    def local_time(self) -> datetime:
        """The event time in the offset it was given with."""
        return self.occurred_at.astimezone(timezone(timedelta(minutes=self.utc_offset_minutes)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in the event log, webhooks and the evidence log."""
        return {
            "reference": self.reference,
            "time": self.local_time().isoformat(),
            "code": self.code,
            "additional_code": self.additional_code,
            "source": self.source,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "location": self.location,
            "location_id": self.location_id,
            "channel": self.channel,
            "message": self.message,
        }


@dataclass
class EventBatch:
    """A call's events accepted at once and folded later by a worker stage: until then
    its events wait in the inbox; once folded, the batch says what they did."""

    id: str
    account_id: str
    carrier: str
    received: int
    received_at: datetime
    folded_at: datetime | None = None
    stored: int | None = None
    duplicates: int | None = None
    shipments_created: int | None = None
    status_changes: int | None = None
    error: str | None = None

    @property
    def state(self) -> Literal["queued", "folded", "failed"]:
        """queued, folded, or failed (the events stay in the inbox)."""
        if self.error is not None:
            return "failed"
        return "queued" if self.folded_at is None else "folded"


def winning_event(
    events: Iterable[TrackingEvent], catalog: EventCatalog
) -> tuple[TrackingEvent, ShipmentStatus] | None:
    """The event that decides the status: highest rank, then latest, then highest code."""
    best: tuple[tuple[int, datetime, str], TrackingEvent, ShipmentStatus] | None = None
    for event in events:
        row = catalog.get(event.code)
        if row is None or row.status is None:
            continue
        key = (STATUS_RANK[row.status], event.occurred_at, event.code)
        if best is None or key > best[0]:
            best = (key, event, row.status)
    return None if best is None else (best[1], best[2])


@dataclass(eq=False)
class Shipment:
    """The physical item once it leaves: a reference, a carrier and a carriage status."""

    account_id: str
    reference: str
    carrier: str
    created_at: datetime
    updated_at: datetime
    piece_id: str | None = None
    shop_id: str | None = None
    status: ShipmentStatus = ShipmentStatus.REGISTERED
    status_at: datetime | None = None  # time of the event that set the status
    status_code: str | None = None  # its code
    details: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    id: str = field(default_factory=new_id)

    def status_key(self) -> tuple[int, datetime, str]:
        """The (rank, time, code) a new event must beat to change the status."""
        return (STATUS_RANK[self.status], self.status_at or EPOCH, self.status_code or "")

    def consider(self, event: TrackingEvent, catalog: EventCatalog, now: datetime) -> bool:
        """Take the event's status if it outranks the current one; True when it changed."""
        row = catalog.get(event.code)
        if row is None or row.status is None:
            return False
        at = event.occurred_at
        if (STATUS_RANK[row.status], at, event.code) <= self.status_key():
            return False
        changed = row.status is not self.status
        self.status = row.status
        self.status_at = at
        self.status_code = event.code
        self.updated_at = now
        return changed


@dataclass(eq=False)
class StatusRow:
    """A stored shipment's status columns, as bulk ingest reads and rewrites them (no ORM
    object per shipment: a call of 1,000 events touches up to 1,000 of them)."""

    id: str
    reference: str
    carrier: str
    piece_id: str | None
    status: ShipmentStatus
    status_at: datetime | None
    status_code: str | None
    version: int
    dirty: bool = False  # status columns to write back
    changed: bool = False  # the status itself moved (a feed entry)

    def consider(self, event: TrackingEvent, catalog: EventCatalog) -> bool:
        """As Shipment.consider: take the event's status if it outranks the current one."""
        row = catalog.get(event.code)
        if row is None or row.status is None:
            return False
        key = (STATUS_RANK[row.status], event.occurred_at, event.code)
        if key <= (STATUS_RANK[self.status], self.status_at or EPOCH, self.status_code or ""):
            return False
        moved = row.status is not self.status
        self.status, self.status_at, self.status_code = row.status, event.occurred_at, event.code
        self.dirty = True
        self.changed = self.changed or moved
        return moved


class ProofKind(StrEnum):
    """The proofs a shipment can carry (the names the Nirva seed uses)."""

    CERTIF = "CERTIF"  # deposit certificate: handed to the postal operator
    ACKN = "ACKN"  # acknowledgement of receipt: delivered
    FAIL_PROOF = "FAIL_PROOF"  # failure proof: returned or undeliverable
    TRACKING_DETAIL = "TRACKING_DETAIL"  # every event so far, as JSON


PROOF_MEDIA_TYPES = {
    ProofKind.CERTIF: "application/pdf",
    ProofKind.ACKN: "application/pdf",
    ProofKind.FAIL_PROOF: "application/pdf",
    ProofKind.TRACKING_DETAIL: "application/json",
}


@dataclass(eq=False)
class Proof:
    """A stored proof: its bytes are a blob, named by their SHA-256."""

    account_id: str
    shipment_id: str
    kind: ProofKind
    blob_sha256: str
    size_bytes: int
    created_at: datetime
    piece_id: str | None = None
    media_type: str = "application/pdf"
    redacted_at: datetime | None = None  # retention dropped the bytes; the hash stays
    id: str = field(default_factory=new_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the proofs API."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "shipment_id": self.shipment_id,
            "piece_id": self.piece_id,
            "media_type": self.media_type,
            "sha256": self.blob_sha256,
            "size_bytes": self.size_bytes,
            "created_at": self.created_at.isoformat(),
            "available": self.redacted_at is None,
        }


@dataclass(frozen=True)
class Change:
    """One entry of an account's change feed: a subject moved to a status."""

    seq: int
    created_at: datetime
    subject_type: str  # piece, shipment, lot, webhook_endpoint
    subject_id: str
    kind: str  # what happened: "piece.state", "shipment.status", ...
    status: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of GET /v1/changes."""
        return {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "kind": self.kind,
            "status": self.status,
            "data": self.data,
        }


@dataclass(frozen=True)
class NotedChange:
    """A change waiting for its number."""

    subject_type: str
    subject_id: str
    kind: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        """The webhook event type: `piece.posted`, `shipment.delivered`, ..."""
        return f"{self.subject_type}.{self.status}"


EVENT_CHANGE = "event"  # a shipment's feed entry for one event as its sender sent it


def event_change(*, shipment_id: str, carrier: str, event: TrackingEvent) -> NotedChange:
    """The feed entry (webhook `shipment.event`) of one event registered on its own
    (Posten's single registrations): every field as the sender sent it, its time in the
    sender's offset."""
    return NotedChange(
        "shipment",
        shipment_id,
        "shipment.event",
        EVENT_CHANGE,
        {
            "reference": event.reference,
            "carrier": carrier,
            "event_code": event.code,
            "event_time": event.local_time().isoformat(),
            "source": event.source,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "location": event.location,
            "location_id": event.location_id,
            "additional_code": event.additional_code,
            "channel": event.channel,
            "message": event.message,
        },
    )


def shipment_change(
    *,
    shipment_id: str,
    reference: str,
    carrier: str,
    piece_id: str | None,
    status: ShipmentStatus,
    code: str | None,
    at: datetime | None,
) -> NotedChange:
    """The feed entry of a shipment entering a status."""
    return NotedChange(
        "shipment",
        shipment_id,
        "shipment.status",
        status.value,
        {
            "reference": reference,
            "carrier": carrier,
            "piece_id": piece_id,
            "event_code": code,
            "event_time": at.isoformat() if at else None,
        },
    )
