"""Shipments, their tracking events (bulk, deduplicated) and their proofs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postroom.domain.errors import RetryableError
from postroom.domain.tracking import (
    DEFAULT_SOURCE,
    EventBatch,
    EventFields,
    Proof,
    ProofKind,
    Shipment,
    ShipmentStatus,
    StatusRow,
    TrackingEvent,
    offset_minutes,
)
from postroom.storage import tables
from postroom.storage.feeds import bulk_insert, bulk_insert_values

EventKey = tuple[str, str, datetime, str]  # reference, code, UTC time, source
_REQUIRED_FIELDS = ("reference", "occurred_at", "utc_offset_minutes", "code", "source")
_OPTIONAL_FIELDS = (
    "additional_code",
    "latitude",
    "longitude",
    "location",
    "location_id",
    "channel",
    "message",
)


def _chunks(items: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class ShipmentRepository:
    """Shipments by id, reference or piece; events in bulk; proofs."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: Shipment | Proof) -> None:
        """Stage a new shipment or proof."""
        self.session.add(obj)

    def get(self, account_id: str, shipment_id: str) -> Shipment | None:
        """The account's shipment, or None (another account's is None too)."""
        shipment = self.session.get(Shipment, shipment_id)
        return shipment if shipment is not None and shipment.account_id == account_id else None

    def get_by_id(self, shipment_id: str) -> Shipment | None:
        """Any account's shipment (pipeline stages only; the API goes through get)."""
        return self.session.get(Shipment, shipment_id)

    def by_reference(self, account_id: str, reference: str) -> Shipment | None:
        """The account's shipment with this tracking reference."""
        return self.session.scalars(
            select(Shipment).where(
                and_(
                    tables.shipments.c.account_id == account_id,
                    tables.shipments.c.reference == reference,
                )
            )
        ).first()

    def by_references(self, account_id: str, references: Sequence[str]) -> dict[str, Shipment]:
        """The account's shipments for these references, by reference."""
        found: dict[str, Shipment] = {}
        s = tables.shipments.c
        for chunk in _chunks(list(references)):
            for shipment in self.session.scalars(
                select(Shipment).where(and_(s.account_id == account_id, s.reference.in_(chunk)))
            ):
                found[shipment.reference] = shipment
        return found

    def by_piece(self, piece_id: str) -> Shipment | None:
        """The shipment made for a mail piece, if it has left."""
        return self.session.scalars(
            select(Shipment).where(tables.shipments.c.piece_id == piece_id)
        ).first()

    def page(
        self,
        account_id: str,
        *,
        status: ShipmentStatus | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Shipment]:
        """The account's shipments, oldest first, after a (created_at, id) cursor."""
        s = tables.shipments.c
        query = select(Shipment).where(s.account_id == account_id)
        if status is not None:
            query = query.where(s.status == status)
        if after is not None:
            query = query.where(
                or_(s.created_at > after[0], and_(s.created_at == after[0], s.id > after[1]))
            )
        return self.session.scalars(query.order_by(s.created_at, s.id).limit(limit)).all()

    def status_rows(self, account_id: str, references: Sequence[str]) -> dict[str, StatusRow]:
        """The status columns of the account's shipments with these references."""
        s = tables.shipments.c
        found: dict[str, StatusRow] = {}
        for chunk in _chunks(list(references)):
            rows = self.session.execute(
                select(
                    s.id,
                    s.reference,
                    s.carrier,
                    s.piece_id,
                    s.status,
                    s.status_at,
                    s.status_code,
                    s.version,
                ).where(and_(s.account_id == account_id, s.reference.in_(chunk)))
            )
            for r in rows:
                found[r.reference] = StatusRow(
                    r.id,
                    r.reference,
                    r.carrier,
                    r.piece_id,
                    r.status,
                    r.status_at,
                    r.status_code,
                    r.version,
                )
        return found

    def update_statuses(self, rows: Sequence[StatusRow], now: datetime) -> None:
        """Write changed status columns back, each only if nobody changed it meanwhile."""
        if not rows:
            return
        self.session.flush()
        s = tables.shipments
        result = self.session.connection().execute(
            update(s)
            .where(s.c.id == bindparam("b_id"))
            .where(s.c.version == bindparam("b_version"))
            .values(
                status=bindparam("b_status"),
                status_at=bindparam("b_status_at"),
                status_code=bindparam("b_status_code"),
                updated_at=now,
                version=bindparam("b_version") + 1,
            ),
            [
                {
                    "b_id": r.id,
                    "b_version": r.version,
                    "b_status": r.status,
                    "b_status_at": r.status_at,
                    "b_status_code": r.status_code,
                }
                for r in rows
            ],
        )
        if result.rowcount not in (-1, len(rows)):
            self.session.rollback()
            raise RetryableError("a shipment's status changed under us")

    def insert_new(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert shipments given as column dicts, in bulk (ingest of many new references)."""
        try:
            bulk_insert(self.session.connection(), tables.shipments, rows)
        except IntegrityError as exc:  # psycopg's too: bulk_insert translates them
            self.session.rollback()
            raise RetryableError("a shipment was created concurrently") from exc

    # --- events --------------------------------------------------------------------------

    def existing_event_keys(self, account_id: str, references: Sequence[str]) -> set[EventKey]:
        """Dedup keys of the events already stored for these references. (Asking the
        database for only the repeats, by a tuple IN on the index's columns, cost more:
        SQLAlchemy builds and compiles a bound tuple per key.)"""
        e = tables.tracking_events.c
        keys: set[EventKey] = set()
        for chunk in _chunks(sorted(set(references))):
            rows = self.session.execute(
                select(e.reference, e.code, e.occurred_at, e.source).where(
                    and_(e.account_id == account_id, e.reference.in_(chunk))
                )
            )
            keys.update((r[0], r[1], r[2], r[3]) for r in rows)  # UTCDateTime: aware UTC
        return keys

    def add_events(
        self,
        account_id: str,
        rows: Sequence[tuple[str, TrackingEvent]],
        received_at: datetime,
    ) -> None:
        """Store (shipment id, event) pairs in bulk (COPY on PostgreSQL)."""
        try:
            self.session.flush()  # new shipments first: the events refer to them
        except IntegrityError as exc:
            # Another call created one of these references a moment ago: plan again.
            self.session.rollback()
            raise RetryableError("a shipment was created concurrently") from exc
        try:
            bulk_insert(
                self.session.connection(),
                tables.tracking_events,
                [_event_row(account_id, shipment_id, ev, received_at) for shipment_id, ev in rows],
            )
        except IntegrityError as exc:
            # A concurrent call stored one of these events first: dedup again on a retry.
            self.session.rollback()
            raise RetryableError("an event was stored concurrently") from exc

    # --- the event inbox: accepted now, folded by a stage --------------------------------

    def queue_events(self, batch: EventBatch, events: Sequence[EventFields]) -> None:
        """Store a batch and its events in the inbox, in bulk, nothing else. The batch row
        records the bounds of its rows' ids (the fold reads them by that range)."""
        connection = self.session.connection()
        b, i = tables.event_batches.c, tables.event_inbox.c
        postgres = connection.dialect.name == "postgresql"
        # Bounds that hold every id the rows get: on PostgreSQL an id from the column's
        # sequence before and its last value after (other batches' ids may fall between);
        # on SQLite the next id and the largest after (the transaction holds the write lock
        # since BEGIN IMMEDIATE: nobody else inserts meanwhile).
        sequence = func.pg_get_serial_sequence("event_inbox", "id")
        first = (
            func.nextval(sequence)
            if postgres
            else select(func.coalesce(func.max(i.id), 0) + 1).scalar_subquery()
        )
        connection.execute(
            tables.event_batches.insert().values(
                id=batch.id,
                account_id=batch.account_id,
                carrier=batch.carrier,
                received=batch.received,
                received_at=batch.received_at,
                first_event_id=first,
            )
        )
        # The optional fields no event of the call has are left to their NULL default:
        # a carrier that sends five fields costs five columns, not twelve.
        given = set().union(*events)
        present = [n for n in _OPTIONAL_FIELDS if n in given]
        bulk_insert_values(
            connection,
            tables.event_inbox,
            ["batch_id", *_REQUIRED_FIELDS, *present],
            [
                [
                    batch.id,
                    e["reference"],
                    e["time"],  # aware: the column's type stores it in UTC
                    offset_minutes(e["time"]),
                    e["code"],
                    e.get("source") or DEFAULT_SOURCE,
                    *[e.get(n) for n in present],
                ]
                for e in events
            ],
        )
        last = func.currval(sequence) if postgres else select(func.max(i.id)).scalar_subquery()
        connection.execute(
            update(tables.event_batches).where(b.id == batch.id).values(last_event_id=last)
        )

    def event_batch(self, batch_id: str, account_id: str | None = None) -> EventBatch | None:
        """A batch by id (of this account when one is given)."""
        b = tables.event_batches.c
        query = select(*[b[name] for name in _BATCH_FIELDS]).where(b.id == batch_id)
        if account_id is not None:
            query = query.where(b.account_id == account_id)
        row = self.session.execute(query).first()
        return None if row is None else EventBatch(**row._mapping)

    def inbox_events(self, batch_id: str) -> list[TrackingEvent]:
        """A batch's events waiting in the inbox, in the order they came."""
        rows = self.session.execute(
            select(tables.event_inbox).where(_in_batch(batch_id)).order_by(tables.event_inbox.c.id)
        )
        return [_event(r) for r in rows]

    def finish_batch(self, batch: EventBatch) -> None:
        """Record what a batch did (or why it failed); folded events leave the inbox."""
        if batch.error is None:
            self.session.execute(tables.event_inbox.delete().where(_in_batch(batch.id)))
        self.session.execute(
            update(tables.event_batches)
            .where(tables.event_batches.c.id == batch.id)
            .values(
                folded_at=batch.folded_at,
                stored=batch.stored,
                duplicates=batch.duplicates,
                shipments_created=batch.shipments_created,
                status_changes=batch.status_changes,
                error=batch.error,
            )
        )

    def events_of(self, shipment_ids: Sequence[str]) -> dict[str, list[TrackingEvent]]:
        """Every stored event of these shipments, by shipment, in time order."""
        e = tables.tracking_events.c
        out: dict[str, list[TrackingEvent]] = {sid: [] for sid in shipment_ids}
        for chunk in _chunks(list(shipment_ids)):
            rows = self.session.execute(
                select(tables.tracking_events)
                .where(e.shipment_id.in_(chunk))
                .order_by(e.occurred_at, e.id)
            )
            for r in rows:
                out[r.shipment_id].append(_event(r))
        return out

    def event_page(
        self, shipment_id: str, *, after: int | None, limit: int
    ) -> list[tuple[int, TrackingEvent]]:
        """A shipment's events in the order they were received, after an event id."""
        e = tables.tracking_events.c
        query = select(tables.tracking_events).where(e.shipment_id == shipment_id)
        if after is not None:
            query = query.where(e.id > after)
        rows = self.session.execute(query.order_by(e.id).limit(limit))
        return [(r.id, _event(r)) for r in rows]

    # --- proofs --------------------------------------------------------------------------

    def proofs_of(self, shipment_id: str) -> Sequence[Proof]:
        """A shipment's proofs, oldest first."""
        p = tables.proofs.c
        return self.session.scalars(
            select(Proof).where(p.shipment_id == shipment_id).order_by(p.created_at, p.id)
        ).all()

    def proof(self, account_id: str, proof_id: str) -> Proof | None:
        """The account's proof, or None."""
        proof = self.session.get(Proof, proof_id)
        return proof if proof is not None and proof.account_id == account_id else None

    def proof_of_kind(self, shipment_id: str, kind: ProofKind) -> Proof | None:
        """The shipment's proof of this kind, if issued."""
        p = tables.proofs.c
        return self.session.scalars(
            select(Proof).where(and_(p.shipment_id == shipment_id, p.kind == kind))
        ).first()

    def proofs_created_before(self, account_id: str, before: datetime) -> Sequence[Proof]:
        """The account's proofs older than `before` whose bytes are still kept."""
        p = tables.proofs.c
        return self.session.scalars(
            select(Proof).where(
                and_(p.account_id == account_id, p.created_at < before, p.redacted_at.is_(None))
            )
        ).all()


def _event_row(
    account_id: str, shipment_id: str, ev: TrackingEvent, received_at: datetime
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "shipment_id": shipment_id,
        **_event_columns(ev),
        "received_at": received_at,
    }


def _event_columns(ev: TrackingEvent) -> dict[str, Any]:
    """What an event row holds of the event itself (the log and the inbox alike)."""
    return {
        "reference": ev.reference,
        "occurred_at": ev.occurred_at,
        "utc_offset_minutes": ev.utc_offset_minutes,
        "code": ev.code,
        "additional_code": ev.additional_code,
        "source": ev.source,
        "latitude": ev.latitude,
        "longitude": ev.longitude,
        "location": ev.location,
        "location_id": ev.location_id,
        "channel": ev.channel,
        "message": ev.message,
    }


_BATCH_FIELDS = [f.name for f in fields(EventBatch)]


def _in_batch(batch_id: str) -> ColumnElement[bool]:
    """The inbox rows of a batch, found through its id range (the inbox's primary key)."""
    b, i = tables.event_batches.c, tables.event_inbox.c
    first = select(b.first_event_id).where(b.id == batch_id).scalar_subquery()
    last = select(b.last_event_id).where(b.id == batch_id).scalar_subquery()
    return and_(i.id.between(first, last), i.batch_id == batch_id)


def _event(r: Any) -> TrackingEvent:
    return TrackingEvent(
        reference=r.reference,
        occurred_at=r.occurred_at,
        utc_offset_minutes=r.utc_offset_minutes,
        code=r.code,
        source=r.source,
        latitude=r.latitude,
        longitude=r.longitude,
        location=r.location,
        location_id=r.location_id,
        additional_code=r.additional_code,
        channel=r.channel,
        message=r.message,
    )
