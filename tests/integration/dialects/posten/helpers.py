"""Helpers for the Posten dialect tests: the seed's example, a caller's Basic header, a
parcel registered through the native API, and what is stored."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant

# "Examples", Request: the seed's body as written.
SEED_EXAMPLE: dict[str, Any] = {
    "trackingReference": "370724762112345678",
    "eventTime": "2022-08-04T12:51:00+01:00",
    "locationContext": "my postalname",
    "eventType": "013",
    "message": "Delivered",
}
EVENTS = "/posten/v1/events"


def basic(username: str, password: str) -> dict[str, str]:
    """The seed's web-service user as an Authorization header."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def user_of(tenant: Tenant) -> dict[str, str]:
    """The tenant's user as Posten's caller."""
    return basic(tenant.username, tenant.password)


def register_parcel(
    client: TestClient, headers: dict[str, str], reference: str, shop_id: str | None = None
) -> dict[str, Any]:
    """A parcel booked elsewhere, registered through the native API (in a shop)."""
    body: dict[str, Any] = {"reference": reference, "carrier": "posten"}
    if shop_id is not None:
        body["shop_id"] = shop_id
    answer = client.post("/v1/shipments", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    shipment: dict[str, Any] = answer.json()
    return shipment


def event_count(container: Container) -> int:
    with container.engine.connect() as conn:
        query = select(func.count()).select_from(tables.tracking_events)
        return int(conn.execute(query).scalar_one())


def assert_error(answer: Any, status: int, error: str, fields: list[str]) -> dict[str, Any]:
    """The answer is Posten's error body for this status, naming exactly these fields."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["error"] == error
    assert body["message"]
    assert [f["field"] for f in body["errors"]] == fields
    assert all(f["message"] for f in body["errors"])
    return body
