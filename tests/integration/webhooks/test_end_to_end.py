"""A letter posted over /v1 reaches a real receiver as signed webhooks, one per state it
passes; the delivery log shows each attempt, and a replay sends it again."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from tests.conftest import Tenant, letter_form, wait_for
from tests.integration.webhooks.receiver import Receiver


def test_a_letter_reaches_the_receiver_as_signed_webhooks(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    hook = client.post(
        "/v1/webhooks",
        headers=tenant.headers,
        json={"url": receiver.url, "event_types": ["piece.*"]},
    ).json()
    letter = client.post("/v1/letters", headers=tenant.headers, **letter_form()).json()

    wanted = {"piece.closed", "piece.accepted", "piece.allocated", "piece.transferred"}
    wait_for(lambda: wanted <= {json.loads(r.body)["type"] for r in receiver.requests}, timeout=30)
    verifier = Webhook(hook["secret"])
    for request in receiver.requests:
        payload = verifier.verify(request.body, request.headers)
        assert payload["data"]["id"] == letter["id"]
        assert payload["data"]["object"] == "piece"
        assert payload["type"] == f"piece.{payload['data']['status']}"

    # The delivery log: one succeeded delivery per event, newest first, page by page.
    def log() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get(
                f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers, params=params
            ).json()
            found.extend(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    deliveries = wait_for(lambda: (d := log()) and all(x["state"] == "succeeded" for x in d) and d)
    assert wanted <= {d["event_type"] for d in deliveries}
    created = [d["created_at"] for d in deliveries]
    assert created == sorted(created, reverse=True)
    closed = next(d for d in deliveries if d["event_type"] == "piece.closed")
    detail = client.get(f"/v1/webhook-deliveries/{closed['id']}", headers=tenant.headers).json()
    (attempt,) = detail["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["response_body"] == '{"ok": true}'
    assert attempt["error"] is None
    assert attempt["request_headers"]["webhook-id"] == closed["id"]
    assert detail["payload"]["type"] == "piece.closed"
    succeeded = client.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        headers=tenant.headers,
        params={"state": "succeeded"},
    ).json()["data"]
    assert len(succeeded) == len(deliveries)

    # A replay: a new series, sent soon, with the same webhook-id.
    replay = client.post(f"/v1/webhook-deliveries/{closed['id']}/replay", headers=tenant.headers)
    assert replay.status_code == 202, replay.text
    assert replay.json()["state"] == "pending" and replay.json()["attempt_count"] == 0
    wait_for(lambda: sum(r.headers["webhook-id"] == closed["id"] for r in receiver.requests) == 2)

    def replayed() -> dict[str, Any] | None:
        body = client.get(f"/v1/webhook-deliveries/{closed['id']}", headers=tenant.headers).json()
        return body if body["state"] == "succeeded" and len(body["attempts"]) == 2 else None

    again = wait_for(replayed)
    assert again["attempt_count"] == 1


def test_another_account_never_sees_a_delivery(
    client: TestClient, tenant: Tenant, make_tenant: Any, receiver: Receiver
) -> None:
    hook = client.post("/v1/webhooks", headers=tenant.headers, json={"url": receiver.url}).json()
    client.post("/v1/letters", headers=tenant.headers, **letter_form())
    wait_for(lambda: receiver.requests)
    listed = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    delivery_id = listed.json()["data"][-1]["id"]
    other: Tenant = make_tenant("tenant-b")
    for method, path in (
        ("GET", f"/v1/webhook-deliveries/{delivery_id}"),
        ("POST", f"/v1/webhook-deliveries/{delivery_id}/replay"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ):
        response = client.request(method, path, headers=other.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get(f"/v1/webhook-deliveries/{delivery_id}", headers=tenant.headers).is_success


def test_a_replay_to_a_disabled_endpoint_is_refused(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    hook = client.post("/v1/webhooks", headers=tenant.headers, json={"url": receiver.url}).json()
    client.post("/v1/letters", headers=tenant.headers, **letter_form())
    wait_for(lambda: receiver.requests)
    delivery = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json()[
        "data"
    ][-1]
    client.patch(f"/v1/webhooks/{hook['id']}", headers=tenant.headers, json={"enabled": False})
    refused = client.post(f"/v1/webhook-deliveries/{delivery['id']}/replay", headers=tenant.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "webhook_endpoint_disabled"
