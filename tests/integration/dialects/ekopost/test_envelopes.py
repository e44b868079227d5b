"""Ekopost envelopes and content (seed 004, "Envelope" and "Create content"): created empty,
given a PDF whose window holds the address, closed, listed and cancelled; every refusal is
the seed's error code with nothing stored."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import (
    FORM_A_SE,
    POSTAL,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    ready_envelope,
    window_letter,
)
from tests.support.pdfs import make_pdf


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _stored(container: Container) -> tuple[int, int]:
    return _count(container, tables.mail_pieces), _count(container, tables.documents)


def test_create_envelope_answers_the_envelope_object(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(
        eko,
        tenant.headers,
        campaign_id,
        name="Invoice 17",
        address=POSTAL,
        postage="priority",
        plex="duplex",
        color=True,
        consignor_contact="ops@example.se",
        agent="A1",
        unique_id="inv-17",
    )
    assert envelope["state"] == "opened"
    assert envelope["name"] == "Invoice 17"
    assert envelope["address"]["name"] == ["Anna Svensson"]
    assert (envelope["postage"], envelope["plex"], envelope["color"]) == (
        "priority",
        "duplex",
        True,
    )
    assert envelope["unique_id"] == "inv-17"
    assert envelope["consignor_contact"] == "ops@example.se" and envelope["agent"] == "A1"
    assert envelope["transaction"] == {
        "state": "opened",
        "state_changed_at": envelope["state_changed_at"],
    }
    assert envelope["warning"] is None and envelope["failed_reason"] is None
    got = eko.get(
        f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}", headers=tenant.headers
    )
    assert got.json() == envelope
    campaign = eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()
    assert campaign["envelope_count"] == 1


def test_the_window_gives_the_address_of_an_envelope_without_one(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, name="W", address=None)
    assert envelope["warning"]
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    added = eko.post(f"{base}/content", json=content_body(window_letter()), headers=tenant.headers)
    assert added.status_code == 200, added.text
    content = added.json()
    assert content["type"] == "document" and content["mime"] == "application/pdf"
    assert content["length"] == len(window_letter())
    after = eko.get(base, headers=tenant.headers).json()
    expected = FORM_A_SE[0].expected
    assert after["address"]["$type"] == "postal"
    assert after["address"]["postal_code"] == expected.postal_code
    assert after["address"]["city"] == expected.city
    assert after["warning"] is None
    again = eko.get(f"{base}/content/{content['id']}", headers=tenant.headers)
    assert again.json() == content
    assert_error(eko.get(f"{base}/content/{envelope['id']}", headers=tenant.headers), 404, "137")


def test_an_attachment_follows_the_document(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    doc = eko.post(f"{base}/content", json=content_body(window_letter()), headers=tenant.headers)
    annex = eko.post(
        f"{base}/content", json=content_body(make_pdf(2), kind="attachment"), headers=tenant.headers
    )
    assert doc.status_code == annex.status_code == 200, annex.text
    assert annex.json()["type"] == "attachment"
    got = eko.get(f"{base}/content/{annex.json()['id']}", headers=tenant.headers)
    assert got.json()["type"] == "attachment"


def test_listing_envelopes_by_name_and_state(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    first = ready_envelope(eko, tenant.headers, campaign_id, 0)
    second = create_envelope(eko, tenant.headers, campaign_id, name="Other")["id"]
    path = f"/ekopost/campaigns/{campaign_id}/envelopes"
    listed = eko.get(path, headers=tenant.headers).json()
    assert [e["id"] for e in listed] == [first, second]
    assert [
        e["id"] for e in eko.get(path, params={"name": "Other"}, headers=tenant.headers).json()
    ] == [second]
    closed = eko.get(path, params={"state": "closed"}, headers=tenant.headers).json()
    assert [e["id"] for e in closed] == [first]
    assert_error(eko.get(path, params={"state": "sleeping"}, headers=tenant.headers), 400, "115")
    assert eko.get(f"{path}/failed", headers=tenant.headers).json() == []


def test_cancelling_an_envelope(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    cancelled = eko.post(f"{base}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert_error(eko.post(f"{base}/cancel", headers=tenant.headers), 400, "127")


def test_another_accounts_envelope_is_not_found(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    theirs = create_campaign(eko, other_tenant.headers)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    assert_error(eko.get(base, headers=other_tenant.headers), 404, "106")
    foreign = f"/ekopost/campaigns/{theirs}/envelopes/{envelope['id']}"
    assert_error(eko.get(foreign, headers=other_tenant.headers), 404, "111")
    assert_error(eko.post(f"{foreign}/close", headers=other_tenant.headers), 404, "111")
    assert_error(eko.post(f"{foreign}/cancel", headers=other_tenant.headers), 404, "111")
    assert_error(
        eko.post(
            f"{foreign}/content", json=content_body(window_letter()), headers=other_tenant.headers
        ),
        404,
        "111",
    )
    unknown = f"/ekopost/campaigns/{campaign_id}/envelopes/not-a-guid"
    assert_error(eko.get(unknown, headers=tenant.headers), 404, "111")
    assert eko.get(base, headers=tenant.headers).json()["state"] == "opened"


# --- one test per error code, each leaving nothing stored -----------------------------------


def test_100a_closing_an_envelope_without_a_document(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    assert_error(eko.post(f"{base}/close", headers=tenant.headers), 400, "100A")
    assert eko.get(base, headers=tenant.headers).json()["state"] == "opened"


def test_101_closing_an_empty_campaign(eko: TestClient, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    assert_error(
        eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers), 400, "101"
    )
    assert (
        eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()["state"]
        == "opened"
    )


def test_102_closing_a_campaign_with_an_opened_envelope(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    ready_envelope(eko, tenant.headers, campaign_id, 0)
    create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    charges = _count(container, tables.charges)
    refused = eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert_error(refused, 400, "102")
    campaign = eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()
    assert campaign["state"] == "opened"
    assert _count(container, tables.charges) == charges


def test_103_a_second_document(eko: TestClient, container: Container, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    eko.post(f"{base}/content", json=content_body(window_letter()), headers=tenant.headers)
    before = _stored(container)
    again = eko.post(f"{base}/content", json=content_body(window_letter(1)), headers=tenant.headers)
    assert_error(again, 400, "103")
    assert _stored(container) == before


def test_104_content_that_is_not_a_pdf(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    before = _stored(container)
    word = content_body(b"PK\x03\x04 a docx", mime="application/msword")
    assert_error(eko.post(f"{base}/content", json=word, headers=tenant.headers), 400, "104")
    lying = content_body(b"hello, not a PDF at all")
    assert_error(eko.post(f"{base}/content", json=lying, headers=tenant.headers), 400, "104")
    assert _stored(container) == before


def test_105_no_address_in_the_window(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, name="No address")
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    before = _stored(container)
    blank = eko.post(f"{base}/content", json=content_body(make_pdf(1)), headers=tenant.headers)
    assert_error(blank, 400, "105")
    assert _stored(container) == before
    assert_error(eko.post(f"{base}/close", headers=tenant.headers), 400, "100A")


def test_107_a_pdf_without_pages(eko: TestClient, container: Container, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    before = _stored(container)
    broken = content_body(b"%PDF-1.4\n%broken beyond repair\n")
    assert_error(eko.post(f"{base}/content", json=broken, headers=tenant.headers), 400, "107")
    assert _stored(container) == before


def test_112_a_country_that_is_not_iso(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    before = _stored(container)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"name": "X", "address": {**POSTAL, "country": "XX"}},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "112")
    assert _stored(container) == before
    # A Norwegian address needs a Norwegian postal code (the core checks it: 135 otherwise).
    in_norway = {**POSTAL, "postal_code": "0150", "city": "Oslo", "country": "Norway"}
    named = create_envelope(eko, tenant.headers, campaign_id, address=in_norway)
    assert named["address"]["country"] == "Norway"


def test_126_a_duplicate_unique_id(eko: TestClient, container: Container, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    create_envelope(eko, tenant.headers, campaign_id, address=POSTAL, unique_id="ext-1")
    before = _stored(container)
    other_campaign = create_campaign(eko, tenant.headers)
    again = eko.post(
        f"/ekopost/campaigns/{other_campaign}/envelopes",
        json={"address": POSTAL, "unique_id": "ext-1"},
        headers=tenant.headers,
    )
    assert_error(again, 400, "126")
    assert _stored(container) == before


def test_129_empty_data(eko: TestClient, container: Container, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    before = _stored(container)
    empty = {"data": "", "mime": "application/pdf", "type": "document"}
    assert_error(eko.post(f"{base}/content", json=empty, headers=tenant.headers), 400, "129")
    assert _stored(container) == before


def test_135_rek_address_limits(eko: TestClient, container: Container, tenant: Tenant) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    before = _stored(container)
    long_name = {**POSTAL, "name": ["A" * 36]}
    for address in (long_name, {**POSTAL, "postal_code": "1234"}):
        refused = eko.post(
            f"/ekopost/campaigns/{campaign_id}/envelopes",
            json={"address": address, "postage": "rek"},
            headers=tenant.headers,
        )
        assert_error(refused, 400, "135")
    assert _stored(container) == before
    accepted = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL, postage="rek")
    assert accepted["postage"] == "rek"


def test_127_an_address_type_postroom_does_not_offer(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    before = _stored(container)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {"$type": "fax", "recipient": "123"}},
        headers=tenant.headers,
    )
    assert_error(refused, 400, "127")
    assert_error(
        eko.post(
            f"/ekopost/campaigns/{campaign_id}/envelopes",
            json={"address": {"$type": "protected", "recipient": "19121212-1212"}},
            headers=tenant.headers,
        ),
        400,
        "140",
    )
    assert _stored(container) == before


def test_108_117_118_attachment_mime_and_sizes_that_do_not_match(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, campaign_id, address=POSTAL)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    before = _stored(container)
    png = content_body(b"\x89PNG\r\n", kind="attachment", mime="image/png")
    assert_error(eko.post(f"{base}/content", json=png, headers=tenant.headers), 400, "108")
    document = {**content_body(window_letter()), "length": 12}
    assert_error(eko.post(f"{base}/content", json=document, headers=tenant.headers), 400, "117")
    annex = {**content_body(make_pdf(1), kind="attachment"), "length": 12}
    assert_error(eko.post(f"{base}/content", json=annex, headers=tenant.headers), 400, "118")
    assert _stored(container) == before


def test_127_a_boolean_that_is_neither_true_nor_false(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    # Issue 20: "color": "yes" was kept as true. Real clients send "true"/"false" strings.
    campaign_id = create_campaign(eko, tenant.headers)
    before = _stored(container)
    for wrong in ({"color": "yes"}, {"pu": 1}, {"kb": "on"}):
        refused = eko.post(
            f"/ekopost/campaigns/{campaign_id}/envelopes", json=wrong, headers=tenant.headers
        )
        assert_error(refused, 400, "127")
        assert next(iter(wrong)) in refused.json()["developer_message"]
    assert _stored(container) == before
    as_strings = create_envelope(eko, tenant.headers, campaign_id, color="true", pu="False")
    assert as_strings["color"] is True
    as_null = create_envelope(eko, tenant.headers, campaign_id, color=None)
    assert as_null["color"] is False
