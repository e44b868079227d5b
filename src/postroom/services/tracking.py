"""Use cases of tracking: shipments, carrier events in bulk, proofs, the change feed.

Events are checked as a whole before anything is stored (a batch with one bad event is
refused and stores nothing), deduplicated (same reference, code, time and source, within
the batch and against what is stored), written in bulk, and each shipment's status is
recomputed from the events that outrank it. A shipment that reaches an end status moves
its mail piece (delivered, returned) and asks for its proofs; proofs are made by a
pipeline stage, never on the request path.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postroom.documents.shipment_proofs import (
    ProofEvent,
    ShipmentProof,
    render_shipment_proof,
    render_tracking_detail,
)
from postroom.domain.audit import AuditEntry, AuditKind
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from postroom.domain.model import MailPiece, new_id
from postroom.domain.states import PIECE_TRANSITIONS, PieceState
from postroom.domain.tracking import (
    FINAL_STATUSES,
    MAX_EVENTS_PER_CALL,
    PROOF_MEDIA_TYPES,
    REFERENCE_MAX,
    Change,
    EventBatch,
    EventCatalog,
    EventFields,
    NotedChange,
    Proof,
    ProofKind,
    Shipment,
    ShipmentStatus,
    StatusRow,
    TrackingEvent,
    channel_allowed,
    event_change,
    shipment_change,
    shop_allowed,
    winning_event,
)
from postroom.services.ports import BlobStore, UnitOfWork
from postroom.services.stages import FOLD_EVENTS, ISSUE_PROOF

log = logging.getLogger(__name__)

DEFAULT_CARRIER = "postal"
PIECE_STATUS = {
    ShipmentStatus.DELIVERED: PieceState.DELIVERED,
    ShipmentStatus.RETURNED: PieceState.RETURNED,
    ShipmentStatus.UNDELIVERABLE: PieceState.RETURNED,
}
FINAL_PROOF = {
    ShipmentStatus.DELIVERED: ProofKind.ACKN,
    ShipmentStatus.RETURNED: ProofKind.FAIL_PROOF,
    ShipmentStatus.UNDELIVERABLE: ProofKind.FAIL_PROOF,
}


@dataclass(frozen=True)
class IngestResult:
    """What a batch of events did."""

    received: int
    stored: int
    duplicates: int
    shipments_created: int
    status_changes: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of POST /v1/tracking/events."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "shipments_created": self.shipments_created,
            "status_changes": self.status_changes,
        }


def check_events(codes: Sequence[str], catalog: EventCatalog) -> None:
    """Refuse the whole batch when any event is unusable (given by their codes, in
    order), naming every bad one."""
    if not codes:
        raise InvalidInput("no events given", code=ErrorCode.NO_EVENTS)
    if len(codes) > MAX_EVENTS_PER_CALL:
        raise InvalidInput(
            f"at most {MAX_EVENTS_PER_CALL} events per call, got {len(codes)}",
            code=ErrorCode.TOO_MANY_EVENTS,
        )
    unknown = [{"index": i, "code": code} for i, code in enumerate(codes) if code not in catalog]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} event(s) carry a code that is not in the event catalog "
            "(GET /v1/tracking/event-codes lists them; leading zeros count)",
            code=ErrorCode.UNKNOWN_EVENT_CODE,
            detail={"events": unknown[:50]},
        )


def ingest_events(
    *,
    uow: UnitOfWork,
    clock: Clock,
    catalog: EventCatalog,
    account_id: str,
    events: Sequence[TrackingEvent],
    carrier: str = DEFAULT_CARRIER,
) -> IngestResult:
    """Store new events, recompute the statuses they touch, in one transaction."""
    check_events([ev.code for ev in events], catalog)
    with uow:
        result = _ingest(uow, clock.now(), catalog, account_id, events, carrier)
        uow.commit()
    if result.duplicates:
        log.info("tracking: %d of %d events were known already", result.duplicates, len(events))
    return result


def queue_events(
    *,
    uow: UnitOfWork,
    clock: Clock,
    catalog: EventCatalog,
    account_id: str,
    events: Sequence[EventFields],
    carrier: str = DEFAULT_CARRIER,
) -> EventBatch:
    """Accept a checked batch at once: its events go to the inbox as they are, and the
    FOLD_EVENTS stage folds them into shipments, the event log, the feed and the evidence
    log. Nothing is lost: the inbox and the stage's message commit together. (The events
    stay plain fields until folded: making domain events of them here would cost as much
    as storing them.)"""
    check_events([e["code"] for e in events], catalog)
    with uow:
        now = clock.now()
        batch = EventBatch(
            id=new_id(),
            account_id=account_id,
            carrier=carrier,
            received=len(events),
            received_at=now,
        )
        uow.shipments.queue_events(batch, events)
        uow.outbox.add(FOLD_EVENTS, {"batch_id": batch.id}, now)
        uow.commit()
    return batch


def fold_events(
    *, uow: UnitOfWork, clock: Clock, catalog: EventCatalog, batch_id: str, message_id: int
) -> EventBatch | None:
    """The FOLD_EVENTS stage: a queued batch's events are ingested as a synchronous call's
    would be, the batch records what they did and its events leave the inbox (once: a
    folded batch is left alone). An event whose code left the catalog since it was accepted
    is dropped and counted with the duplicates."""
    with uow:
        now = clock.now()
        batch = uow.shipments.event_batch(batch_id)
        if batch is None or batch.state != "queued":
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return None
        # One fold at a time per account: folds of batches naming the same new references
        # would otherwise race to create their shipments and retry.
        uow.feeds.lock(batch.account_id)
        batch = uow.shipments.event_batch(batch_id)
        if batch is None or batch.state != "queued":
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return None
        events = [ev for ev in uow.shipments.inbox_events(batch_id) if ev.code in catalog]
        result = (
            _ingest(uow, now, catalog, batch.account_id, events, batch.carrier)
            if events
            else IngestResult(0, 0, 0, 0, 0)
        )
        batch.folded_at = now
        batch.stored = result.stored
        batch.duplicates = batch.received - result.stored
        batch.shipments_created = result.shipments_created
        batch.status_changes = result.status_changes
        uow.shipments.finish_batch(batch)
        uow.outbox.mark_done(message_id, now)
        uow.commit()
    return batch


def abandon_fold(*, uow: UnitOfWork, batch_id: str, reason: str) -> None:
    """A fold failed for good: the batch says why; its events stay in the inbox."""
    batch = uow.shipments.event_batch(batch_id)
    if batch is not None and batch.state == "queued":
        batch.error = reason[:500]
        uow.shipments.finish_batch(batch)


def get_event_batch(*, uow: UnitOfWork, account_id: str, batch_id: str) -> EventBatch:
    """One of the account's queued or folded batches."""
    with uow:
        batch = uow.shipments.event_batch(batch_id, account_id)
    if batch is None:
        raise NotFound(f"no event batch {batch_id}")
    return batch


