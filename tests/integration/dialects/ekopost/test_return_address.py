"""Seed 004, "Create content" with a return address: `return_address` and the return
`address` object read back as sent, from the create and from "Get content", for the
document and each attachment on its own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.support.pdfs import make_pdf

RETURN_TO = {
    "$type": "postal",
    "name": ["Kommunen AB"],
    "street": ["Box 100"],
    "postal_code": "111 11",
    "city": "Stockholm",
    "country": "SE",
}


def test_return_address_and_its_address_read_back_as_sent(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    document = {**content_body(window_letter()), "return_address": True, "address": RETURN_TO}
    created = eko.post(f"{base}/content", json=document, headers=tenant.headers)
    assert created.status_code == 200, created.text
    assert (created.json()["return_address"], created.json()["address"]) == (True, RETURN_TO)
    annex = eko.post(
        f"{base}/content",
        json={**content_body(make_pdf(1), kind="attachment"), "return_address": "false"},
        headers=tenant.headers,
    )
    assert annex.status_code == 200, annex.text

    got = eko.get(f"{base}/content/{created.json()['id']}", headers=tenant.headers)
    assert got.status_code == 200, got.text
    assert got.json() == created.json()
    got_annex = eko.get(f"{base}/content/{annex.json()['id']}", headers=tenant.headers).json()
    assert (got_annex["return_address"], got_annex["address"]) == (False, None)
    assert got_annex == annex.json()


def test_a_return_address_that_is_not_postal_is_127_and_stores_nothing(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    body = {
        **content_body(window_letter()),
        "return_address": True,
        "address": {"$type": "email", "email": "back@example.se"},
    }
    assert_error(eko.post(f"{base}/content", json=body, headers=tenant.headers), 400, "127")
    with container.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(tables.documents)).scalar_one()
    assert count == 0
