"""Seed 004, requests as a real client sends them: `null` for an optional field means "not
given" on every Ekopost request (campaign, envelope, content); a wrong type is still 127
with nothing stored."""

from __future__ import annotations

from typing import Any

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
    window_letter,
)


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_create_campaign_with_nulls_is_a_campaign_without_them(
    eko: TestClient, tenant: Tenant
) -> None:
    body = {"name": "Nulls", "output_date": None, "cost_center": None, "signing": None}
    created = eko.post("/ekopost/campaigns", json=body, headers=tenant.headers)
    assert created.status_code == 200, created.text
    got = eko.get(f"/ekopost/campaigns/{created.json()['id']}", headers=tenant.headers).json()
    assert (got["name"], got["cost_center"], got["output_date"]) == ("Nulls", "", None)
    assert got["state"] == "opened"


def test_create_campaign_with_a_wrong_type_is_127_and_stores_nothing(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    refused = eko.post("/ekopost/campaigns", json={"cost_center": 5}, headers=tenant.headers)
    assert_error(refused, 400, "127")
    assert "cost_center" in refused.json()["developer_message"]
    assert _count(container, tables.batches) == 0


def test_envelope_and_content_with_nulls(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    body = {
        "name": None,
        "address": {**POSTAL, "use_coverpage": None},
        "postage": None,
        "plex": None,
        "color": None,
        "pu": None,
        "kb": None,
        "consignor_contact": None,
        "agent": None,
        "unique_id": None,
    }
    created = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes", json=body, headers=tenant.headers
    )
    assert created.status_code == 200, created.text
    envelope = created.json()
    assert (envelope["name"], envelope["postage"], envelope["plex"]) == ("", "economy", "simplex")
    assert (envelope["color"], envelope["unique_id"], envelope["agent"]) == (False, None, None)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    content = {
        **content_body(window_letter()),
        "length": None,
        "return_address": None,
        "address": None,
    }
    added = eko.post(f"{base}/content", json=content, headers=tenant.headers)
    assert added.status_code == 200, added.text
    assert (added.json()["type"], added.json()["return_address"]) == ("document", False)


def test_envelope_with_a_wrong_type_is_127_and_stores_nothing(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": POSTAL, "postage": ["rek"]},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "127")
    assert _count(container, tables.mail_pieces) == 0