def _ingest(
    uow: UnitOfWork,
    now: datetime,
    catalog: EventCatalog,
    account_id: str,
    events: Sequence[TrackingEvent],
    carrier: str,
) -> IngestResult:
    """Dedup, store and fold events into shipments, the feed and the evidence log, inside
    the caller's transaction."""
    fresh: dict[tuple[str, str, datetime, str], TrackingEvent] = {}
    for ev in events:
        fresh.setdefault(ev.dedup_key, ev)
    references = sorted({ev.reference for ev in fresh.values()})
    known = uow.shipments.status_rows(account_id, references)
    # Only a known shipment can have stored events to repeat.
    for key in uow.shipments.existing_event_keys(account_id, sorted(known)):
        fresh.pop(key, None)
    new_events = sorted(fresh.values(), key=lambda e: (e.occurred_at, e.code))
    for ev in new_events:
        status_row = known.get(ev.reference)
        if status_row is not None:
            status_row.consider(ev, catalog)
    dirty = [r for r in known.values() if r.dirty]
    changed = [r for r in dirty if r.changed]
    new = _new_shipments(
        account_id,
        carrier,
        [r for r in references if r not in known],
        new_events,
        catalog,
        now,
    )
    # Shipments go in and change as rows, in bulk; a new one enters the feed once, in the
    # status its events give it.
    uow.shipments.insert_new(new)
    uow.shipments.update_statuses(dirty, now)
    # Status changes go to the feed; their evidence is the call's one record below.
    moves = [_row_change(row) for row in new] + [_status_row_change(r) for r in changed]
    for move in moves:
        uow.feeds.note_change(account_id, move, audit=False)
    ids = {r.reference: r.id for r in known.values()} | {r["reference"]: r["id"] for r in new}
    uow.shipments.add_events(account_id, [(ids[ev.reference], ev) for ev in new_events], now)
    if new_events:
        # One evidence record per call, holding every event it stored (in time order,
        # each with its shipment) and every status change they made: the chain covers
        # each of them without a record apiece.
        uow.feeds.audit(
            account_id,
            AuditEntry(
                AuditKind.TRACKING_EVENTS,
                f"events:{len(new_events)}",
                {
                    "events": [
                        {"shipment_id": ids[ev.reference], **ev.to_dict()} for ev in new_events
                    ],
                    "status_changes": [
                        {"shipment_id": m.subject_id, "status": m.status, **m.data} for m in moves
                    ],
                },
            ),
        )
    ends = [_End(r.id, r.status, r.piece_id, r.reference) for r in changed]
    ends += [_End(r["id"], r["status"], None, r["reference"]) for r in new]
    _follow_statuses(uow, ends, now)
    return IngestResult(
        received=len(events),
        stored=len(new_events),
        duplicates=len(events) - len(new_events),
        shipments_created=len(new),
        status_changes=len(changed)
        + sum(r["status"] is not ShipmentStatus.REGISTERED for r in new),
    )


