"""Use cases of parcel orders for a delivery hub (MDelivery): services, orders, status
changes by the provider or the hub, and the hub's poll of the provider's changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ErrorCode, NotFound
from postroom.domain.orders import (
    SETTERS,
    DeliveryService,
    Order,
    OrderMove,
    OrderStatus,
    Party,
    Product,
    Receiver,
    check_move,
)
from postroom.services.ports import UnitOfWork
from postroom.services.retry import retrying


@dataclass(frozen=True)
class NewOrder:
    """What a provider's system says of a new order."""

    service_id: str
    reference: str
    receiver: Receiver
    products: list[Product]
    is_paid: bool
    submitted_at: datetime
    delivery_accepted_until: datetime
    estimated_ready_at: datetime
    pickup_point_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class StatusChange:
    """A status set by `party`, with the hub's carrier facts when it sends them."""

    status: OrderStatus
    party: frozenset[Party]
    message: str | None = None
    carrier: dict[str, Any] | None = None


@dataclass(frozen=True)
class Change:
    """One entry of the hub's changes feed."""

    service_id: str
    order_reference: str
    status: OrderStatus


def service_not_found(service_id: str) -> NotFound:
    return NotFound(f"no service {service_id}", code=ErrorCode.UNKNOWN_SERVICE)


def order_not_found(order_id: str) -> NotFound:
    return NotFound(f"no order {order_id}")


def save_service(*, uow: UnitOfWork, clock: Clock, service: DeliveryService) -> DeliveryService:
    """Register a delivery service of the account (or replace its pickup points, products)."""
    with uow:
        uow.orders.save_service(service, clock.now())
        uow.commit()
    return service


def create_order(*, uow: UnitOfWork, clock: Clock, account_id: str, new: NewOrder) -> Order:
    """A new order of one of the account's services, in status Unknown (no delivery yet)."""
    with uow:
        service = uow.orders.service(account_id, new.service_id)
        if service is None:
            raise service_not_found(new.service_id)
        service.check_order(new.pickup_point_code, new.products)
        if uow.orders.reference_taken(account_id, new.service_id, new.reference):
            raise Conflict(
                f"order {new.reference} exists in service {new.service_id}",
                code=ErrorCode.ORDER_EXISTS,
            )
        now = clock.now()
        order = Order(
            id=str(uuid.uuid4()),
            account_id=account_id,
            service_id=new.service_id,
            reference=new.reference,
            receiver=new.receiver,
            products=list(new.products),
            is_paid=new.is_paid,
            submitted_at=new.submitted_at,
            delivery_accepted_until=new.delivery_accepted_until,
            estimated_ready_at=new.estimated_ready_at,
            created_at=now,
            message=new.message,
            pickup_point_code=new.pickup_point_code,
        )
        uow.orders.add(order)
        created = OrderMove(order.status, Party.PROVIDER, now, new.message)
        uow.orders.record(order, created)
        uow.commit()
        order.history = [created]
        return order


def get_order(*, uow: UnitOfWork, account_id: str, order_id: str) -> Order:
    """One of the account's orders, with its history."""
    with uow:
        order = uow.orders.get(account_id, order_id)
        if order is None:
            raise order_not_found(order_id)
        order.history = uow.orders.history(order.id)
        return order


def list_orders(
    *,
    uow: UnitOfWork,
    account_id: str,
    service_id: str | None = None,
    before: tuple[datetime, str] | None = None,
    limit: int = 100,
) -> list[Order]:
    """The account's orders, newest first (after `before`, the last one of a page)."""
    with uow:
        return uow.orders.of_account(account_id, service_id=service_id, before=before, limit=limit)


def service_order(*, uow: UnitOfWork, account_id: str, service_id: str, reference: str) -> Order:
    """An order by its service and the provider's number, as the hub names it."""
    with uow:
        if uow.orders.service(account_id, service_id) is None:
            raise service_not_found(service_id)
        order = uow.orders.by_reference(account_id, service_id, reference)
        if order is None:
            raise order_not_found(reference)
        return order


def _apply(uow: UnitOfWork, clock: Clock, order: Order, change: StatusChange) -> Order:
    """Move the locked `order`; a provider's own move is queued for the hub's next poll."""
    if not check_move(order.status, change.status, change.party):
        return order
    now = clock.now()
    # Who set it, for the history: the hub's PUT relays the carrier's statuses.
    party = next(p for p in Party if p in change.party & SETTERS[change.status])
    moved = replace(order, status=change.status, message=change.message)
    if change.carrier:
        moved.carrier = {**order.carrier, **change.carrier}
    uow.orders.record(
        moved, OrderMove(change.status, party, now, change.message, change.carrier or {})
    )
    if party is Party.PROVIDER:
        uow.orders.note_change(moved)
    uow.commit()
    return moved


def change_status(
    *, uow: UnitOfWork, clock: Clock, account_id: str, order_id: str, change: StatusChange
) -> Order:
    """Move one of the account's orders (by id) to a new status, if the table allows it."""

    def attempt() -> Order:
        with uow:
            order = uow.orders.get(account_id, order_id, for_update=True)
            if order is None:
                raise order_not_found(order_id)
            return _apply(uow, clock, order, change)

    return retrying(attempt)


def change_service_order_status(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    service_id: str,
    reference: str,
    change: StatusChange,
) -> Order:
    """Move an order named by its service and number (the hub's PUT delivery/status)."""

    def attempt() -> Order:
        with uow:
            if uow.orders.service(account_id, service_id) is None:
                raise service_not_found(service_id)
            order = uow.orders.by_reference(account_id, service_id, reference, for_update=True)
            if order is None:
                raise order_not_found(reference)
            return _apply(uow, clock, order, change)

    return retrying(attempt)


def take_changes(*, uow: UnitOfWork, account_id: str, service_id: str) -> list[Change]:
    """The provider's status changes of the service since any earlier poll, each handed to
    one poll only; an order moved twice since is listed once, with its latest status."""

    def attempt() -> list[Change]:
        with uow:
            if uow.orders.service(account_id, service_id) is None:
                raise service_not_found(service_id)
            rows = uow.orders.claim_changes(account_id, service_id, str(uuid.uuid4()))
            uow.commit()
        latest = {row.reference: OrderStatus(row.status) for row in rows}
        return [Change(service_id, reference, status) for reference, status in latest.items()]

    return retrying(attempt)
