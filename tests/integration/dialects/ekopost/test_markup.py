"""Seed 004, content `type` "markup" ("The object intance represents a xml markup"): an XML
markup kept with the envelope (`mime` application/xml, 109 otherwise; one per envelope,
110; well formed, 127), returned by GET content and never printed; an envelope of a campaign
created with `markup: true` closes only with one (100B)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import (
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)

MARKUP = b'<?xml version="1.0" encoding="UTF-8"?><invoice no="17"><total>100.00</total></invoice>'


def _markup(data: bytes = MARKUP, mime: str = "application/xml") -> dict[str, Any]:
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "mime": mime,
        "length": len(data),
        "type": "markup",
    }


def _documents(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.documents)).scalar_one())


def _envelope(eko: TestClient, tenant: Tenant, **campaign: Any) -> str:
    campaign_id = create_campaign(eko, tenant.headers, **campaign)
    envelope = create_envelope(eko, tenant.headers, campaign_id)
    return f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"


def test_a_markup_is_kept_returned_and_not_printed(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    base = _envelope(eko, tenant)
    document = eko.post(
        f"{base}/content", json=content_body(window_letter(0)), headers=tenant.headers
    )
    assert document.status_code == 200, document.text
    added = eko.post(f"{base}/content", json=_markup(), headers=tenant.headers)
    assert added.status_code == 200, added.text
    body = added.json()
    assert (body["type"], body["mime"], body["length"]) == (
        "markup",
        "application/xml",
        len(MARKUP),
    )
    assert eko.get(f"{base}/content/{body['id']}", headers=tenant.headers).json() == body
    with container.uow() as uow:
        piece = uow.pieces.get(tenant.account_id, base.rsplit("/", 1)[1])
        assert piece is not None
        assert piece.markup_id == body["id"]
        assert piece.annexes == []  # not among what is printed
        assert piece.page_count == 1  # the letter's page alone
        stored = uow.pieces.document(tenant.account_id, body["id"])
        assert stored is not None
        assert container.blobs.path(stored.blob_sha256).read_bytes() == MARKUP
    assert eko.post(f"{base}/close", headers=tenant.headers).status_code == 200


@pytest.mark.parametrize(
    "body, code",
    [
        (_markup(mime="application/pdf"), "109"),
        (_markup(mime="text/xml"), "109"),
        (_markup(b"<invoice><total>1</invoice>"), "127"),
        (_markup(b"not xml at all"), "127"),
        (
            _markup(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'),
            "127",
        ),
        ({**_markup(), "length": len(MARKUP) + 1}, "117"),
        ({**_markup(), "data": ""}, "129"),
    ],
)
def test_a_wrong_markup_is_refused_and_nothing_is_stored(
    eko: TestClient, tenant: Tenant, container: Container, body: dict[str, Any], code: str
) -> None:
    base = _envelope(eko, tenant)
    refused = eko.post(f"{base}/content", json=body, headers=tenant.headers)
    assert_error(refused, 400, code)
    assert _documents(container) == 0


def test_a_second_markup_is_110(eko: TestClient, tenant: Tenant, container: Container) -> None:
    base = _envelope(eko, tenant)
    assert eko.post(f"{base}/content", json=_markup(), headers=tenant.headers).status_code == 200
    second = eko.post(f"{base}/content", json=_markup(), headers=tenant.headers)
    assert_error(second, 400, "110")
    assert second.json()["error_message"] == "An envelope may only contain one (1) markup."
    assert _documents(container) == 1


def test_an_envelope_of_a_markup_campaign_closes_only_with_its_markup(
    eko: TestClient, tenant: Tenant
) -> None:
    base = _envelope(eko, tenant, markup=True)
    letter = content_body(window_letter(0))
    assert eko.post(f"{base}/content", json=letter, headers=tenant.headers).status_code == 200
    refused = eko.post(f"{base}/close", headers=tenant.headers)
    assert_error(refused, 400, "100B")
    assert refused.json()["error_message"] == (
        "The envelope must contain atleast one (1) markup before being closed."
    )
    assert eko.get(base, headers=tenant.headers).json()["state"] == "opened"
    assert eko.post(f"{base}/content", json=_markup(), headers=tenant.headers).status_code == 200
    closed = eko.post(f"{base}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    # Markup is no document: without the letter it is still 100A.
    bare = _envelope(eko, tenant, markup=True)
    assert eko.post(f"{bare}/content", json=_markup(), headers=tenant.headers).status_code == 200
    assert_error(eko.post(f"{bare}/close", headers=tenant.headers), 400, "100A")
