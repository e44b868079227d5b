"""Parcel orders a service provider prepares for a delivery hub (MDelivery): the order, its
14 delivery statuses, who may set which, and the transition table between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from postroom.domain.errors import ErrorCode, IllegalTransition, InvalidInput


class OrderStatus(StrEnum):
    """An order's delivery status, numbered as the hub numbers them (1-14)."""

    AWAITING_PAYMENT = "AwaitingPayment"  # 1
    PAID = "Paid"  # 2
    PROCESSING = "Processing"  # 3
    CANCELLED = "Cancelled"  # 4
    EXPIRED = "Expired"  # 5
    READY = "Ready"  # 6
    AWAITING_PICKUP = "AwaitingPickup"  # 7
    DELIVERING = "Delivering"  # 8
    DELIVERED = "Delivered"  # 9
    CONFIRMED = "Confirmed"  # 10
    PROBLEM = "Problem"  # 11
    RETURNING = "Returning"  # 12
    RETURNED = "Returned"  # 13
    UNKNOWN = "Unknown"  # 14: the order does not include a delivery (yet)


class Party(StrEnum):
    """Who sets a status: the hub (delivery order, payment), the provider (preparing the
    order), the carrier (shipping it)."""

    HUB = "hub"
    PROVIDER = "provider"
    CARRIER = "carrier"


S = OrderStatus
# Statuses 1-2 the hub sets, 3-6 the provider, 7-13 the carrier (relayed by the hub).
# Ready is also the hub's: its register may set it by hand.
SETTERS: dict[OrderStatus, frozenset[Party]] = {
    **{s: frozenset({Party.HUB}) for s in (S.AWAITING_PAYMENT, S.PAID, S.UNKNOWN)},
    **{s: frozenset({Party.PROVIDER}) for s in (S.PROCESSING, S.CANCELLED, S.EXPIRED)},
    S.READY: frozenset({Party.PROVIDER, Party.HUB}),
    **{
        s: frozenset({Party.CARRIER})
        for s in (
            S.AWAITING_PICKUP,
            S.DELIVERING,
            S.DELIVERED,
            S.CONFIRMED,
            S.PROBLEM,
            S.RETURNING,
            S.RETURNED,
        )
    },
}

_STOPPED = frozenset({S.CANCELLED, S.EXPIRED})
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.UNKNOWN: frozenset({S.AWAITING_PAYMENT, S.PAID, S.PROCESSING, S.READY} | _STOPPED),
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.PROCESSING, S.UNKNOWN} | _STOPPED),
    S.PAID: frozenset({S.PROCESSING, S.READY} | _STOPPED),
    S.PROCESSING: frozenset({S.READY} | _STOPPED),
    S.READY: frozenset({S.AWAITING_PICKUP, S.PROCESSING, S.CANCELLED}),
    S.AWAITING_PICKUP: frozenset({S.DELIVERING, S.PROBLEM, S.CANCELLED}),
    S.DELIVERING: frozenset({S.DELIVERED, S.PROBLEM, S.RETURNING}),
    S.DELIVERED: frozenset({S.CONFIRMED, S.PROBLEM, S.RETURNING}),
    S.PROBLEM: frozenset({S.DELIVERING, S.DELIVERED, S.RETURNING, S.RETURNED}),
    S.RETURNING: frozenset({S.RETURNED, S.PROBLEM}),
    S.CONFIRMED: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


def check_move(current: OrderStatus, new: OrderStatus, parties: frozenset[Party]) -> bool:
    """Whether `parties` may move an order from `current` to `new`: False when it is already
    there (a repeated update changes nothing); raises when the move is not theirs or not in
    the table."""
    if not SETTERS[new] & parties:
        setters = ", ".join(sorted(SETTERS[new]))
        raise IllegalTransition(
            f"status {new.value} is set by the {setters}, not the " + ", ".join(sorted(parties)),
            code=ErrorCode.STATUS_NOT_YOURS,
        )
    if new == current:
        return False
    if new not in ORDER_TRANSITIONS[current]:
        raise IllegalTransition(f"an order cannot go from {current.value} to {new.value}")
    return True


@dataclass(frozen=True)
class Receiver:
    """Who receives the delivery: a person (IDNP) or an organisation (IDNO)."""

    type: str  # "Person" | "Organization"
    id: str
    name: str | None = None
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Product:
    """One product line of an order, with its parcel's size (cm) and weight (kg)."""

    price: float
    quantity: int
    length: float
    width: float
    height: float
    weight: float
    code: str | None = None
    description: str | None = None
    holder_id: str | None = None
    holder_name: str | None = None
    holder_first_name: str | None = None


@dataclass(frozen=True)
class DeliveryService:
    """A provider's service registered with the hub, with its pickup points and products."""

    account_id: str
    service_id: str
    pickup_points: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    def check_order(self, pickup_point: str | None, products: list[Product]) -> None:
        """The hub's rule: with more than one pickup point (product) registered, an order
        names one, and whatever it names is registered."""
        if pickup_point is None and len(self.pickup_points) > 1:
            raise InvalidInput(
                "pickup_point_code is required: the service has several pickup points",
                code=ErrorCode.PICKUP_POINT_REQUIRED,
            )
        if (
            pickup_point is not None
            and self.pickup_points
            and pickup_point not in self.pickup_points
        ):
            raise InvalidInput(
                f"no pickup point {pickup_point!r} in service {self.service_id}",
                code=ErrorCode.UNKNOWN_PICKUP_POINT,
            )
        for product in products:
            if product.code is None and len(self.products) > 1:
                raise InvalidInput(
                    "each product needs its code: the service has several products",
                    code=ErrorCode.PRODUCT_CODE_REQUIRED,
                )
            if product.code is not None and self.products and product.code not in self.products:
                raise InvalidInput(
                    f"no product {product.code!r} in service {self.service_id}",
                    code=ErrorCode.UNKNOWN_PRODUCT,
                )


@dataclass(frozen=True)
class OrderMove:
    """One entry of an order's history."""

    status: OrderStatus
    party: Party
    at: datetime
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Order:
    """A provider's order, waiting for or travelling as a delivery."""

    id: str
    account_id: str
    service_id: str
    reference: str  # the provider's order number, the hub's orderID
    receiver: Receiver
    products: list[Product]
    is_paid: bool
    submitted_at: datetime
    delivery_accepted_until: datetime
    estimated_ready_at: datetime
    created_at: datetime
    status: OrderStatus = OrderStatus.UNKNOWN
    message: str | None = None
    pickup_point_code: str | None = None
    carrier: dict[str, Any] = field(default_factory=dict)  # last carrier facts from the hub
    history: list[OrderMove] = field(default_factory=list)