@dataclass(frozen=True)
class _End:
    """A shipment whose status a call changed (known or new)."""

    id: str
    status: ShipmentStatus
    piece_id: str | None
    reference: str


def _new_shipments(
    account_id: str,
    carrier: str,
    references: Sequence[str],
    events: Sequence[TrackingEvent],
    catalog: EventCatalog,
    now: datetime,
) -> list[dict[str, Any]]:
    """Rows of the shipments first seen in this call, their status from their events."""
    wanted = set(references)
    by_reference: dict[str, list[TrackingEvent]] = {r: [] for r in references}
    for ev in events:
        if ev.reference in wanted:
            by_reference[ev.reference].append(ev)
    rows: list[dict[str, Any]] = []
    for reference in references:
        won = winning_event(by_reference[reference], catalog)
        rows.append(
            {
                "id": new_id(),
                "account_id": account_id,
                "piece_id": None,
                "shop_id": None,
                "reference": reference,
                "carrier": carrier,
                "status": won[1] if won else ShipmentStatus.REGISTERED,
                "status_at": won[0].occurred_at if won else None,
                "status_code": won[0].code if won else None,
                "details": {},
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    return rows


def _row_change(row: dict[str, Any]) -> NotedChange:
    return shipment_change(
        shipment_id=row["id"],
        reference=row["reference"],
        carrier=row["carrier"],
        piece_id=None,
        status=row["status"],
        code=row["status_code"],
        at=row["status_at"],
    )


def _status_row_change(row: StatusRow) -> NotedChange:
    return shipment_change(
        shipment_id=row.id,
        reference=row.reference,
        carrier=row.carrier,
        piece_id=row.piece_id,
        status=row.status,
        code=row.status_code,
        at=row.status_at,
    )


def _follow_statuses(uow: UnitOfWork, shipments: Sequence[_End], now: datetime) -> None:
    """An end status moves the piece and asks for the proofs it earns."""
    final = [s for s in shipments if s.status in FINAL_STATUSES]
    uow.outbox.add_many(
        ISSUE_PROOF,
        [
            {"shipment_id": s.id, "kind": kind.value}
            for s in final
            for kind in (FINAL_PROOF[s.status], ProofKind.TRACKING_DETAIL)
        ],
        now,
    )
    with_piece = [s for s in final if s.piece_id is not None]
    pieces = uow.lots.pieces_by_ids([s.piece_id for s in with_piece if s.piece_id])
    for shipment in with_piece:
        piece = pieces.get(shipment.piece_id or "")
        target = PIECE_STATUS[shipment.status]
        if piece is None or piece.state is target:
            continue
        if target in PIECE_TRANSITIONS[piece.state]:
            piece.move_to(target, now)
        else:
            log.info(
                "shipment %s is %s but its piece %s is %s; the piece stays",
                shipment.reference,
                shipment.status.value,
                piece.id,
                piece.state.value,
            )


# --- shipments of mail pieces ----------------------------------------------------------


def piece_reference(piece: MailPiece) -> str:
    """The tracking reference of a piece's shipment: its registered-mail number if it has
    one, else its id without dashes (32 characters, within every carrier's 35)."""
    reference = piece.tracking_reference or piece.id.replace("-", "")
    return reference[:REFERENCE_MAX]


def ship_piece(uow: UnitOfWork, piece: MailPiece, at: datetime, now: datetime) -> Shipment:
    """The piece was posted at `at`: its shipment exists from now on, and a deposit
    certificate is asked for. Called once per piece, on its move to posted (the
    transition table allows that move once; the reference is unique per account)."""
    shipment = Shipment(
        account_id=piece.account_id,
        reference=piece_reference(piece),
        carrier=DEFAULT_CARRIER,
        created_at=now,
        updated_at=now,
        piece_id=piece.id,
        status=ShipmentStatus.IN_TRANSIT,
        status_at=at,
        details={"posted_at": at.isoformat()},
    )
    uow.shipments.add(shipment)
    uow.outbox.add(ISSUE_PROOF, {"shipment_id": shipment.id, "kind": ProofKind.CERTIF.value}, now)
    return shipment


def create_shipment(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    reference: str,
    carrier: str,
    details: dict[str, Any] | None = None,
    shop_id: str | None = None,
) -> Shipment:
    """Register a shipment before its first event (a parcel, an item sent elsewhere),
    in one of the account's shops if `shop_id` names one."""
    if not reference or len(reference) > REFERENCE_MAX:
        raise InvalidInput(
            f"the tracking reference must be 1 to {REFERENCE_MAX} characters",
            code=ErrorCode.INVALID_REFERENCE,
        )
    with uow:
        if shop_id is not None and shop_id not in {s.id for s in uow.accounts.shops(account_id)}:
            raise InvalidInput(
                f"the account has no shop {shop_id}",
                code=ErrorCode.UNKNOWN_SHOP,
                detail={"field": "shop_id"},
            )
        if uow.shipments.by_reference(account_id, reference) is not None:
            raise Conflict(
                f"a shipment with reference {reference} exists already",
                code=ErrorCode.DUPLICATE_REFERENCE,
            )
        now = clock.now()
        shipment = Shipment(
            account_id=account_id,
            reference=reference,
            carrier=carrier,
            created_at=now,
            updated_at=now,
            details=details or {},
            shop_id=shop_id,
        )
        uow.shipments.add(shipment)
        uow.commit()
    return shipment


# --- one event from a user who may be limited to some shops ---------------------------


def _reachable_shipment(
    uow: UnitOfWork, account_id: str, user_id: str | None, reference: str
) -> Shipment:
    """The account's shipment of this reference if the caller reaches its shop; otherwise
    Forbidden, the same for an unknown reference, another account's and a shop the user is
    not allowed (a reference is a public label number: none of them is told apart)."""
    shipment = uow.shipments.by_reference(account_id, reference)
    limited = uow.accounts.user_shop_ids(user_id) if user_id is not None else frozenset()
    if shipment is None or not shop_allowed(limited, shipment.shop_id):
        raise Forbidden(
            "no access to the shop of this parcel (or no such parcel)",
            code=ErrorCode.SHIPMENT_NOT_REACHABLE,
            detail={"field": "reference"},
        )
    return shipment


def check_event_codes(event: TrackingEvent, catalog: EventCatalog) -> None:
    """Refuse one event whose code, additional code or channel the catalog does not allow,
    naming the field."""
    for field, code in (("code", event.code), ("additional_code", event.additional_code)):
        if code is not None and code not in catalog:
            raise InvalidInput(
                f"{code!r} is not a code of the event catalog (leading zeros count)",
                code=ErrorCode.UNKNOWN_EVENT_CODE,
                detail={"field": field},
            )
    if not channel_allowed(event.code, event.channel, catalog):
        raise InvalidInput(
            f"a channel belongs only to events of the communication group, not {event.code}",
            code=ErrorCode.CHANNEL_NOT_FOR_EVENT,
            detail={"field": "channel"},
        )


def register_event(
    *,
    uow: UnitOfWork,
    clock: Clock,
    catalog: EventCatalog,
    account_id: str,
    user_id: str | None,
    event: TrackingEvent,
) -> IngestResult:
    """Add one event to a registered shipment the caller reaches (its shop), as a call of
    POST /v1/tracking/events stores it: the event log, the status, the feed, webhooks."""
    check_event_codes(event, catalog)
    with uow:
        shipment = _reachable_shipment(uow, account_id, user_id, event.reference)
        result = _ingest(uow, clock.now(), catalog, account_id, [event], shipment.carrier)
        if result.stored:  # pushed as sent (a replay is a duplicate: nothing new to push);
            # its evidence is the ingest's record
            change = event_change(shipment_id=shipment.id, carrier=shipment.carrier, event=event)
            uow.feeds.note_change(account_id, change, audit=False)
        uow.commit()
    return result


def reachable_events(
    *, uow: UnitOfWork, account_id: str, user_id: str | None, reference: str, limit: int
) -> list[tuple[int, TrackingEvent]]:
    """The event log of a shipment the caller reaches, in arrival order."""
    with uow:
        shipment = _reachable_shipment(uow, account_id, user_id, reference)
        return uow.shipments.event_page(shipment.id, after=None, limit=limit)


# --- proofs ----------------------------------------------------------------------------


def issue_proof(
    *,
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    catalog: EventCatalog,
    shipment_id: str,
    kind: str,
    message_id: int,
) -> Proof | None:
    """Make, store and list one proof of a shipment (once: a second request finds it).

    The PDF is drawn and stored between two short transactions, not inside one: on SQLite
    a transaction holds the database's one write lock, and folds of tracking events would
    wait behind every proof being drawn."""
    proof_kind = ProofKind(kind)
    with uow:
        now = clock.now()
        shipment = uow.shipments.get_by_id(shipment_id)  # a stage: any account
        if shipment is None or uow.shipments.proof_of_kind(shipment_id, proof_kind):
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return None
        account = uow.accounts.get(shipment.account_id)
        piece = uow.pieces.get_by_id(shipment.piece_id) if shipment.piece_id else None
        events = uow.shipments.events_of([shipment.id])[shipment.id]
    data = _proof_bytes(proof_kind, shipment, piece, events, catalog, account, now)
    sha256, size = blobs.put(io.BytesIO(data))
    with uow:
        if uow.shipments.proof_of_kind(shipment_id, proof_kind):  # made meanwhile
            uow.outbox.mark_done(message_id, now)
            uow.commit()
            return None
        proof = Proof(
            account_id=shipment.account_id,
            shipment_id=shipment.id,
            kind=proof_kind,
            blob_sha256=sha256,
            size_bytes=size,
            created_at=now,
            piece_id=shipment.piece_id,
            media_type=PROOF_MEDIA_TYPES[proof_kind],
        )
        uow.shipments.add(proof)
        uow.feeds.note_change(shipment.account_id, _proof_change(proof, shipment))
        uow.outbox.mark_done(message_id, now)
        uow.commit()
    return proof


def _proof_change(proof: Proof, shipment: Shipment) -> NotedChange:
    return NotedChange(
        "proof",
        proof.id,
        "proof.issued",
        proof.kind.value.lower(),
        {
            "kind": proof.kind.value,
            "shipment_id": shipment.id,
            "reference": shipment.reference,
            "piece_id": proof.piece_id,
            "sha256": proof.blob_sha256,
        },
    )


def _proof_bytes(
    kind: ProofKind,
    shipment: Shipment,
    piece: MailPiece | None,
    events: list[TrackingEvent],
    catalog: EventCatalog,
    account: Any,
    now: datetime,
) -> bytes:
    if kind is ProofKind.TRACKING_DETAIL:
        return render_tracking_detail(
            shipment_dict(shipment), [event_view(e, catalog) for e in events]
        )
    deciding = [e for e in events if e.code == shipment.status_code]
    reason = ""
    if kind is ProofKind.FAIL_PROOF and deciding:
        row = catalog.get(deciding[-1].code)
        reason = row.name if row else deciding[-1].code
    recipient = piece.recipient if piece is not None else None
    status_time = (
        deciding[-1].local_time().isoformat()
        if deciding and kind is not ProofKind.CERTIF
        else (shipment.details.get("posted_at") or shipment.created_at.isoformat())
    )
    return render_shipment_proof(
        ShipmentProof(
            kind=kind.value,
            shipment_id=shipment.id,
            reference=shipment.reference,
            carrier=shipment.carrier,
            status="posted" if kind is ProofKind.CERTIF else shipment.status.value,
            status_time=status_time,
            issued_at=now,
            account_name=account.name if account is not None else "",
            piece_id=shipment.piece_id,
            recipient_lines=_recipient_lines(recipient),
            reason=reason,
            events=tuple(
                ProofEvent(
                    e.local_time().isoformat(),
                    e.code,
                    _code_name(e.code, catalog),
                    e.location or "",
                )
                for e in events
            ),
        )
    )


def _code_name(code: str, catalog: EventCatalog) -> str:
    row = catalog.get(code)
    return row.name if row is not None else code


def _recipient_lines(recipient: Any) -> tuple[str, ...]:
    if recipient is None:
        return ()
    return (
        *recipient.name_lines,
        *recipient.street_lines,
        f"{recipient.postal_code} {recipient.city}".strip(),
        recipient.country,
    )


# --- reading -------------------------------------------------------------------------


def shipment_dict(shipment: Shipment) -> dict[str, Any]:
    """The JSON form of a shipment."""
    return {
        "id": shipment.id,
        "reference": shipment.reference,
        "carrier": shipment.carrier,
        "status": shipment.status.value,
        "status_code": shipment.status_code,
        "status_at": shipment.status_at.isoformat() if shipment.status_at else None,
        "piece_id": shipment.piece_id,
        "shop_id": shipment.shop_id,
        "details": shipment.details,
        "created_at": shipment.created_at.isoformat(),
        "updated_at": shipment.updated_at.isoformat(),
    }


def event_view(event: TrackingEvent, catalog: EventCatalog) -> dict[str, Any]:
    """An event as the API shows it: its fields plus the catalog's name, group, status."""
    row = catalog.get(event.code)
    return {
        **event.to_dict(),
        "name": row.name if row else None,
        "group": row.group if row else None,
        "status": row.status.value if row and row.status else None,
    }


def get_shipment(*, uow: UnitOfWork, account_id: str, shipment_id: str) -> Shipment:
    """The account's shipment, or NotFound."""
    with uow:
        shipment = uow.shipments.get(account_id, shipment_id)
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}")
    return shipment


def list_shipments(
    *,
    uow: UnitOfWork,
    account_id: str,
    status: ShipmentStatus | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Shipment]:
    """A page of the account's shipments, oldest first."""
    with uow:
        return list(uow.shipments.page(account_id, status=status, after=after, limit=limit))


def shipment_events(
    *, uow: UnitOfWork, account_id: str, shipment_id: str, after: int | None, limit: int
) -> list[tuple[int, TrackingEvent]]:
    """A page of a shipment's event log, in the order the events came in."""
    with uow:
        if uow.shipments.get(account_id, shipment_id) is None:
            raise NotFound(f"no shipment {shipment_id}")
        return uow.shipments.event_page(shipment_id, after=after, limit=limit)


def shipment_proofs(*, uow: UnitOfWork, account_id: str, shipment_id: str) -> list[Proof]:
    """Every proof of a shipment."""
    with uow:
        if uow.shipments.get(account_id, shipment_id) is None:
            raise NotFound(f"no shipment {shipment_id}")
        return list(uow.shipments.proofs_of(shipment_id))


def get_proof(*, uow: UnitOfWork, account_id: str, proof_id: str) -> Proof:
    """The account's proof, or NotFound."""
    with uow:
        proof = uow.shipments.proof(account_id, proof_id)
    if proof is None:
        raise NotFound(f"no proof {proof_id}")
    return proof


def changes_after(*, uow: UnitOfWork, account_id: str, after: int, limit: int) -> list[Change]:
    """The account's change feed after a position; each change once, none skipped."""
    with uow:
        return uow.feeds.changes_after(account_id, after, limit)
