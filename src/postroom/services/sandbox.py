"""The sandbox: a clock per sandbox account, an automatic story for its letters, and any
carrier event on demand.

A sandbox letter never reaches a printer folder, an SMTP server or a provider: instead of
a lot it is "produced" at once (allocated, transferred, with no file written), then, on
the account's own clock, one step (settings.sandbox_step_seconds) apart: printed, posted
(its shipment and deposit certificate appear), in transit, delivered. An event injected
through the API (returned to sender, undeliverable, ...) goes through the same tracking
code as a carrier's, so webhooks, proofs and the change feed follow as in live.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from postroom.domain.lots import DEFAULT_CHANNEL
from postroom.domain.model import Account
from postroom.domain.states import PieceState
from postroom.domain.tracking import (
    MAX_EVENTS_PER_CALL,
    EventCatalog,
    ShipmentStatus,
    TrackingEvent,
)
from postroom.services import tracking
from postroom.services.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SOURCE = "sandbox"
IN_TRANSIT_CODE = "003"
DELIVERED_CODE = "013"
MAX_PASSES = 20  # a clock moved far ahead catches up in one call, step by step
MAX_ADVANCE = timedelta(days=3650)


@dataclass(frozen=True)
class SandboxClock:
    """A sandbox account's idea of now."""

    now: datetime
    offset_seconds: int


class AccountClock:
    """The container's clock shifted by a sandbox account's offset."""

    def __init__(self, base: Clock, offset_seconds: int) -> None:
        self._base = base
        self._offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        """The account's current time."""
        return self._base.now() + self._offset


def _sandbox_account(uow: UnitOfWork, account_id: str) -> Account:
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound("no such account")
    if not account.sandbox:
        raise Conflict(
            "the sandbox is for sandbox accounts; this one is live",
            code=ErrorCode.NOT_A_SANDBOX_ACCOUNT,
        )
    return account


def get_clock(*, uow: UnitOfWork, clock: Clock, account_id: str) -> SandboxClock:
    """The sandbox account's current time and how far it runs ahead."""
    with uow:
        account = _sandbox_account(uow, account_id)
        offset = account.clock_offset_seconds
    return SandboxClock(clock.now() + timedelta(seconds=offset), offset)


def advance_clock(*, uow: UnitOfWork, clock: Clock, account_id: str, seconds: int) -> SandboxClock:
    """Move the account's clock forward (never back: a story cannot be unplayed)."""
    if seconds < 0:
        raise InvalidInput("the sandbox clock only moves forward", code=ErrorCode.CLOCK_BACKWARDS)
    if timedelta(seconds=seconds) > MAX_ADVANCE:
        raise InvalidInput("at most ten years at a time", code=ErrorCode.CLOCK_TOO_FAR)
    with uow:
        account = _sandbox_account(uow, account_id)
        account.clock_offset_seconds += seconds
        offset = account.clock_offset_seconds
        uow.commit()
    return SandboxClock(clock.now() + timedelta(seconds=offset), offset)


def inject_event(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    catalog: EventCatalog,
    account_id: str,
    shipment_id: str,
    code: str,
    time: datetime | None = None,
    location: str | None = None,
    message: str | None = None,
    additional_code: str | None = None,
) -> tracking.IngestResult:
    """Play any catalog event on a sandbox shipment, at the account's time by default."""
    with uow_factory() as uow:
        shipment = uow.shipments.get(account_id, shipment_id)
        if shipment is None:
            raise NotFound(f"no shipment {shipment_id}")
        account = _sandbox_account(uow, account_id)
        reference = shipment.reference
    if code not in catalog:
        raise InvalidInput(
            f"{code!r} is not in the event catalog (GET /v1/tracking/event-codes)",
            code=ErrorCode.UNKNOWN_EVENT_CODE,
        )
    at = time or AccountClock(clock, account.clock_offset_seconds).now()
    event = TrackingEvent(
        reference=reference,
        occurred_at=at,
        code=code,
        source=SOURCE,
        location=location,
        message=message,
        additional_code=additional_code,
    )
    return tracking.ingest_events(
        uow=uow_factory(),
        clock=clock,
        catalog=catalog,
        account_id=account_id,
        events=[event],
        carrier=SOURCE,
    )


# --- the automatic story ---------------------------------------------------------------


def progress(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    catalog: EventCatalog,
    channels: Sequence[str],
    step: timedelta,
) -> int:
    """Move every sandbox letter of these channels (those produced as print is: email has
    its own story) as far as its account's clock allows; returns the moves."""
    with uow_factory() as uow:
        accounts = [(a.id, a.clock_offset_seconds) for a in uow.sandbox.accounts()]
    moves = 0
    for account_id, offset in accounts:
        account_clock = AccountClock(clock, offset)
        for _ in range(MAX_PASSES):
            moved = _pass(uow_factory, account_clock, catalog, account_id, channels, step)
            moves += moved
            if not moved:
                break
    return moves


def _pass(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    catalog: EventCatalog,
    account_id: str,
    channels: Sequence[str],
    step: timedelta,
) -> int:
    now = clock.now()
    moved = 0
    with uow_factory() as uow:
        # Produced at once: no lot, no file; the story starts from here.
        for piece in uow.sandbox.pieces(
            account_id, [PieceState.ACCEPTED], channels=channels, default_channel=DEFAULT_CHANNEL
        ):
            piece.move_to(PieceState.ALLOCATED, now)
            piece.move_to(PieceState.TRANSFERRED, now)
            moved += 1
        for piece in uow.sandbox.pieces(
            account_id,
            [PieceState.TRANSFERRED, PieceState.PRINTED],
            channels=channels,
            default_channel=DEFAULT_CHANNEL,
        ):
            due = piece.updated_at + step
            if due > now:
                continue
            if piece.state is PieceState.TRANSFERRED:
                piece.move_to(PieceState.PRINTED, due)
            else:
                piece.move_to(PieceState.POSTED, due)
                tracking.ship_piece(uow, piece, due, now)
            moved += 1
        uow.commit()
    events = _due_events(uow_factory, account_id, now, step)
    for start in range(0, len(events), MAX_EVENTS_PER_CALL):
        tracking.ingest_events(
            uow=uow_factory(),
            clock=clock,
            catalog=catalog,
            account_id=account_id,
            events=events[start : start + MAX_EVENTS_PER_CALL],
            carrier=SOURCE,
        )
    return moved + len(events)


def _due_events(
    uow_factory: UnitOfWorkFactory, account_id: str, now: datetime, step: timedelta
) -> list[TrackingEvent]:
    """In transit one step after posting, delivered one step after that."""
    events = []
    with uow_factory() as uow:
        for shipment in uow.sandbox.moving_shipments(account_id):
            if shipment.status is not ShipmentStatus.IN_TRANSIT or shipment.status_at is None:
                continue  # an injected event took the story elsewhere
            due = shipment.status_at + step
            if due > now:
                continue
            code = DELIVERED_CODE if shipment.status_code == IN_TRANSIT_CODE else IN_TRANSIT_CODE
            if shipment.status_code not in (None, IN_TRANSIT_CODE):
                continue
            events.append(
                TrackingEvent(
                    reference=shipment.reference, occurred_at=due, code=code, source=SOURCE
                )
            )
    return events
