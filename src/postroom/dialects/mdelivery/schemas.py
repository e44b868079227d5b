"""MDelivery's wire models: its field names (camelCase), its times ("...T20:03:38.005Z")
and its numbers (50, not 50.0)."""

# The fields are named as the hub names them (holderID, trackingID: no camel-case rule
# derives those), so the class attributes are mixedCase on purpose (N815 is off for every
# dialect's schemas.py in pyproject.toml).

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from postroom.dialects.mdelivery.mapping import STATUS_NAMES
from postroom.domain.clock import to_utc
from postroom.domain.orders import Order
from postroom.http.times import UtcDatetime
from postroom.services.orders import Change

Number = float | int


def hub_time(moment: datetime) -> str:
    """A time as the hub writes it: UTC, milliseconds, Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def number(value: float) -> Number:
    """A whole number without its `.0`, as the hub's examples write prices and sizes."""
    return int(value) if float(value).is_integer() else value


class ReceiverOut(BaseModel):
    type: str
    id: str
    name: str | None
    firstName: str | None
    email: str | None
    phone: str | None


class ProductOut(BaseModel):
    code: str | None
    description: str | None
    price: Number
    quantity: int
    length: Number
    width: Number
    height: Number
    weight: Number
    holderID: str | None
    holderName: str | None
    holderFirstName: str | None


class DetailsOut(BaseModel):
    """GET .../delivery/details: the seed's response, field for field."""

    id: str
    isPaid: bool
    status: str
    message: str | None
    receiver: ReceiverOut
    pickupPointCode: str | None
    orderSubmittedAt: str
    deliveryAcceptedUntil: str
    estimatedReadyAt: str
    products: list[ProductOut]

    @classmethod
    def of(cls, order: Order) -> DetailsOut:
        r = order.receiver
        return cls(
            id=order.reference,
            isPaid=order.is_paid,
            status=STATUS_NAMES[order.status],
            message=order.message,
            receiver=ReceiverOut(
                type=r.type,
                id=r.id,
                name=r.name,
                firstName=r.first_name,
                email=r.email,
                phone=r.phone,
            ),
            pickupPointCode=order.pickup_point_code,
            orderSubmittedAt=hub_time(order.submitted_at),
            deliveryAcceptedUntil=hub_time(order.delivery_accepted_until),
            estimatedReadyAt=hub_time(order.estimated_ready_at),
            products=[
                ProductOut(
                    code=p.code,
                    description=p.description,
                    price=number(p.price),
                    quantity=p.quantity,
                    length=number(p.length),
                    width=number(p.width),
                    height=number(p.height),
                    weight=number(p.weight),
                    holderID=p.holder_id,
                    holderName=p.holder_name,
                    holderFirstName=p.holder_first_name,
                )
                for p in order.products
            ],
        )


Word = Annotated[str, StringConstraints(max_length=100)]
Text = Annotated[str, StringConstraints(max_length=1000)]


class StatusIn(BaseModel):
    """PUT .../delivery/status: the hub's new status with the carrier's facts. Fields the
    seed does not list are ignored (the hub may add some)."""

    model_config = ConfigDict(extra="ignore")

    status: Word
    message: Text | None = None
    carrierName: Annotated[str, StringConstraints(max_length=200)]
    trackingID: Annotated[str, StringConstraints(max_length=100)]
    carrierEstimatedDeliveryStart: UtcDatetime | None = None
    carrierEstimatedDeliveryEnd: UtcDatetime | None = None
    carrierCost: Annotated[float, Field(ge=0, le=1e9)] | None = None

    def carrier(self) -> dict[str, Any]:
        """The carrier's facts as the core keeps them."""
        facts: dict[str, Any] = {
            "carrier_name": self.carrierName,
            "tracking_id": self.trackingID,
        }
        if self.carrierEstimatedDeliveryStart is not None:
            facts["estimated_delivery_start"] = to_utc(
                self.carrierEstimatedDeliveryStart
            ).isoformat()
        if self.carrierEstimatedDeliveryEnd is not None:
            facts["estimated_delivery_end"] = to_utc(self.carrierEstimatedDeliveryEnd).isoformat()
        if self.carrierCost is not None:
            facts["cost"] = number(self.carrierCost)
        return facts


class ChangeOut(BaseModel):
    """One entry of GET .../delivery/changes."""

    serviceID: str
    orderID: str
    status: str

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        return cls(
            serviceID=change.service_id,
            orderID=change.order_reference,
            status=STATUS_NAMES[change.status],
        )


class FaultOut(BaseModel):
    """Every refusal: the seed's fault code and a reason in plain English."""

    code: str
    message: str
