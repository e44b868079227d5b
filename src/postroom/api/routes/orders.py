"""/v1/orders and /v1/delivery-services: parcel orders a provider prepares for a delivery hub
(MDelivery, served at /mdelivery), and the provider's own status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from postroom.api.cursors import decode_time_cursor, encode_time_cursor
from postroom.domain.clock import to_utc
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.orders import DeliveryService, Order, OrderMove, OrderStatus, Party, Product
from postroom.domain.orders import Receiver as CoreReceiver
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.http.times import UtcAwareDatetime
from postroom.services import orders
from postroom.services.orders import NewOrder, StatusChange

router = APIRouter(tags=["orders"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=200)]
Size = Annotated[float, Field(ge=0, le=100_000)]


class DeliveryServiceIn(BaseModel):
    """A service registered with the hub, with its pickup points and product codes."""

    model_config = ConfigDict(extra="forbid")

    service_id: Code = Field(description="the hub's serviceID")
    pickup_points: list[Code] = Field(default_factory=list, max_length=100)
    products: list[Code] = Field(default_factory=list, max_length=1000)


class ReceiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Person", "Organization"]
    id: Code = Field(description="IDNP of a person, IDNO of an organisation")
    name: Text | None = None
    first_name: Text | None = None
    email: Text | None = None
    phone: Text | None = None


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code | None = Field(default=None, description="required when the service has several")
    description: Text | None = None
    price: Annotated[float, Field(ge=0, le=1e9)]
    quantity: Annotated[int, Field(ge=1, le=100_000)]
    length: Size = Field(description="cm")
    width: Size = Field(description="cm")
    height: Size = Field(description="cm")
    weight: Size = Field(description="kg")
    holder_id: Text | None = None
    holder_name: Text | None = None
    holder_first_name: Text | None = None


class OrderIn(BaseModel):
    """A new order of one of the account's delivery services."""

    model_config = ConfigDict(extra="forbid")

    service_id: Code
    reference: Code = Field(description="the provider's order number: the hub's orderID")
    receiver: ReceiverIn
    pickup_point_code: Code | None = Field(
        default=None, description="required when the service has several pickup points"
    )
    products: list[ProductIn] = Field(min_length=1, max_length=100)
    is_paid: bool
    submitted_at: UtcAwareDatetime
    delivery_accepted_until: UtcAwareDatetime
    estimated_ready_at: UtcAwareDatetime
    message: Annotated[str, StringConstraints(max_length=1000)] | None = None


class StatusIn(BaseModel):
    """The provider's own change: Processing, Cancelled, Expired or Ready."""

    model_config = ConfigDict(extra="forbid")

    status: OrderStatus
    message: Annotated[str, StringConstraints(max_length=1000)] | None = None


class MoveOut(BaseModel):
    status: OrderStatus
    party: Party
    at: datetime
    message: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, move: OrderMove) -> MoveOut:
        return cls(
            status=move.status,
            party=move.party,
            at=move.at,
            message=move.message,
            details=move.details,
        )


class OrderOut(BaseModel):
    id: str
    service_id: str
    reference: str
    status: OrderStatus
    message: str | None
    is_paid: bool
    receiver: ReceiverIn
    pickup_point_code: str | None
    products: list[ProductIn]
    submitted_at: datetime
    delivery_accepted_until: datetime
    estimated_ready_at: datetime
    carrier: dict[str, Any]
    created_at: datetime
    history: list[MoveOut] | None = None

    @classmethod
    def of(cls, order: Order, *, history: bool = False) -> OrderOut:
        r = order.receiver
        return cls(
            id=order.id,
            service_id=order.service_id,
            reference=order.reference,
            status=order.status,
            message=order.message,
            is_paid=order.is_paid,
            receiver=ReceiverIn.model_validate(
                {
                    "type": r.type,
                    "id": r.id,
                    "name": r.name,
                    "first_name": r.first_name,
                    "email": r.email,
                    "phone": r.phone,
                }
            ),
            pickup_point_code=order.pickup_point_code,
            products=[ProductIn.model_validate(p.__dict__) for p in order.products],
            submitted_at=order.submitted_at,
            delivery_accepted_until=order.delivery_accepted_until,
            estimated_ready_at=order.estimated_ready_at,
            carrier=order.carrier,
            created_at=order.created_at,
            history=[MoveOut.of(m) for m in order.history] if history else None,
        )


@router.post(
    "/delivery-services",
    response_model=DeliveryServiceIn,
    summary="Register a delivery service (or replace its pickup points and products)",
)
def save_delivery_service(
    body: DeliveryServiceIn, c: ContainerDep, principal: PrincipalDep
) -> DeliveryServiceIn:
    orders.save_service(
        uow=c.uow(),
        clock=c.clock,
        service=DeliveryService(
            principal.account_id, body.service_id, tuple(body.pickup_points), tuple(body.products)
        ),
    )
    return body


@router.post("/orders", response_model=OrderOut, status_code=201, summary="Add an order")
def create_order(body: OrderIn, c: ContainerDep, principal: PrincipalDep) -> OrderOut:
    r = body.receiver
    new = NewOrder(
        service_id=body.service_id,
        reference=body.reference,
        receiver=CoreReceiver(r.type, r.id, r.name, r.first_name, r.email, r.phone),
        products=[Product(**p.model_dump()) for p in body.products],
        is_paid=body.is_paid,
        submitted_at=to_utc(body.submitted_at),
        delivery_accepted_until=to_utc(body.delivery_accepted_until),
        estimated_ready_at=to_utc(body.estimated_ready_at),
        pickup_point_code=body.pickup_point_code,
        message=body.message,
    )
    order = orders.create_order(
        uow=c.uow(), clock=c.clock, account_id=principal.account_id, new=new
    )
    return OrderOut.of(order, history=True)


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    data: list[OrderOut]
    next_cursor: str | None


@router.get("/orders", response_model=OrderPage, summary="List orders, newest first")
def list_orders(
    c: ContainerDep,
    principal: PrincipalDep,
    service_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderPage:
    found = orders.list_orders(
        uow=c.uow(),
        account_id=principal.account_id,
        service_id=service_id,
        before=decode_time_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    next_cursor = (
        encode_time_cursor(found[limit - 1].created_at, found[limit - 1].id)
        if len(found) > limit
        else None
    )
    return OrderPage(data=[OrderOut.of(order) for order in found[:limit]], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="Get an order with its history")
def get_order(order_id: str, c: ContainerDep, principal: PrincipalDep) -> OrderOut:
    order = orders.get_order(uow=c.uow(), account_id=principal.account_id, order_id=order_id)
    return OrderOut.of(order, history=True)


@router.post(
    "/orders/{order_id}/status",
    response_model=OrderOut,
    summary="The provider's own status change (Processing, Cancelled, Expired, Ready)",
)
def change_status(
    order_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[StatusIn | None, Body()] = None,
) -> OrderOut:
    # The order is looked up before the body is judged: another account gets 404.
    orders.get_order(uow=c.uow(), account_id=principal.account_id, order_id=order_id)
    if body is None:
        raise InvalidInput("send JSON with the new status", code=ErrorCode.VALIDATION_ERROR)
    orders.change_status(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        order_id=order_id,
        change=StatusChange(body.status, frozenset({Party.PROVIDER}), body.message),
    )
    order = orders.get_order(uow=c.uow(), account_id=principal.account_id, order_id=order_id)
    return OrderOut.of(order, history=True)
