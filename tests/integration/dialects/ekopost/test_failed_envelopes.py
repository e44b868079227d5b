"""Seed 004, "Get failed envelopes": `address_type` takes the seed's own values ("Valid here
are ebank, einbox, einboxKivra and email") and finds the failed envelopes of that address
object's `$type`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import POSTAL, create_campaign, create_envelope

ADDRESSES = {
    "einboxKivra": {"$type": "einbox_kivra", "recipient": "19121212-1212"},
    "einbox": {"$type": "einbox", "recipient": "19800101-0000"},
    "email": {"$type": "email", "email": "anna@example.se"},
    "postal": POSTAL,
}


def _fail(container: Container, account_id: str, piece_id: str) -> None:
    """The envelope fails as a channel fails a piece (the domain's own transition)."""
    with container.uow() as uow:
        piece = uow.pieces.get(account_id, piece_id)
        assert piece is not None
        piece.fail("undeliverable", "the recipient could not be reached", container.clock.now())
        uow.commit()


def test_failed_envelopes_by_the_seeds_address_type_values(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    ids = {}
    for word, address in ADDRESSES.items():
        envelope = create_envelope(eko, tenant.headers, campaign_id, name=word, address=address)
        ids[word] = envelope["id"]
        _fail(container, tenant.account_id, envelope["id"])
    create_envelope(eko, tenant.headers, campaign_id, name="still opened", address=POSTAL)
    path = f"/ekopost/campaigns/{campaign_id}/envelopes/failed"

    for word in ("einboxKivra", "einbox", "email"):
        found = eko.get(path, params={"address_type": word}, headers=tenant.headers)
        assert found.status_code == 200, found.text
        assert [e["id"] for e in found.json()] == [ids[word]], word
        assert found.json()[0]["state"] == "failed"
        assert found.json()[0]["failed_reason"] == "the recipient could not be reached"
    kivra = eko.get(path, params={"address_type": "einboxKivra"}, headers=tenant.headers).json()
    assert kivra[0]["address"]["$type"] == "einbox_kivra"
    assert eko.get(path, params={"address_type": "ebank"}, headers=tenant.headers).json() == []
    everything = eko.get(path, headers=tenant.headers).json()
    assert {e["id"] for e in everything} == set(ids.values())
