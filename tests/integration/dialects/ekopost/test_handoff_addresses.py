"""Envelopes with the address objects that leave through the hand-off channel (einvoice,
ebank, einbox_signer, einvoice_mastercard): accepted with the seed's fields, kept as sent
and shown back; refused with the seed's code and words when a value is wrong, storing
nothing. `lookup` is refused: Postroom has no Navet connection."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.dialects.ekopost.mapping import ERROR_MESSAGES, EkopostCode
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.handoff_cases import (
    ADDRESSES,
    EBANK,
    EINVOICE,
    FUI,
    MASTERCARD,
    SIGNER,
    register_fui,
)
from tests.integration.dialects.ekopost.helpers import (
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
)
from tests.support.pdfs import make_pdf


def _pieces(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.mail_pieces)).scalar_one())


@pytest.mark.parametrize("kind", list(ADDRESSES))
def test_a_handoff_address_is_kept_as_sent_and_shown_back(
    eko: TestClient, container: Container, tenant: Tenant, kind: str
) -> None:
    headers = tenant.headers
    register_fui(eko, headers, ["FMI-99887766"])
    campaign_id = create_campaign(eko, headers)
    address = ADDRESSES[kind]
    created = create_envelope(
        eko, headers, campaign_id, name=kind, address=address, unique_id=f"u-{kind}"
    )
    assert created["address"] == address
    assert created["state"] == "opened" and created["warning"] is None
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{created['id']}"
    # No postal address anywhere: the document's window is not read (no 105).
    added = eko.post(f"{base}/content", json=content_body(make_pdf(1)), headers=headers)
    assert added.status_code == 200, added.text
    assert eko.post(f"{base}/close", headers=headers).json()["state"] == "closed"
    shown = eko.get(base, headers=headers).json()
    assert shown["address"] == address and shown["unique_id"] == f"u-{kind}"
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        delivery = conn.execute(select(t.c.delivery).where(t.c.id == created["id"])).scalar_one()
    facts = delivery["handoff"]
    assert facts["address"] == address
    assert facts["references"] == {
        "unique_id": f"u-{kind}",
        "campaign_id": campaign_id,
        "name": kind,
    }
    assert len(facts["report_token"]) >= 32
    if kind == "ebank":
        assert facts["sender"] == FUI


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    merged = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not ...}


REFUSALS = [
    # 119: no recipient.
    ("einvoice without recipient", _with(EINVOICE, recipient=...), "119"),
    ("ebank without recipient", _with(EBANK, recipient=""), "119"),
    ("mastercard without identifier", _with(MASTERCARD, efaktura_identifier=...), "119"),
    # 122: a document to sign without signers.
    ("signer without signers", _with(SIGNER, signers=...), "122"),
    ("signer with no signer", _with(SIGNER, signers=[]), "122"),
    # 138: the issuer again as a recipient.
    (
        "issuer signs twice",
        _with(SIGNER, signers=[
            {"email": "chef@example.se", "recipient": "811218-9876", "issuer": True},
            {"email": "chef2@example.se", "recipient": "19811218-9876"},
        ]),
        "138",
    ),
    # 139: an identifier failing its check.
    ("GLN check digit", _with(EINVOICE, recipient="7350053850018"), "139"),
    ("organisation number",
     _with(EINVOICE, recipient="556838-4119", recipient_type="SE.REGNO"), "139"),
    ("personal number", _with(EINVOICE, recipient="811218-9877", recipient_type="SE.SSNNO"), "139"),
    ("signer's number",
     _with(SIGNER, signers=[{"email": "a@example.se", "recipient": "811218-9877"}]), "139"),
    ("lookup's number", {"$type": "lookup", "recipient": "811218-9877"}, "139"),
    ("lookup without number", {"$type": "lookup"}, "119"),
    # 120 / 123: a signer's email.
    ("signer without email", _with(SIGNER, signers=[{"recipient": "121212-1212"}]), "120"),
    ("signer's email",
     _with(SIGNER, signers=[{"email": "nope", "recipient": "121212-1212"}]), "123"),
    ("info mail", _with(SIGNER, info_mail="a@b"), "123"),
    # 124 / 125: the e-bank sender.
    ("unknown FUI", _with(EBANK, issuer="7654321"), "124"),
    # 127: Ekopost's value words.
    ("format", _with(EINVOICE, format="pdf"), "127"),
    ("format missing", _with(EINVOICE, format=...), "127"),
    ("identifier type", _with(EINVOICE, recipient_type="DUNS"), "127"),
    ("intermediator", _with(EINVOICE, intermediator="edi"), "127"),
    ("reference type", _with(EBANK, reference_type="kid"), "127"),
    ("giro with a dash", _with(EBANK, giro_number="5678-1234"), "127"),
    ("amount", _with(EBANK, amount="lots"), "127"),
    ("due date", _with(EBANK, due_date="31/12/2026"), "127"),
    ("autogiro", _with(EBANK, autogiro="yes"), "127"),
    ("payment type", _with(MASTERCARD, payment_type="CASH"), "127"),
    ("document type", _with(MASTERCARD, document_type=9), "127"),
    ("brand name", _with(MASTERCARD, brand_name=...), "127"),
    ("shipment id", _with(MASTERCARD, shipment_id="not-a-guid"), "127"),
    (
        "two issuers",
        _with(SIGNER, signers=[
            {"email": "chef@example.se", "recipient": "811218-9876", "issuer": True},
            {"email": "anna@example.se", "recipient": "121212-1212", "issuer": True},
        ]),
        "127",
    ),
    ("lookup", {"$type": "lookup", "recipient": "811218-9876"}, "127"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "address", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_wrong_handoff_address_is_refused_with_the_seeds_code_storing_nothing(
    eko: TestClient, container: Container, tenant: Tenant, why: str, address: Any, code: str
) -> None:
    headers = tenant.headers
    register_fui(eko, headers, ["FMI-99887766"])
    campaign_id = create_campaign(eko, headers)
    before = _pieces(container)
    answer = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes", json={"address": address}, headers=headers
    )
    assert_error(answer, 400, code)
    assert answer.json()["error_message"] == ERROR_MESSAGES[EkopostCode(code)]
    assert answer.json()["developer_message"]
    assert _pieces(container) == before
    listed = eko.get(f"/ekopost/campaigns/{campaign_id}/envelopes", headers=headers).json()
    assert listed == []


def test_a_lookup_address_says_there_is_no_navet_connection(
    eko: TestClient, tenant: Tenant
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    answer = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {"$type": "lookup", "recipient": "811218-9876"}},
        headers=tenant.headers,
    )
    assert_error(answer, 400, "127")
    assert "Navet" in answer.json()["developer_message"]


def test_an_ebank_envelope_needs_a_registered_fui_with_receivers(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    headers = tenant.headers
    campaign_id = create_campaign(eko, headers)
    url = f"/ekopost/campaigns/{campaign_id}/envelopes"
    without_issuer = _with(EBANK, issuer=...)
    # No e-bank sender at all: 124, with the issuer named or not.
    assert_error(eko.post(url, json={"address": EBANK}, headers=headers), 400, "124")
    assert_error(eko.post(url, json={"address": without_issuer}, headers=headers), 400, "124")
    # A sender no customer has asked for yet: 125.
    register_fui(eko, headers, [])
    answer = eko.post(url, json={"address": EBANK}, headers=headers)
    assert_error(answer, 400, "125")
    assert answer.json()["error_message"] == "No applicants registrered for this FUI"
    assert _pieces(container) == 0
    # With a receiver it is taken; without `issuer` the account's first sender is used.
    register_fui(eko, headers, ["FMI-99887766"])
    created = create_envelope(eko, headers, campaign_id, address=without_issuer)
    with container.engine.connect() as conn:
        t = tables.mail_pieces
        delivery = conn.execute(select(t.c.delivery).where(t.c.id == created["id"])).scalar_one()
    assert delivery["handoff"]["sender"] == FUI


def test_another_accounts_fui_is_not_registered(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    register_fui(eko, other_tenant.headers, ["FMI-99887766"])
    campaign_id = create_campaign(eko, tenant.headers)
    answer = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": EBANK},
        headers=tenant.headers,
    )
    assert_error(answer, 400, "124")
