"""The seed's three curl examples ("Received results from Swagger"), run with their bodies
against orders the provider made through /v1, give the seed's answers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.mdelivery.helpers import (
    AUTH_BASE,
    BASE,
    ORDER,
    SEED_DETAILS,
    SEED_STATUS_BODY,
    SERVICE,
    create_order,
    hub_headers,
    provider_sets,
    register_service,
)


def test_get_order_details_answers_the_seeds_json(md: TestClient, tenant: Tenant) -> None:
    register_service(md, tenant)
    create_order(md, tenant)
    # The seed's example is awaiting payment, with the message the hub sent.
    answer = md.put(
        f"{AUTH_BASE}/{SERVICE}/orders/{ORDER}/delivery/status",
        headers=hub_headers(tenant),
        json={**SEED_STATUS_BODY, "status": "AwaytingPayment", "message": "string"},
    )
    assert answer.status_code == 204, answer.text
    for base in (AUTH_BASE, BASE):  # the seed uses both forms of the path
        # curl -X GET ".../auth/api/v1/delivery/services/1/orders/o7741072598796449999/
        # delivery/details" -H "accept: text/plain"
        answer = md.get(
            f"{base}/1/orders/o7741072598796449999/delivery/details",
            headers={**hub_headers(tenant), "accept": "text/plain"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == SEED_DETAILS
        assert list(answer.json()) == list(SEED_DETAILS)  # the seed's field order too


def test_put_delivery_status_answers_204_and_keeps_the_carriers_facts(
    md: TestClient, tenant: Tenant
) -> None:
    register_service(md, tenant)
    order = create_order(md, tenant)
    # curl -X PUT ".../auth/api/v1/delivery/services/1/orders/o7741072598796449999/delivery/
    # status" -H "accept: */*" -H "Content-Type: application/json" -d "{...}"
    answer = md.put(
        f"{AUTH_BASE}/1/orders/o7741072598796449999/delivery/status",
        headers={**hub_headers(tenant), "accept": "*/*"},
        json=SEED_STATUS_BODY,
    )
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    stored = md.get(f"/v1/orders/{order['id']}", headers=tenant.headers).json()
    assert stored["status"] == "Ready"
    assert stored["message"] == "test"
    assert stored["carrier"] == {
        "carrier_name": "Muvi Express",
        "tracking_id": "0220106997753968",
        "estimated_delivery_start": "2022-01-20T15:20:52.923000+00:00",
        "estimated_delivery_end": "2022-01-20T15:20:52.923000+00:00",
        "cost": 65,
    }
    assert [(m["status"], m["party"]) for m in stored["history"]] == [
        ("Unknown", "provider"),
        ("Ready", "hub"),
    ]
    # The hub's own update is not echoed back in its changes feed.
    changes = md.get(f"{AUTH_BASE}/1/delivery/changes", headers=hub_headers(tenant))
    assert changes.json() == []


def test_get_delivery_changes_answers_the_providers_changes_once(
    md: TestClient, tenant: Tenant
) -> None:
    register_service(md, tenant)
    first = create_order(md, tenant, reference="o5581066056252949999")
    second = create_order(md, tenant, reference="o5581309365303909999")
    provider_sets(md, tenant, first["id"], "Ready")
    provider_sets(md, tenant, second["id"], "Ready")
    # curl -X GET ".../auth/api/v1/delivery/services/1/delivery/changes" -H "accept: text/plain"
    answer = md.get(
        f"{AUTH_BASE}/1/delivery/changes", headers={**hub_headers(tenant), "accept": "text/plain"}
    )
    assert answer.status_code == 200, answer.text
    # The seed's body, as one array (its example opens a second "[" it never closes).
    assert answer.json() == [
        {"serviceID": "1", "orderID": "o5581066056252949999", "status": "Ready"},
        {"serviceID": "1", "orderID": "o5581309365303909999", "status": "Ready"},
    ]
    again = md.get(f"{BASE}/1/delivery/changes", headers=hub_headers(tenant))
    assert again.status_code == 200
    assert again.json() == []
