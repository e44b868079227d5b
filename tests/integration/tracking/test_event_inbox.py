"""Events accepted at once (Prefer: respond-async) and folded by the worker's stage: the
same outcome as a synchronous call, nothing lost, nothing folded twice."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.services import tracking
from postroom.storage import tables
from tests.conftest import Tenant, wait_for
from tests.integration.api.helpers import assert_error, row_counts
from tests.integration.tracking.test_events import all_changes, event, shipment_by_reference

ASYNC = {"Prefer": "respond-async"}


def queue(client: TestClient, tenant: Tenant, body: Any) -> dict[str, Any]:
    response = client.post("/v1/tracking/events", headers={**tenant.headers, **ASYNC}, json=body)
    assert response.status_code == 202, response.text
    batch: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/tracking/batches/{batch['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    return batch


def folded(client: TestClient, tenant: Tenant, batch_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        batch = client.get(f"/v1/tracking/batches/{batch_id}", headers=tenant.headers).json()
        return batch if batch["state"] != "queued" else None

    result: dict[str, Any] = wait_for(done, timeout=30)
    return result


def test_a_queued_batch_is_folded_as_a_synchronous_call_would_be(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    first = queue(
        client,
        tenant,
        {
            "events": [
                event("INBOX1", "003", 0),
                event("INBOX1", "003", 0),  # told twice in one call
                event("INBOX1", "013", 60, location="Porch"),
                event("INBOX2", "003", 0),
            ]
        },
    )
    assert (first["state"], first["received"], first["stored"]) == ("queued", 4, None)
    done = folded(client, tenant, first["id"])
    assert done["state"] == "folded" and done["error"] is None
    assert (done["stored"], done["duplicates"], done["shipments_created"]) == (3, 1, 2)
    assert done["status_changes"] == 2
    assert shipment_by_reference(client, tenant, "INBOX1")["status"] == "delivered"
    assert shipment_by_reference(client, tenant, "INBOX2")["status"] == "in_transit"

    # A replay in a later batch is a duplicate, and a late event does not move back.
    second = queue(
        client, tenant, {"events": [event("INBOX1", "013", 60), event("INBOX1", "004", 30)]}
    )
    again = folded(client, tenant, second["id"])
    assert (again["stored"], again["duplicates"], again["status_changes"]) == (1, 1, 0)
    assert shipment_by_reference(client, tenant, "INBOX1")["status"] == "delivered"

    shipment = shipment_by_reference(client, tenant, "INBOX1")
    codes = [
        e["code"]
        for e in client.get(
            f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers
        ).json()["data"]
    ]
    assert sorted(codes) == ["003", "004", "013"]
    statuses = {
        (c["data"]["reference"], c["status"])
        for c in all_changes(client, tenant)
        if c["subject_type"] == "shipment"
    }
    assert statuses == {("INBOX1", "delivered"), ("INBOX2", "in_transit")}
    with container.engine.connect() as conn:
        waiting = conn.execute(select(func.count()).select_from(tables.event_inbox)).scalar_one()
        audited = sum(
            len(content["events"])
            for (content,) in conn.execute(
                select(tables.audit_log.c.content).where(
                    tables.audit_log.c.kind == "tracking.events"
                )
            )
        )
    assert waiting == 0  # folded events leave the inbox
    assert audited == 4


def test_a_folded_batch_is_not_folded_again(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    batch = queue(client, tenant, event("ONCE1", "003"))
    folded(client, tenant, batch["id"])
    before = row_counts(container)
    # The stage's message delivered a second time (a redelivery after a crash).
    assert (
        tracking.fold_events(
            uow=container.uow(),
            clock=container.clock,
            catalog=container.events,
            batch_id=batch["id"],
            message_id=-1,
        )
        is None
    )
    assert row_counts(container) == before


def test_a_bad_queued_batch_is_refused_whole_and_stores_nothing(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    before = row_counts(container)
    refused = client.post(
        "/v1/tracking/events",
        headers={**tenant.headers, **ASYNC},
        json={"events": [event("QBAD1", "003"), event("QBAD1", "13")]},
    )
    error = assert_error(refused, 422, "unknown_event_code")
    assert error["detail"]["events"] == [{"index": 1, "code": "13"}]
    assert row_counts(container) == before


def test_another_accounts_batch_is_not_found(
    client: TestClient, tenant: Tenant, make_tenant: Any
) -> None:
    batch = queue(client, tenant, event("QMINE1", "003"))
    other = make_tenant("tenant-b")
    assert_error(
        client.get(f"/v1/tracking/batches/{batch['id']}", headers=other.headers),
        404,
        "not_found",
    )
    assert_error(
        client.get("/v1/tracking/batches/no-such-batch", headers=tenant.headers), 404, "not_found"
    )


def test_every_field_survives_the_inbox(client: TestClient, tenant: Tenant) -> None:
    """A batch where one event has every optional field and the other none: the inbox
    stores only the columns some event fills, and each event comes out as it went in."""
    full = event(
        "FIELDS1",
        "004",
        latitude=59.911096,
        longitude=10.752457,
        location="Oslo",
        location_id="34567",
        additional_code="001",
        channel="SMS",
        message="Arrived",
        source="posten",
    )
    batch = queue(client, tenant, {"events": [full, event("FIELDS2", "003")]})
    assert folded(client, tenant, batch["id"])["stored"] == 2
    shipment = shipment_by_reference(client, tenant, "FIELDS1")
    [stored] = client.get(f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers).json()[
        "data"
    ]
    assert stored["time"] == full["time"]
    assert (stored["latitude"], stored["longitude"]) == (59.911096, 10.752457)
    assert (stored["location"], stored["location_id"]) == ("Oslo", "34567")
    assert (stored["additional_code"], stored["channel"]) == ("001", "SMS")
    assert (stored["message"], stored["source"]) == ("Arrived", "posten")
    bare = shipment_by_reference(client, tenant, "FIELDS2")
    [plain] = client.get(f"/v1/shipments/{bare['id']}/events", headers=tenant.headers).json()[
        "data"
    ]
    assert plain["source"] == "api"
    assert plain["location"] is None and plain["message"] is None
