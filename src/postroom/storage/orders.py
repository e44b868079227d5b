"""Parcel orders, their delivery services, history and the provider's pending changes
(domain/orders.py), on SQLAlchemy Core: rows in, domain values out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postroom.domain.errors import Conflict, ErrorCode
from postroom.domain.orders import (
    DeliveryService,
    Order,
    OrderMove,
    OrderStatus,
    Party,
    Product,
    Receiver,
)
from postroom.storage import tables
from postroom.storage.database import insert_or_skip


def _product(data: dict[str, Any]) -> Product:
    return Product(**data)


def _order(row: Row[Any]) -> Order:
    return Order(
        id=row.id,
        account_id=row.account_id,
        service_id=row.service_id,
        reference=row.reference,
        receiver=Receiver(**row.receiver),
        products=[_product(p) for p in row.products],
        is_paid=row.is_paid,
        submitted_at=row.submitted_at,
        delivery_accepted_until=row.delivery_accepted_until,
        estimated_ready_at=row.estimated_ready_at,
        created_at=row.created_at,
        status=OrderStatus(row.status),
        message=row.message,
        pickup_point_code=row.pickup_point_code,
        carrier=dict(row.carrier),
    )


class OrderRepository:
    """Reads and writes orders; `for_update` locks an order's row until commit."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_service(self, service: DeliveryService, now: datetime) -> None:
        """Register a service, or replace its pickup points and products."""
        t = tables.delivery_services
        connection = self.session.connection()
        values = {
            "pickup_points": list(service.pickup_points),
            "products": list(service.products),
        }
        connection.execute(
            insert_or_skip(connection, t).values(
                account_id=service.account_id,
                service_id=service.service_id,
                created_at=now,
                **values,
            )
        )
        connection.execute(
            update(t)
            .where(t.c.account_id == service.account_id, t.c.service_id == service.service_id)
            .values(**values)
        )

    def service(self, account_id: str, service_id: str) -> DeliveryService | None:
        t = tables.delivery_services
        row = self.session.execute(
            select(t).where(t.c.account_id == account_id, t.c.service_id == service_id)
        ).first()
        if row is None:
            return None
        return DeliveryService(
            account_id, service_id, tuple(row.pickup_points), tuple(row.products)
        )

    def reference_taken(self, account_id: str, service_id: str, reference: str) -> bool:
        t = tables.orders
        found = self.session.execute(
            select(t.c.id).where(
                t.c.account_id == account_id,
                t.c.service_id == service_id,
                t.c.reference == reference,
            )
        ).first()
        return found is not None

    def add(self, order: Order) -> None:
        """Store a new order (its history is written with `record`); a number its service
        already has (a concurrent request's) is ORDER_EXISTS."""
        try:
            self._insert(order)
        except IntegrityError as exc:
            raise Conflict(
                f"order {order.reference} exists in service {order.service_id}",
                code=ErrorCode.ORDER_EXISTS,
            ) from exc

    def _insert(self, order: Order) -> None:
        self.session.execute(
            insert(tables.orders).values(
                id=order.id,
                account_id=order.account_id,
                service_id=order.service_id,
                reference=order.reference,
                status=order.status.value,
                message=order.message,
                is_paid=order.is_paid,
                receiver=dataclasses.asdict(order.receiver),
                pickup_point_code=order.pickup_point_code,
                products=[dataclasses.asdict(p) for p in order.products],
                submitted_at=order.submitted_at,
                delivery_accepted_until=order.delivery_accepted_until,
                estimated_ready_at=order.estimated_ready_at,
                carrier=order.carrier,
                created_at=order.created_at,
                updated_at=order.created_at,
            )
        )

    def get(self, account_id: str, order_id: str, *, for_update: bool = False) -> Order | None:
        t = tables.orders
        query = select(t).where(t.c.account_id == account_id, t.c.id == order_id)
        return self._one(query.with_for_update() if for_update else query)

    def by_reference(
        self, account_id: str, service_id: str, reference: str, *, for_update: bool = False
    ) -> Order | None:
        t = tables.orders
        query = select(t).where(
            t.c.account_id == account_id, t.c.service_id == service_id, t.c.reference == reference
        )
        return self._one(query.with_for_update() if for_update else query)

    def _one(self, query: Any) -> Order | None:
        row = self.session.execute(query).first()
        return None if row is None else _order(row)

    def of_account(
        self,
        account_id: str,
        *,
        service_id: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """The account's orders, newest first, after the (created_at, id) `before` if given."""
        t = tables.orders
        query = select(t).where(t.c.account_id == account_id)
        if service_id is not None:
            query = query.where(t.c.service_id == service_id)
        if before is not None:
            at, order_id = before
            query = query.where(
                or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < order_id))
            )
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return [_order(row) for row in self.session.execute(query)]

    def history(self, order_id: str) -> list[OrderMove]:
        t = tables.order_history
        rows = self.session.execute(
            select(t).where(t.c.order_id == order_id).order_by(t.c.id)
        ).all()
        return [
            OrderMove(OrderStatus(r.status), Party(r.party), r.at, r.message, dict(r.details))
            for r in rows
        ]

    def record(self, order: Order, move: OrderMove) -> None:
        """Write the order's new status (and carrier facts) with its history entry."""
        t = tables.orders
        self.session.execute(
            update(t)
            .where(t.c.id == order.id)
            .values(
                status=order.status.value,
                message=order.message,
                carrier=order.carrier,
                updated_at=move.at,
            )
        )
        self.session.execute(
            insert(tables.order_history).values(
                order_id=order.id,
                status=move.status.value,
                party=move.party.value,
                at=move.at,
                message=move.message,
                details=move.details,
            )
        )

    def note_change(self, order: Order) -> None:
        """Queue the order's new status for the hub's next poll of its service."""
        self.session.execute(
            insert(tables.order_changes).values(
                account_id=order.account_id,
                service_id=order.service_id,
                order_id=order.id,
                reference=order.reference,
                status=order.status.value,
                claim=None,
            )
        )

    def claim_changes(self, account_id: str, service_id: str, claim: str) -> Sequence[Any]:
        """Take every unclaimed change of the service for the poll `claim`, oldest first. One
        UPDATE takes them: a concurrent poll waits for the row lock and then finds them
        claimed (PostgreSQL re-checks the WHERE), SQLite runs writers one at a time."""
        t = tables.order_changes
        self.session.execute(
            update(t)
            .where(t.c.account_id == account_id, t.c.service_id == service_id, t.c.claim.is_(None))
            .values(claim=claim)
        )
        return self.session.execute(
            select(t.c.reference, t.c.status).where(t.c.claim == claim).order_by(t.c.id)
        ).all()
