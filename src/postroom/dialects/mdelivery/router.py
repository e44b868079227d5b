"""/mdelivery: MDelivery's service-provider API (seed 003) on the core's orders.

Translation only: the hub asks for an order's details, sets its delivery status, and polls
the provider's own changes. The seed uses both /api/v1/... and /auth/api/v1/...; both are
served, with the same credentials. Every failure is the hub's fault object (errors.translate).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from postroom.dialects.base import dialect_route
from postroom.dialects.mdelivery.auth import MDeliveryPrincipal
from postroom.dialects.mdelivery.errors import translate
from postroom.dialects.mdelivery.mapping import (
    BAD_REQUEST,
    HUB_PARTIES,
    MDeliveryError,
    status_of,
)
from postroom.dialects.mdelivery.schemas import ChangeOut, DetailsOut, FaultOut, StatusIn
from postroom.http.deps import ContainerDep
from postroom.services import orders
from postroom.services.orders import StatusChange

router = APIRouter(
    tags=["mdelivery"],
    route_class=dialect_route(translate),
    responses={
        400: {"model": FaultOut, "description": "InvalidParameter"},
        401: {"model": FaultOut, "description": "AuthenticationFailed"},
        404: {"model": FaultOut, "description": "No such service or order"},
    },
)
# The seed's signatures start at /api/v1, its Swagger results at /auth/api/v1: both serve.
BASES = ("/api/v1/delivery/services", "/auth/api/v1/delivery/services")


def details(
    serviceID: str,  # noqa: N803 - the seed's parameter name
    orderID: str,  # noqa: N803
    c: ContainerDep,
    principal: MDeliveryPrincipal,
) -> DetailsOut:
    """The order's details by service and order number."""
    order = orders.service_order(
        uow=c.uow(), account_id=principal.account_id, service_id=serviceID, reference=orderID
    )
    return DetailsOut.of(order)


def delivery_status(
    serviceID: str,  # noqa: N803
    orderID: str,  # noqa: N803
    body: StatusIn,
    c: ContainerDep,
    principal: MDeliveryPrincipal,
) -> Response:
    """The hub's new delivery status of the order; 204 when taken."""
    status = status_of(body.status)
    if status is None:
        raise MDeliveryError(BAD_REQUEST, f"status: unknown status {body.status!r}")
    orders.change_service_order_status(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        service_id=serviceID,
        reference=orderID,
        change=StatusChange(status, HUB_PARTIES, body.message, body.carrier()),
    )
    return Response(status_code=204)


def delivery_changes(
    serviceID: str,  # noqa: N803
    c: ContainerDep,
    principal: MDeliveryPrincipal,
) -> list[ChangeOut]:
    """The provider's status changes since the previous poll, each handed out once."""
    found = orders.take_changes(uow=c.uow(), account_id=principal.account_id, service_id=serviceID)
    return [ChangeOut.of(change) for change in found]


for base in BASES:
    router.add_api_route(
        base + "/{serviceID}/orders/{orderID}/delivery/details",
        details,
        methods=["GET"],
        response_model=DetailsOut,
        summary="GET order details",
    )
    router.add_api_route(
        base + "/{serviceID}/orders/{orderID}/delivery/status",
        delivery_status,
        methods=["PUT"],
        status_code=204,
        response_class=Response,
        summary="PUT delivery status",
    )
    router.add_api_route(
        base + "/{serviceID}/delivery/changes",
        delivery_changes,
        methods=["GET"],
        response_model=list[ChangeOut],
        summary="GET delivery changes",
    )
