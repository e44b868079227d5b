"""/v1/webhooks: endpoints per account, secrets shown only when made, the address rule."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error

PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address, written as one: no DNS


def create(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", headers=tenant.headers, json={"url": PUBLIC_URL, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_endpoint_shows_its_secret_once(client: TestClient, tenant: Tenant) -> None:
    created = create(client, tenant, description="billing", event_types=["piece.*"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["event_types"] == ["piece.*"]
    assert created["enabled"] is True and created["state"] == "active"
    assert created["description"] == "billing"
    assert created["dialect"] is None
    (shown,) = created["secrets"]
    assert secret.startswith(shown["hint"].rstrip("…")) and shown["expires_at"] is None

    listed = client.get("/v1/webhooks", headers=tenant.headers)
    one = client.get(f"/v1/webhooks/{created['id']}", headers=tenant.headers)
    for response in (listed, one):
        assert response.status_code == 200
        assert secret not in response.text
        assert secret.removeprefix("whsec_") not in response.text
    assert [e["id"] for e in listed.json()["data"]] == [created["id"]]
    assert "secret" not in one.json()


def test_a_replayed_create_does_not_show_the_secret_again(
    client: TestClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "hook-1"}
    first = client.post("/v1/webhooks", headers=headers, json={"url": PUBLIC_URL})
    again = client.post("/v1/webhooks", headers=headers, json={"url": PUBLIC_URL})
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"].startswith("whsec_")
    assert again.json()["secret"] is None
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/v1/webhooks", headers=tenant.headers).json()["data"]) == 1


def test_event_types_are_checked(client: TestClient, tenant: Tenant) -> None:
    assert create(client, tenant)["event_types"] == ["*"]
    assert create(client, tenant, event_types=["shipment.delivered", "piece.*"])["event_types"] == [
        "shipment.delivered",
        "piece.*",
    ]
    for bad in (["piece.delivred"], ["parcel.*"], ["piece"], []):
        response = client.post(
            "/v1/webhooks", headers=tenant.headers, json={"url": PUBLIC_URL, "event_types": bad}
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] in ("unknown_event_type", "validation_error")


def test_patch_changes_fields_and_enables_or_disables(client: TestClient, tenant: Tenant) -> None:
    hook = create(client, tenant)
    url = f"/v1/webhooks/{hook['id']}"
    changed = client.patch(
        url,
        headers=tenant.headers,
        json={"description": "new", "event_types": ["shipment.*"], "enabled": False},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["description"] == "new" and body["event_types"] == ["shipment.*"]
    assert body["enabled"] is False and body["state"] == "disabled"
    assert body["disabled_reason"] == "disabled by its owner"
    assert body["url"] == PUBLIC_URL
    again = client.patch(url, headers=tenant.headers, json={"enabled": True}).json()
    assert again["enabled"] is True
    assert again["disabled_reason"] is None and again["disabled_at"] is None
    assert again["description"] == "new"
    nothing = client.patch(url, headers=tenant.headers, json={})
    assert nothing.status_code == 200
    assert_error(
        client.patch(url, headers=tenant.headers, json={"colour": 1}), 422, "validation_error"
    )


def test_delete_removes_the_endpoint(client: TestClient, tenant: Tenant) -> None:
    hook = create(client, tenant)
    url = f"/v1/webhooks/{hook['id']}"
    assert client.delete(url, headers=tenant.headers).status_code == 204
    assert_error(client.get(url, headers=tenant.headers), 404, "not_found")
    assert_error(client.delete(url, headers=tenant.headers), 404, "not_found")


def test_another_account_never_sees_an_endpoint(
    client: TestClient, tenant: Tenant, make_tenant: Any
) -> None:
    hook = create(client, tenant)
    other: Tenant = make_tenant("tenant-b")
    url = f"/v1/webhooks/{hook['id']}"
    assert client.get("/v1/webhooks", headers=other.headers).json()["data"] == []
    assert_error(client.get(url, headers=other.headers), 404, "not_found")
    assert_error(
        client.patch(url, headers=other.headers, json={"enabled": False}), 404, "not_found"
    )
    assert_error(client.delete(url, headers=other.headers), 404, "not_found")
    assert_error(client.post(f"{url}/rotate-secret", headers=other.headers), 404, "not_found")
    assert_error(client.get(f"{url}/deliveries", headers=other.headers), 404, "not_found")
    assert client.get(url, headers=tenant.headers).status_code == 200


def test_rotation_shows_the_new_secret_and_keeps_the_old_one_for_the_grace(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    hook = create(client, tenant)
    url = f"/v1/webhooks/{hook['id']}/rotate-secret"
    rotated = client.post(url, headers=tenant.headers)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != hook["secret"]
    new, old = body["secrets"]
    assert new["expires_at"] is None
    assert new["hint"] != old["hint"]
    assert old["hint"] == hook["secrets"][0]["hint"]
    expires = datetime.fromisoformat(old["expires_at"])
    assert abs(expires - (container.clock.now() + timedelta(hours=24))) < timedelta(minutes=1)

    # A rotation without grace drops every older secret at once.
    now = client.post(url, headers=tenant.headers, json={"grace_seconds": 0}).json()
    assert len(now["secrets"]) == 1
    too_long = client.post(url, headers=tenant.headers, json={"grace_seconds": 8 * 24 * 3600})
    assert_error(too_long, 422, "validation_error")


FORBIDDEN = [
    "http://127.0.0.1:8080/hooks",
    "http://localhost/hooks",
    "http://10.1.2.3/hooks",
    "http://192.168.0.10/hooks",
    "http://172.16.5.5/hooks",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata: link-local
    "http://0.0.0.0/hooks",
    "http://224.0.0.1/hooks",
    "http://240.0.0.1/hooks",
    "http://100.64.0.1/hooks",  # carrier-grade NAT
    "http://[::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[fc00::1]/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://2130706433/hooks",  # 127.0.0.1 as one number
    "http://0x7f.1/hooks",
]


def test_private_and_special_addresses_are_refused(
    client: TestClient, tenant: Tenant, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.settings, "webhooks_allow_private", False)
    hook = create(client, tenant)
    for url in FORBIDDEN:
        created = client.post("/v1/webhooks", headers=tenant.headers, json={"url": url})
        error = assert_error(created, 422, "webhook_url_forbidden")
        assert "public" in error["message"], url
        assert error["detail"]["reason"], url
        patched = client.patch(
            f"/v1/webhooks/{hook['id']}", headers=tenant.headers, json={"url": url}
        )
        assert_error(patched, 422, "webhook_url_forbidden")
    assert len(client.get("/v1/webhooks", headers=tenant.headers).json()["data"]) == 1


def test_the_setting_lets_webhooks_reach_private_addresses(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    assert container.settings.webhooks_allow_private
    hook = create(client, tenant, url="http://127.0.0.1:8080/hooks")
    assert hook["url"] == "http://127.0.0.1:8080/hooks"


def test_only_http_and_https_urls_with_a_host(client: TestClient, tenant: Tenant) -> None:
    for url in (
        "ftp://93.184.215.14/x",
        "file:///etc/passwd",
        "93.184.215.14/hooks",
        "http:///nohost",
        "https://93.184.215.14:99999/x",
        "https://93.184.215.14/x#frag",
        "http://a b/",
    ):
        response = client.post("/v1/webhooks", headers=tenant.headers, json={"url": url})
        assert_error(response, 422, "invalid_webhook_url")


def test_unknown_deliveries_are_404(client: TestClient, tenant: Tenant) -> None:
    assert_error(
        client.get("/v1/webhook-deliveries/msg_nope", headers=tenant.headers), 404, "not_found"
    )
    assert_error(
        client.post("/v1/webhook-deliveries/msg_nope/replay", headers=tenant.headers),
        404,
        "not_found",
    )
