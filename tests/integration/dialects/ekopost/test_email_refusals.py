"""Email address objects Ekopost refuses (120, 123, 127), storing nothing, and an
attachment to an email envelope (127: the email channel sends one PDF)."""

from __future__ import annotations

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
)
from tests.support.pdfs import make_pdf

ADDRESS = {"$type": "email", "subject": "Invoice 42", "email": "Anna.Svensson@Example.SE"}


def _stored_pieces(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.mail_pieces)).scalar_one())


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ({"$type": "email", "subject": "no address"}, "120"),
        ({"$type": "email", "email": "  "}, "120"),
        ({"$type": "email", "email": "anna svensson@example.se"}, "123"),
        ({"$type": "email", "email": "anna@example"}, "123"),
        ({"$type": "email", "email": "anna@example.se", "subject": "two\nlines"}, "127"),
        ({"$type": "email", "email": "anna@example.se", "subject": "s" * 201}, "127"),
        ({"$type": "email", "email": "anna@example.se", "subject": "a\u0000b"}, "127"),
        ({"$type": "email", "email": ["anna@example.se"]}, "127"),
    ],
    ids=[
        "no-email",
        "blank-email",
        "space",
        "no-domain",
        "subject-two-lines",
        "subject-long",
        "subject-nul",
        "email-not-a-string",
    ],
)
def test_an_email_address_object_that_is_refused_stores_nothing(
    eko: TestClient, container: Container, tenant: Tenant, address: dict[str, Any], code: str
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    refused = eko.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": address},
        headers=tenant.headers,
    )
    assert_error(refused, 400, code)
    assert _stored_pieces(container) == 0


def test_an_email_envelope_takes_no_attachment(
    eko: TestClient, container: Container, tenant: Tenant
) -> None:
    headers = tenant.headers
    campaign_id = create_campaign(eko, headers)
    envelope = create_envelope(eko, headers, campaign_id, address=ADDRESS)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    assert eko.post(f"{base}/content", json=content_body(make_pdf(1)), headers=headers).is_success
    refused = eko.post(
        f"{base}/content", json=content_body(make_pdf(1), kind="attachment"), headers=headers
    )
    assert_error(refused, 400, "127")
    with container.engine.connect() as conn:
        documents = conn.execute(select(func.count()).select_from(tables.documents)).scalar_one()
    assert documents == 1
