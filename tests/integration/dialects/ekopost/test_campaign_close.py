"""Closing an Ekopost campaign that holds envelopes: the core's order service prices, charges
and schedules them (closed), and a campaign the account cannot pay for is 113 and stays
opened."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.services import accounts
from postroom.storage import tables
from tests.conftest import Tenant, wait_for
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    assert_error,
    create_campaign,
    ready_envelope,
)


def _campaign_with_a_letter(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/ekopost/campaigns",
        json={"name": "Reminders", "cost_center": "K1"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    campaign_id = str(response.json()["id"])
    ready_envelope(client, tenant.headers, campaign_id)
    return campaign_id


def test_closing_a_campaign_closes_the_batch(client: TestClient, tenant: Tenant) -> None:
    campaign_id = _campaign_with_a_letter(client, tenant)
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["state"] == "closed"
    assert body["envelope_count"] == 1
    assert body["cost_center"] == "K1"
    assert body["output_date"] is not None
    again = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert_error(again, 400, "127")
    assert client.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json() == body


def test_a_campaign_over_the_credit_is_113_and_stays_opened(
    client: TestClient, container: Container
) -> None:
    account = accounts.create_account(
        uow=container.uow(), clock=container.clock, name="poor", credit_minor=0
    )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id
    )
    poor = Tenant(account.id, key, "", "")
    campaign_id = _campaign_with_a_letter(client, poor)
    refused = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=poor.headers)
    assert_error(refused, 400, "113")
    after = client.get(f"/ekopost/campaigns/{campaign_id}", headers=poor.headers).json()
    assert after["state"] == "opened"
    assert after["envelope_count"] == 1
    envelopes = client.get(f"/ekopost/campaigns/{campaign_id}/envelopes", headers=poor.headers)
    assert [e["state"] for e in envelopes.json()] == ["closed"]


def _piece_states(container: Container, campaign_id: str) -> list[str]:
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.c.state).where(t.c.batch_id == campaign_id)).scalars()
        return [str(getattr(s, "value", s)) for s in rows]


def test_cancelling_an_opened_campaign_cancels_its_envelopes(
    client: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    campaign_id = _campaign_with_a_letter(client, tenant)
    foreign = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=other_tenant.headers)
    assert_error(foreign, 404, "106")
    assert _piece_states(container, campaign_id) == ["closed"]
    cancelled = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert _piece_states(container, campaign_id) == ["cancelled"]
    again = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=tenant.headers)
    assert_error(again, 400, "127")
    close = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert_error(close, 400, "127")


def test_cancelling_a_closed_campaign_cancels_its_waiting_envelopes(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = _campaign_with_a_letter(client, tenant)
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert closed.json()["state"] == "closed"
    assert _piece_states(container, campaign_id) == ["accepted"]
    cancelled = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert _piece_states(container, campaign_id) == ["cancelled"]


def test_cancelling_an_empty_campaign(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/ekopost/campaigns", json={"name": "E"}, headers=tenant.headers)
    campaign_id = created.json()["id"]
    cancelled = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["envelope_count"] == 0


def test_a_campaign_in_production_is_not_cancelled(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = _campaign_with_a_letter(client, tenant)
    # Closed the native way with a service that produces at once, so its lot is written.
    closed = client.post(
        f"/v1/batches/{campaign_id}/close",
        json={"service": "letter_immediate"},
        headers=tenant.headers,
    )
    assert closed.status_code == 200, closed.text
    wait_for(lambda: _piece_states(container, campaign_id) == ["transferred"], timeout=60)
    refused = client.post(f"/ekopost/campaigns/{campaign_id}/cancel", headers=tenant.headers)
    assert_error(refused, 400, "127")
    assert "transferred" in refused.json()["developer_message"]
    assert _piece_states(container, campaign_id) == ["transferred"]
    after = client.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()
    # The batch followed its only piece into production.
    assert after["state"] == "transferred"
    assert after["state_changed_at"] >= after["created_at"]


def test_each_envelope_is_produced_with_its_own_postage_plex_and_color(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(client, tenant.headers)
    plain = ready_envelope(client, tenant.headers, campaign_id, 0, address=POSTAL)
    fancy = ready_envelope(
        client,
        tenant.headers,
        campaign_id,
        1,
        address=POSTAL,
        postage="rek",
        plex="duplex",
        color=True,
    )
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    base = f"/ekopost/campaigns/{campaign_id}/envelopes"
    got = {e["id"]: e for e in client.get(base, headers=tenant.headers).json()}
    assert (got[plain]["postage"], got[plain]["plex"], got[plain]["color"]) == (
        "economy",
        "simplex",
        False,
    )
    assert (got[fancy]["postage"], got[fancy]["plex"], got[fancy]["color"]) == (
        "rek",
        "duplex",
        True,
    )
    # A registered envelope has its S10 number for tracking (seed: parcelNo, trackingState
    # and trackingUrl); the plain one has none.
    tracking = got[fancy]["tracking"]
    assert set(tracking) == {"parcelNo", "trackingState", "trackingUrl"}
    assert tracking["parcelNo"].startswith("RR")
    assert tracking["trackingState"] == got[fancy]["state"]
    assert tracking["trackingUrl"] == (
        "https://www.postnord.se/vara-verktyg/spara-brev-paket-och-pall?shipmentId="
        + tracking["parcelNo"]
    )
    single = client.get(f"{base}/{fancy}", headers=tenant.headers).json()
    assert single["tracking"] == tracking
    assert got[plain]["tracking"] is None
    prices = _prices(container, campaign_id)
    assert prices[fancy] > prices[plain]


def _prices(container: Container, campaign_id: str) -> dict[str, int]:
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.price_minor).where(t.c.batch_id == campaign_id))
        return {str(r.id): int(r.price_minor) for r in rows}
