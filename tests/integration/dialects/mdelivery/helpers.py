"""The seed's examples as data, and the provider's side of them made through /v1."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant

Headers = dict[str, str]
SERVICE = "1"
ORDER = "o7741072598796449999"
AUTH_BASE = "/mdelivery/auth/api/v1/delivery/services"
BASE = "/mdelivery/api/v1/delivery/services"

# PUT /{serviceID}/orders/{orderID}/delivery/status: the seed's curl body, as written.
SEED_STATUS_BODY = {
    "status": "Ready",
    "message": "test",
    "carrierName": "Muvi Express",
    "trackingID": "0220106997753968",
    "carrierEstimatedDeliveryStart": "2022-01-20T15:20:52.923Z",
    "carrierEstimatedDeliveryEnd": "2022-01-20T15:20:52.923Z",
    "carrierCost": 65,
}

# GET .../delivery/details: the seed's response body (its missing comma after
# deliveryAcceptedUntil put back), with "string" where the seed has no value of its own.
SEED_DETAILS = {
    "id": ORDER,
    "isPaid": True,
    "status": "AwaytingPayment",
    "message": "string",
    "receiver": {
        "type": "Person",
        "id": "string",
        "name": "string",
        "firstName": "string",
        "email": "string",
        "phone": "string",
    },
    "pickupPointCode": "string",
    "orderSubmittedAt": "2022-04-18T20:03:38.005Z",
    "deliveryAcceptedUntil": "2022-04-19T20:03:38.005Z",
    "estimatedReadyAt": "2022-04-25T20:03:38.005Z",
    "products": [
        {
            "code": "string",
            "description": "string",
            "price": 50,
            "quantity": 1,
            "length": 0,
            "width": 0,
            "height": 0,
            "weight": 0,
            "holderID": "string",
            "holderName": "string",
            "holderFirstName": "string",
        }
    ],
}


def hub_headers(tenant: Tenant) -> Headers:
    """How the hub presents itself: the provider's API key as a Bearer token."""
    return {"Authorization": f"Bearer {tenant.api_key}"}


def register_service(
    client: TestClient,
    tenant: Tenant,
    service: str = SERVICE,
    pickup_points: list[str] | None = None,
    products: list[str] | None = None,
) -> None:
    answer = client.post(
        "/v1/delivery-services",
        headers=tenant.headers,
        json={
            "service_id": service,
            "pickup_points": ["string"] if pickup_points is None else pickup_points,
            "products": ["string"] if products is None else products,
        },
    )
    assert answer.status_code == 200, answer.text


def order_body(reference: str = ORDER, service: str = SERVICE, **changes: Any) -> dict[str, Any]:
    """The seed's order, as the provider's system sends it to /v1/orders."""
    body: dict[str, Any] = {
        "service_id": service,
        "reference": reference,
        "receiver": {
            "type": "Person",
            "id": "string",
            "name": "string",
            "first_name": "string",
            "email": "string",
            "phone": "string",
        },
        "pickup_point_code": "string",
        "products": [
            {
                "code": "string",
                "description": "string",
                "price": 50,
                "quantity": 1,
                "length": 0,
                "width": 0,
                "height": 0,
                "weight": 0,
                "holder_id": "string",
                "holder_name": "string",
                "holder_first_name": "string",
            }
        ],
        "is_paid": True,
        "submitted_at": "2022-04-18T20:03:38.005Z",
        "delivery_accepted_until": "2022-04-19T20:03:38.005Z",
        "estimated_ready_at": "2022-04-25T20:03:38.005Z",
        "message": "string",
    }
    body.update(changes)
    return body


def create_order(client: TestClient, tenant: Tenant, **changes: Any) -> dict[str, Any]:
    answer = client.post("/v1/orders", headers=tenant.headers, json=order_body(**changes))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def provider_sets(client: TestClient, tenant: Tenant, order_id: str, status: str) -> None:
    answer = client.post(
        f"/v1/orders/{order_id}/status", headers=tenant.headers, json={"status": status}
    )
    assert answer.status_code == 200, answer.text


def hub_sets(client: TestClient, tenant: Tenant, status: str, reference: str = ORDER) -> None:
    answer = client.put(
        f"{AUTH_BASE}/{SERVICE}/orders/{reference}/delivery/status",
        headers=hub_headers(tenant),
        json={**SEED_STATUS_BODY, "status": status},
    )
    assert answer.status_code == 204, answer.text
