"""The sandbox (must show 6 of the tracking issue): a sandbox letter plays its story on
its account's clock, and one driven to "returned to sender" produces the webhook, the
FAIL_PROOF and the change-feed entry, and no output file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks import Webhook

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Backend, Tenant, letter_form, wait_for
from tests.integration.api.helpers import assert_error
from tests.integration.webhooks.receiver import Receiver
from tests.support.lots import lots_folder

STEP = 3600  # the default sandbox step, in the API's and the worker's settings alike


def letter_state(client: TestClient, tenant: Tenant, letter_id: str) -> str:
    state: str = client.get(f"/v1/letters/{letter_id}", headers=tenant.headers).json()["state"]
    return state


def advance(client: TestClient, tenant: Tenant, seconds: int) -> dict[str, Any]:
    response = client.post(
        "/v1/sandbox/clock", headers=tenant.headers, json={"advance_seconds": seconds}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def the_shipment(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    page = client.get("/v1/shipments", headers=tenant.headers).json()
    [shipment] = page["data"]
    return dict(shipment)


def proofs(client: TestClient, tenant: Tenant, shipment_id: str) -> dict[str, dict[str, Any]]:
    found = client.get(f"/v1/shipments/{shipment_id}/proofs", headers=tenant.headers).json()
    return {p["kind"]: p for p in found}


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def files_naming(output_dir: Path, piece_id: str) -> list[Path]:
    """Output files that mention the piece (other tests' lots may share the folder)."""
    if not output_dir.exists():
        return []
    return [
        p
        for p in output_dir.rglob("manifest.*")
        if p.is_file() and piece_id in p.read_text(encoding="utf-8")
    ]


def test_a_sandbox_letter_plays_its_whole_story_on_its_clock(
    client: TestClient, container: Container, sandbox_tenant: Tenant
) -> None:
    tenant = sandbox_tenant
    letter = client.post("/v1/letters", headers=tenant.headers, **letter_form()).json()
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "transferred", timeout=60)
    # Nothing happens until the sandbox clock says an hour went by.
    assert client.get("/v1/shipments", headers=tenant.headers).json()["data"] == []
    start = client.get("/v1/sandbox/clock", headers=tenant.headers).json()
    moved = advance(client, tenant, STEP)
    assert moved["offset_seconds"] == start["offset_seconds"] + STEP
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "printed", timeout=30)
    advance(client, tenant, 3 * STEP)
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "delivered", timeout=30)
    shipment = the_shipment(client, tenant)
    assert (shipment["status"], shipment["status_code"]) == ("delivered", "013")
    events = client.get(f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers).json()
    assert [e["code"] for e in events["data"]] == ["003", "013"]
    assert {e["source"] for e in events["data"]} == {"sandbox"}
    found = wait_for(
        lambda: (p := proofs(client, tenant, shipment["id"])) and len(p) == 3 and p, timeout=30
    )
    assert set(found) == {"CERTIF", "ACKN", "TRACKING_DETAIL"}
    states = [
        c["status"]
        for c in client.get("/v1/changes", headers=tenant.headers).json()["data"]
        if c["subject_id"] == letter["id"]
    ]
    assert states == [
        "closed",
        "accepted",
        "allocated",
        "transferred",
        "printed",
        "posted",
        "delivered",
    ]


