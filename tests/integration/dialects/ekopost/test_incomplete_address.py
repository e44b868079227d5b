"""Seed 004, envelope `warning`: "If address is of type postal and the postal address not is
complete an extra cost is added." An envelope whose postal address lacks some of name,
street, postal_code and city is accepted with that warning; its recipient is completed from
the document's window and the extra cost is charged at the campaign's close."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.domain.pricing import DEFAULT_PRICE_TABLE
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import (
    FORM_A_SE,
    POSTAL,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.support.pdfs import make_pdf

WARNING = (
    "The postal address is not complete: it is completed from the document and an extra "
    "cost is added."
)
INCOMPLETE = {"$type": "postal", "name": ["Anna Svensson"], "city": "Stockholm", "country": "SE"}


def _prices(container: Container, campaign_id: str) -> dict[str, int]:
    t = tables.mail_pieces
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.price_minor).where(t.c.batch_id == campaign_id))
        return {str(r.id): int(r.price_minor) for r in rows}


def _balance(client: TestClient, tenant: Tenant) -> int:
    return int(client.get("/v1/account", headers=tenant.headers).json()["credit_minor"])


def test_an_incomplete_postal_address_is_accepted_with_a_warning_and_charged(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes"
    ids = {}
    for name, address in (("complete", POSTAL), ("incomplete", INCOMPLETE)):
        envelope = create_envelope(eko, tenant.headers, campaign_id, name=name, address=address)
        ids[name] = envelope["id"]
        added = eko.post(
            f"{base}/{envelope['id']}/content",
            json=content_body(window_letter(0)),
            headers=tenant.headers,
        )
        assert added.status_code == 200, added.text
        closed = eko.post(f"{base}/{envelope['id']}/close", headers=tenant.headers)
        assert closed.status_code == 200, closed.text
    incomplete = eko.get(f"{base}/{ids['incomplete']}", headers=tenant.headers).json()
    assert incomplete["warning"] == WARNING
    # Completed from the document's window.
    assert incomplete["address"]["$type"] == "postal"
    assert incomplete["address"]["postal_code"] == FORM_A_SE[0].expected.postal_code
    complete = eko.get(f"{base}/{ids['complete']}", headers=tenant.headers).json()
    assert complete["warning"] is None

    before = _balance(eko, tenant)
    closed = eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    prices = _prices(container, campaign_id)
    extra = DEFAULT_PRICE_TABLE.address_completion_surcharge
    assert prices[ids["incomplete"]] == prices[ids["complete"]] + extra
    assert before - _balance(eko, tenant) == sum(prices.values())
    after = eko.get(f"{base}/{ids['incomplete']}", headers=tenant.headers).json()
    assert (after["state"], after["warning"]) == ("closed", WARNING)


def test_an_incomplete_address_with_no_address_in_the_document_is_105(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=INCOMPLETE)
    assert envelope["warning"] == WARNING
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    refused = eko.post(f"{base}/content", json=content_body(make_pdf(1)), headers=tenant.headers)
    assert_error(refused, 400, "105")
    with container.engine.connect() as conn:
        documents = conn.execute(select(tables.documents.c.id)).all()
    assert documents == []


def test_an_incomplete_address_with_an_unknown_country_is_still_112(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {**INCOMPLETE, "country": "Atlantis"}},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "112")
