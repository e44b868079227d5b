"""/v1/orders: a provider's orders for the delivery hub, its own status changes, history."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.dialects.mdelivery.helpers import (
    create_order,
    order_body,
    register_service,
)


def test_an_order_is_created_listed_and_moved_by_the_provider(
    idle_client: TestClient, tenant: Tenant
) -> None:
    register_service(idle_client, tenant)
    order = create_order(idle_client, tenant)
    assert order["status"] == "Unknown"
    assert order["receiver"]["type"] == "Person"
    assert order["products"][0]["weight"] == 0
    listed = idle_client.get("/v1/orders", headers=tenant.headers)
    assert [o["id"] for o in listed.json()["data"]] == [order["id"]]
    for status in ("Processing", "Ready"):
        moved = idle_client.post(
            f"/v1/orders/{order['id']}/status", headers=tenant.headers, json={"status": status}
        )
        assert moved.status_code == 200, moved.text
    got = idle_client.get(f"/v1/orders/{order['id']}", headers=tenant.headers).json()
    assert got["status"] == "Ready"
    assert [(m["status"], m["party"]) for m in got["history"]] == [
        ("Unknown", "provider"),
        ("Processing", "provider"),
        ("Ready", "provider"),
    ]


def test_a_provider_cannot_set_the_hubs_or_the_carriers_statuses(
    idle_client: TestClient, tenant: Tenant
) -> None:
    register_service(idle_client, tenant)
    order = create_order(idle_client, tenant)
    for status in ("Paid", "Delivered"):
        refused = idle_client.post(
            f"/v1/orders/{order['id']}/status", headers=tenant.headers, json={"status": status}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "status_not_yours"
    cancel = {"status": "Cancelled"}
    assert (
        idle_client.post(
            f"/v1/orders/{order['id']}/status", headers=tenant.headers, json=cancel
        ).status_code
        == 200
    )
    illegal = idle_client.post(
        f"/v1/orders/{order['id']}/status", headers=tenant.headers, json={"status": "Ready"}
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "illegal_transition"
    unknown = idle_client.post(
        f"/v1/orders/{order['id']}/status", headers=tenant.headers, json={"status": "Lost"}
    )
    assert unknown.status_code == 422


def test_refusals_when_creating_an_order(idle_client: TestClient, tenant: Tenant) -> None:
    register_service(idle_client, tenant, pickup_points=["P1", "P2"], products=["X", "Y"])

    def code_of(**changes: Any) -> tuple[int, str]:
        answer = idle_client.post("/v1/orders", headers=tenant.headers, json=order_body(**changes))
        return answer.status_code, answer.json()["error"]["code"]

    product = order_body()["products"][0]
    assert code_of(service="2") == (404, "unknown_service")
    assert code_of(pickup_point_code=None) == (422, "pickup_point_required")
    assert code_of(pickup_point_code="P3") == (422, "unknown_pickup_point")
    assert code_of(pickup_point_code="P1", products=[{**product, "code": None}]) == (
        422,
        "product_code_required",
    )
    assert code_of(pickup_point_code="P1", products=[{**product, "code": "Z"}]) == (
        422,
        "unknown_product",
    )
    assert idle_client.get("/v1/orders", headers=tenant.headers).json()["data"] == []
    create_order(idle_client, tenant, pickup_point_code="P1", products=[{**product, "code": "X"}])
    again = {"pickup_point_code": "P1", "products": [{**product, "code": "X"}]}
    assert code_of(**again) == (409, "order_exists")


def test_another_accounts_order_is_not_found(
    idle_client: TestClient, tenant: Tenant, make_tenant: Callable[[str], Tenant]
) -> None:
    register_service(idle_client, tenant)
    order = create_order(idle_client, tenant)
    other = make_tenant("tenant-b")
    assert idle_client.get(f"/v1/orders/{order['id']}", headers=other.headers).status_code == 404
    moved = idle_client.post(
        f"/v1/orders/{order['id']}/status", headers=other.headers, json={"status": "Cancelled"}
    )
    assert moved.status_code == 404
    assert idle_client.get("/v1/orders", headers=other.headers).json()["data"] == []


def test_the_same_order_posted_twice_at_once_is_stored_once(
    container: Container, tenant: Tenant
) -> None:
    app = create_app(container, run_worker=False)
    with TestClient(app) as one, TestClient(app) as two:
        register_service(one, tenant)
        answers: list[int] = []

        def post(client: TestClient) -> None:
            for i in range(10):
                body = order_body(reference=f"o-twice-{i}")
                answers.append(
                    client.post("/v1/orders", headers=tenant.headers, json=body).status_code
                )

        threads = [threading.Thread(target=post, args=(c,)) for c in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(answers) == [201] * 10 + [409] * 10
        pages, cursor = [], None
        while True:
            query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = one.get("/v1/orders", headers=tenant.headers, params=query).json()
            pages.append([o["reference"] for o in page["data"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        # Newest first, in pages of 3, each order once.
        assert [len(p) for p in pages] == [3, 3, 3, 1]
        assert sorted(r for p in pages for r in p) == sorted(f"o-twice-{i}" for i in range(10))