def test_returned_to_sender_gives_webhook_fail_proof_feed_entry_and_no_file(
    client: TestClient,
    container: Container,
    sandbox_tenant: Tenant,
    receiver: Receiver,
    backend: Backend,
) -> None:
    tenant = sandbox_tenant
    hook = client.post(
        "/v1/webhooks",
        headers=tenant.headers,
        json={"url": receiver.url, "event_types": ["piece.returned", "shipment.*", "proof.*"]},
    ).json()
    letter = client.post("/v1/letters", headers=tenant.headers, **letter_form()).json()
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "transferred", timeout=60)
    advance(client, tenant, 2 * STEP)
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "posted", timeout=30)
    shipment = the_shipment(client, tenant)

    played = client.post(
        f"/v1/sandbox/shipments/{shipment['id']}/events",
        headers=tenant.headers,
        json={"code": "020", "location": "Returns centre", "message": "Moved, no forwarding"},
    )
    assert played.status_code == 200, played.text
    assert played.json()["status_changes"] == 1
    assert the_shipment(client, tenant)["status"] == "returned"
    wait_for(lambda: letter_state(client, tenant, letter["id"]) == "returned", timeout=30)

    # The failure proof: stored, hashed, downloadable, stating the reason.
    fail = wait_for(lambda: proofs(client, tenant, shipment["id"]).get("FAIL_PROOF"), timeout=30)
    content = client.get(f"/v1/proofs/{fail['id']}/content", headers=tenant.headers)
    assert content.status_code == 200
    assert content.headers["content-type"] == "application/pdf"
    text = pdf_text(content.content)
    assert "Proof of failed delivery" in text
    assert "Returned to sender" in text and shipment["reference"] in text
    import hashlib

    assert hashlib.sha256(content.content).hexdigest() == fail["sha256"]

    # The change feed: the piece and the shipment returned, the proof issued.
    changes = client.get("/v1/changes", headers=tenant.headers, params={"limit": 1000}).json()
    seen = {(c["subject_type"], c["status"]) for c in changes["data"]}
    assert {("piece", "returned"), ("shipment", "returned"), ("proof", "fail_proof")} <= seen

    # The webhooks: made for the account's endpoint, and they arrive signed.
    with container.engine.connect() as conn:
        types = set(
            conn.execute(
                select(tables.webhook_deliveries.c.event_type).where(
                    tables.webhook_deliveries.c.endpoint_id == hook["id"]
                )
            ).scalars()
        )
    assert {"piece.returned", "shipment.returned", "proof.fail_proof"} <= types
    wait_for(lambda: receiver.of_type("piece.returned"), timeout=30)
    wait_for(lambda: receiver.of_type("proof.fail_proof"), timeout=30)
    verifier = Webhook(hook["secret"])
    for request in receiver.requests:
        payload = verifier.verify(request.body, request.headers)
        assert payload["type"] == json.loads(request.body)["type"]
    [returned] = receiver.of_type("piece.returned")
    assert json.loads(returned.body)["data"]["id"] == letter["id"]

    # Nothing reached the printer's folder: the piece is in no lot and no manifest.
    with container.engine.connect() as conn:
        lot_id = conn.execute(
            select(tables.mail_pieces.c.lot_id).where(tables.mail_pieces.c.id == letter["id"])
        ).scalar_one()
    assert lot_id is None
    assert files_naming(lots_folder(container.settings), letter["id"]) == []


def test_the_sandbox_is_for_sandbox_accounts(client: TestClient, tenant: Tenant) -> None:
    assert_error(
        client.get("/v1/sandbox/clock", headers=tenant.headers), 409, "not_a_sandbox_account"
    )
    assert_error(
        client.post("/v1/sandbox/clock", headers=tenant.headers, json={"advance_seconds": 60}),
        409,
        "not_a_sandbox_account",
    )


def test_bad_sandbox_requests(client: TestClient, sandbox_tenant: Tenant) -> None:
    tenant = sandbox_tenant
    backwards = client.post(
        "/v1/sandbox/clock", headers=tenant.headers, json={"advance_seconds": -5}
    )
    assert_error(backwards, 422, "validation_error")
    assert_error(
        client.post(
            "/v1/sandbox/shipments/nope/events", headers=tenant.headers, json={"code": "020"}
        ),
        404,
        "not_found",
    )
    # Issue 20: a time with no UTC form answered 500.
    assert_error(
        client.post(
            "/v1/sandbox/shipments/nope/events",
            headers=tenant.headers,
            json={"code": "020", "time": "0001-01-01T00:00:00+01:00"},
        ),
        422,
        "validation_error",
    )
