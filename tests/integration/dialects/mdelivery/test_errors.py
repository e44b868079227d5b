"""Every fault the MDelivery dialect answers: its status, its code, a reason, and nothing
changed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.mdelivery.helpers import (
    AUTH_BASE,
    BASE,
    ORDER,
    SEED_STATUS_BODY,
    SERVICE,
    create_order,
    hub_headers,
    register_service,
)

DETAILS = f"{AUTH_BASE}/{SERVICE}/orders/{ORDER}/delivery/details"
STATUS = f"{AUTH_BASE}/{SERVICE}/orders/{ORDER}/delivery/status"
CHANGES = f"{AUTH_BASE}/{SERVICE}/delivery/changes"


def _fault(answer: Any, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code
    assert body["message"]
    return str(body["message"])


@pytest.fixture
def order(md: TestClient, tenant: Tenant) -> dict[str, Any]:
    register_service(md, tenant)
    return create_order(md, tenant)


def _history(md: TestClient, tenant: Tenant, order: dict[str, Any]) -> list[str]:
    got = md.get(f"/v1/orders/{order['id']}", headers=tenant.headers).json()
    return [m["status"] for m in got["history"]]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic " + base64.b64encode(b"nobody:wrong").decode()},
    ],
    ids=["none", "bad bearer", "bad basic"],
)
def test_without_valid_credentials_is_401_authentication_failed(
    md: TestClient, order: dict[str, Any], headers: dict[str, str]
) -> None:
    for method, path in (("GET", DETAILS), ("GET", CHANGES), ("PUT", STATUS)):
        answer = md.request(method, path, headers=headers, json=SEED_STATUS_BODY)
        _fault(answer, 401, "AuthenticationFailed")


def test_basic_and_api_key_credentials_work_and_a_session_header_is_refused(
    md: TestClient, tenant: Tenant, order: dict[str, Any]
) -> None:
    basic = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
    assert md.get(DETAILS, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert md.get(DETAILS, headers=tenant.headers).status_code == 200
    _fault(md.get(DETAILS, headers={"X-Auth-Token": "t"}), 401, "AuthenticationFailed")


def test_unknown_service_or_order_is_404(
    md: TestClient, tenant: Tenant, order: dict[str, Any]
) -> None:
    h = hub_headers(tenant)
    assert "no service 9" in _fault(
        md.get(f"{BASE}/9/orders/{ORDER}/delivery/details", headers=h), 404, "NotFound"
    )
    _fault(md.get(f"{BASE}/9/delivery/changes", headers=h), 404, "NotFound")
    _fault(
        md.put(f"{BASE}/9/orders/{ORDER}/delivery/status", headers=h, json=SEED_STATUS_BODY),
        404,
        "NotFound",
    )
    assert "no order o1" in _fault(
        md.get(f"{BASE}/{SERVICE}/orders/o1/delivery/details", headers=h), 404, "NotFound"
    )
    _fault(
        md.put(f"{BASE}/{SERVICE}/orders/o1/delivery/status", headers=h, json=SEED_STATUS_BODY),
        404,
        "NotFound",
    )
    assert _history(md, tenant, order) == ["Unknown"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"status": "Lost"}, "status"),  # not a status of the enum
        ({"status": "Delivered"}, "Unknown to Delivered"),  # not in the transition table
        ({"status": "Processing"}, "set by the provider"),  # the provider's, not the hub's
        ({"carrierName": None}, "carrierName"),  # mandatory in the seed
        ({"trackingID": None}, "trackingID"),
        ({"carrierCost": "a lot"}, "carrierCost"),
        ({"carrierEstimatedDeliveryStart": "tomorrow"}, "carrierEstimatedDeliveryStart"),
    ],
    ids=["unknown", "illegal", "not the hub's", "carrierName", "trackingID", "cost", "date"],
)
def test_a_bad_status_update_is_400_invalid_parameter(
    md: TestClient,
    tenant: Tenant,
    order: dict[str, Any],
    change: dict[str, Any],
    named: str,
) -> None:
    body = {k: v for k, v in {**SEED_STATUS_BODY, **change}.items() if v is not None}
    answer = md.put(STATUS, headers=hub_headers(tenant), json=body)
    assert named in _fault(answer, 400, "InvalidParameter")
    assert _history(md, tenant, order) == ["Unknown"]


def test_a_body_that_is_not_json_is_400(
    md: TestClient, tenant: Tenant, order: dict[str, Any]
) -> None:
    answer = md.put(
        STATUS,
        headers={**hub_headers(tenant), "Content-Type": "application/json"},
        content=b"{not json",
    )
    _fault(answer, 400, "InvalidParameter")


def test_a_wrong_method_is_405_with_allow(
    md: TestClient, tenant: Tenant, order: dict[str, Any]
) -> None:
    answer = md.post(DETAILS, headers=hub_headers(tenant))
    _fault(answer, 405, "MethodNotAllowed")
    assert answer.headers["allow"] == "GET"


def test_another_accounts_order_is_404_as_if_it_did_not_exist(
    md: TestClient,
    tenant: Tenant,
    order: dict[str, Any],
    make_tenant: Callable[[str], Tenant],
) -> None:
    other = make_tenant("tenant-b")
    register_service(md, other)  # B has a service "1" too: A's order is still not B's
    h = hub_headers(other)
    mine = md.put(STATUS, headers=h, json=SEED_STATUS_BODY)
    nobodys = md.put(
        f"{AUTH_BASE}/{SERVICE}/orders/o-none/delivery/status", headers=h, json=SEED_STATUS_BODY
    )
    assert _fault(mine, 404, "NotFound").replace(ORDER, "o-none") == nobodys.json()["message"]
    _fault(md.get(DETAILS, headers=h), 404, "NotFound")
    assert md.get(CHANGES, headers=h).json() == []
    assert _history(md, tenant, order) == ["Unknown"]
