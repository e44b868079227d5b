"""Registered mail's address limits hold for every way in: the same letter refused through
/v1 (native error form) and through /ekopost (Ekopost's 135), stored nowhere; the same
address within the limits accepted by both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.dialects.ekopost.helpers import assert_error as assert_ekopost_error
from tests.integration.dialects.ekopost.helpers import create_campaign
from tests.support.pdfs import make_pdf

WITHIN = {
    "name": ["A" * 35],
    "street": ["Storgatan 1"],
    "postal_code": "111 22",
    "city": "Stockholm",
    "country": "SE",
}
# (what breaks the limits, the core's code); Ekopost answers 135 for each.
BROKEN = [
    ({**WITHIN, "name": ["A" * 36]}, "registered_line_too_long"),
    ({**WITHIN, "street": ["S" * 36]}, "registered_line_too_long"),
    # Valid postal codes of their countries (a Swedish one of four digits would be refused
    # invalid_address first), but not the five digits registered mail needs.
    ({**WITHIN, "postal_code": "0150", "city": "Oslo", "country": "NO"}, "registered_postal_code"),
    (
        {**WITHIN, "postal_code": "SW1A 1AA", "city": "London", "country": "GB"},
        "registered_postal_code",
    ),
]


@pytest.fixture
def app_client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container, run_worker=False)) as test_client:
        yield test_client


def _pieces(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.mail_pieces)).scalar_one())


def _native(address: dict[str, Any]) -> dict[str, Any]:
    return {
        "name_lines": address["name"],
        "street_lines": address["street"],
        "postal_code": address["postal_code"],
        "city": address["city"],
        "country": address["country"],
    }


def _send_v1(client: TestClient, tenant: Tenant, address: dict[str, Any], postage: str) -> Any:
    form = {
        "recipient": json.dumps(_native(address)),
        "options": json.dumps({"postage": postage}),
    }
    files = {"file": ("letter.pdf", make_pdf(1), "application/pdf")}
    return client.post("/v1/letters", headers=tenant.headers, data=form, files=files)


def _send_ekopost(
    client: TestClient, tenant: Tenant, campaign_id: str, address: dict[str, Any], postage: str
) -> Any:
    return client.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {"$type": "postal", **address}, "postage": postage},
        headers=tenant.headers,
    )


@pytest.mark.parametrize(("address", "code"), BROKEN, ids=["name", "street", "short", "uk"])
def test_a_registered_letter_breaking_the_limits_is_refused_by_both_ways_in(
    app_client: TestClient,
    container: Container,
    tenant: Tenant,
    address: dict[str, Any],
    code: str,
) -> None:
    campaign_id = create_campaign(app_client, tenant.headers)
    native = assert_error(_send_v1(app_client, tenant, address, "registered"), 422, code)
    assert "registered" in native["message"]
    refused = _send_ekopost(app_client, tenant, campaign_id, address, "rek")
    assert_ekopost_error(refused, 400, "135")
    assert refused.json()["developer_message"] == native["message"]
    assert _pieces(container) == 0


def test_the_same_address_within_the_limits_is_taken_by_both_ways_in(
    app_client: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(app_client, tenant.headers)
    letter = _send_v1(app_client, tenant, WITHIN, "registered")
    assert letter.status_code == 201, letter.text
    assert letter.json()["options"]["postage"] == "registered"
    envelope = _send_ekopost(app_client, tenant, campaign_id, WITHIN, "rek")
    assert envelope.status_code == 200, envelope.text
    assert envelope.json()["postage"] == "rek"
    assert _pieces(container) == 2


def test_the_limits_are_registered_mails_only(
    app_client: TestClient, container: Container, tenant: Tenant
) -> None:
    address, _ = BROKEN[0]
    campaign_id = create_campaign(app_client, tenant.headers)
    assert _send_v1(app_client, tenant, address, "economy").status_code == 201
    assert _send_ekopost(app_client, tenant, campaign_id, address, "economy").status_code == 200
    assert _pieces(container) == 2
