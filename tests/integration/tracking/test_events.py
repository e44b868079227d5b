"""Tracking events through /v1: catalog, dedup, order independence, the change feed, the
batch endpoint at 20,000 events (must show 2 and 3 of the tracking issue)."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error, row_counts

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone(timedelta(hours=2)))

# A parcel's story: registered, in transit, out for delivery, a failed attempt, delivered.
STORY = [("000", 0), ("003", 60), ("004", 120), ("007", 180), ("009", 240), ("013", 300)]


def event(reference: str, code: str, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "time": (T0 + timedelta(minutes=minutes)).isoformat(),
        "code": code,
        **extra,
    }


def post(client: TestClient, tenant: Tenant, body: Any) -> dict[str, Any]:
    response = client.post("/v1/tracking/events", headers=tenant.headers, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def shipment_by_reference(client: TestClient, tenant: Tenant, reference: str) -> dict[str, Any]:
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/shipments", headers=tenant.headers, params=params).json()
        for shipment in page["data"]:
            if shipment["reference"] == reference:
                return dict(shipment)
        cursor = page["next_cursor"]
        assert cursor, f"no shipment {reference}"


def all_changes(client: TestClient, tenant: Tenant, cursor: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    changes = []
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/changes", headers=tenant.headers, params=params).json()
        changes.extend(page["data"])
        if not page["data"]:
            return changes
        cursor = page["next_cursor"]


def test_event_codes_keep_leading_zeros(client: TestClient, tenant: Tenant) -> None:
    codes = client.get("/v1/tracking/event-codes", headers=tenant.headers).json()
    by_code = {c["code"]: c for c in codes}
    assert by_code["013"] == {
        "code": "013",
        "name": "Delivered",
        "group": "delivery",
        "status": "delivered",
        "proof": "ACKN",
    }
    assert "13" not in by_code
    assert by_code["040"]["status"] is None  # informative only


def test_one_event_creates_its_shipment_with_every_field(
    client: TestClient, tenant: Tenant
) -> None:
    result = post(
        client,
        tenant,
        event(
            "(00)370724760010119754",
            "004",
            latitude=59.911096,
            longitude=10.752457,
            location="Oslo",
            location_id="34567",
            additional_code="001",
            channel="SMS",
            message="Arrived",
            source="posten",
        ),
    )
    assert result == {
        "received": 1,
        "stored": 1,
        "duplicates": 0,
        "shipments_created": 1,
        "status_changes": 1,
    }
    shipment = shipment_by_reference(client, tenant, "(00)370724760010119754")
    assert shipment["status"] == "in_transit"
    assert shipment["status_code"] == "004"
    events = client.get(f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers).json()
    [stored] = events["data"]
    assert stored["time"] == T0.isoformat()  # the sender's offset is kept
    assert (stored["latitude"], stored["longitude"]) == (59.911096, 10.752457)
    assert stored["location"] == "Oslo" and stored["location_id"] == "34567"
    assert stored["additional_code"] == "001" and stored["channel"] == "SMS"
    assert stored["source"] == "posten" and stored["name"] == "Arrived at terminal"


def test_a_hundred_replays_change_the_status_once(client: TestClient, tenant: Tenant) -> None:
    one = event("REPLAY1", "013", 10)
    results = [post(client, tenant, one) for _ in range(100)]
    assert sum(r["stored"] for r in results) == 1
    assert sum(r["duplicates"] for r in results) == 99
    assert sum(r["status_changes"] for r in results) == 1
    shipment = shipment_by_reference(client, tenant, "REPLAY1")
    assert shipment["status"] == "delivered"
    changes = [c for c in all_changes(client, tenant) if c["subject_id"] == shipment["id"]]
    assert [c["status"] for c in changes] == ["delivered"]
    # The same event in one batch a hundred times is stored once too.
    batch = post(client, tenant, {"events": [event("REPLAY2", "003", 5)] * 100})
    assert (batch["stored"], batch["duplicates"]) == (1, 99)


def test_shuffled_events_give_the_same_final_status(client: TestClient, tenant: Tenant) -> None:
    rng = random.Random(7)
    finals = set()
    for attempt in range(12):
        reference = f"SHUFFLE{attempt}"
        events = [event(reference, code, minutes) for code, minutes in STORY]
        rng.shuffle(events)
        for one in events:  # one call each: every arrival order is a different history
            post(client, tenant, one)
        shipment = shipment_by_reference(client, tenant, reference)
        finals.add((shipment["status"], shipment["status_code"]))
    assert finals == {("delivered", "013")}


def test_a_late_event_does_not_move_the_status_back(client: TestClient, tenant: Tenant) -> None:
    post(client, tenant, event("LATE1", "013", 300))
    result = post(client, tenant, event("LATE1", "003", 60))
    assert (result["stored"], result["status_changes"]) == (1, 0)
    assert shipment_by_reference(client, tenant, "LATE1")["status"] == "delivered"
    # A return after the delivery report outranks it (the piece came back).
    post(client, tenant, event("LATE1", "020", 600))
    assert shipment_by_reference(client, tenant, "LATE1")["status"] == "returned"


def test_bad_batches_are_refused_whole(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    before = row_counts(container)
    bad_code = client.post(
        "/v1/tracking/events",
        headers=tenant.headers,
        json={"events": [event("BAD1", "003"), event("BAD1", "13"), event("BAD1", "999")]},
    )
    error = assert_error(bad_code, 422, "unknown_event_code")
    assert error["detail"]["events"] == [{"index": 1, "code": "13"}, {"index": 2, "code": "999"}]
    naive = client.post(
        "/v1/tracking/events",
        headers=tenant.headers,
        json={"reference": "BAD2", "time": "2026-05-04T08:00:00", "code": "003"},
    )
    assert_error(naive, 422, "validation_error")
    too_long = client.post(
        "/v1/tracking/events", headers=tenant.headers, json=event("X" * 36, "003")
    )
    assert_error(too_long, 422, "validation_error")
    too_many = client.post(
        "/v1/tracking/events",
        headers=tenant.headers,
        json={"events": [event(f"MANY{i}", "003") for i in range(1001)]},
    )
    assert_error(too_many, 422, "validation_error")
    not_json = client.post(
        "/v1/tracking/events",
        headers={**tenant.headers, "content-type": "application/json"},
        content=b"{not json",
    )
    assert not_json.status_code == 422
    assert row_counts(container) == before


def test_another_accounts_shipment_is_not_found(
    client: TestClient, tenant: Tenant, make_tenant: Any
) -> None:
    post(client, tenant, event("MINE1", "003"))
    mine = shipment_by_reference(client, tenant, "MINE1")
    other = make_tenant("tenant-b")
    for path in (
        f"/v1/shipments/{mine['id']}",
        f"/v1/shipments/{mine['id']}/events",
        f"/v1/shipments/{mine['id']}/proofs",
    ):
        assert_error(client.get(path, headers=other.headers), 404, "not_found")
    # The same reference reported by another account is that account's own shipment.
    post(client, other, event("MINE1", "013"))
    assert shipment_by_reference(client, tenant, "MINE1")["status"] == "in_transit"


def test_change_feed_never_skips_under_concurrent_writers(
    client: TestClient, tenant: Tenant
) -> None:
    """Four writers post status changes while a reader follows the feed with its cursor:
    the reader sees every change exactly once, in number order."""
    writers, per_writer = 4, 15
    seen: list[dict[str, Any]] = []
    done = threading.Event()

    def write(n: int) -> None:
        for i in range(per_writer):
            post(client, tenant, event(f"FEED{n}-{i}", "003"))

    def read() -> None:
        cursor = None
        while True:
            finished = done.is_set()
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/changes", headers=tenant.headers, params=params).json()
            seen.extend(page["data"])
            cursor = page["next_cursor"]
            if finished and not page["data"]:
                return

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=60)
    seqs = [c["seq"] for c in seen]
    assert seqs == list(range(1, writers * per_writer + 1))
    assert {c["data"]["reference"] for c in seen} == {
        f"FEED{n}-{i}" for n in range(writers) for i in range(per_writer)
    }
    assert_error(
        client.get("/v1/changes", headers=tenant.headers, params={"cursor": "zzz"}),
        422,
        "invalid_cursor",
    )


def test_twenty_thousand_events_through_the_batch_endpoint(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    """Must show 3: 20 calls of 1,000 events over 4,000 shipments (five events each, sent
    out of order across calls); every event stored once, every status right."""
    shipments, per_shipment = 4000, 5
    codes = ["000", "003", "004", "007", "013"]
    events = [
        event(f"BULK{n:05d}", codes[k], 10 * k, location=f"Terminal {n % 50}")
        for n in range(shipments)
        for k in range(per_shipment)
    ]
    random.Random(3).shuffle(events)
    totals = {"stored": 0, "duplicates": 0, "shipments_created": 0}
    for start in range(0, len(events), 1000):
        result = post(client, tenant, {"events": events[start : start + 1000]})
        for key in totals:
            totals[key] += result[key]
    assert totals == {"stored": 20_000, "duplicates": 0, "shipments_created": shipments}
    again = post(client, tenant, {"events": events[:1000]})
    assert (again["stored"], again["duplicates"]) == (0, 1000)
    with container.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(tables.tracking_events)).scalar_one()
        statuses = dict(
            conn.execute(
                select(tables.shipments.c.status, func.count()).group_by(tables.shipments.c.status)
            ).all()
        )
        audited = sum(
            len(content["events"])
            for (content,) in conn.execute(
                select(tables.audit_log.c.content).where(
                    tables.audit_log.c.kind == "tracking.events"
                )
            )
        )
    assert stored == 20_000
    assert statuses == {"delivered": shipments}
    assert audited == 20_000
    assert datetime.now(UTC) > T0  # the times were stored as given, not as received


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
@pytest.mark.parametrize("prefer", [{}, {"Prefer": "respond-async"}], ids=["sync", "async"])
def test_a_time_without_a_utc_form_is_a_validation_error(
    client: TestClient, tenant: Tenant, container: Container, moment: str, prefer: dict[str, str]
) -> None:
    # Issue 20: these answered 500 (OverflowError in astimezone).
    before = row_counts(container)
    response = client.post(
        "/v1/tracking/events",
        headers={**tenant.headers, **prefer},
        json={"reference": "R1", "time": moment, "code": "001"},
    )
    error = assert_error(response, 422, "validation_error")
    assert "outside the years 1 to 9999" in json.dumps(error)
    assert row_counts(container) == before
