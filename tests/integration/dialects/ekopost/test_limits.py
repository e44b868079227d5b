"""Ekopost's limits and searches (seed 004, "Error code values"): 121 for a campaign that
takes no more envelopes, 143 for a large document over the account's daily allowance, 114
for a search parameter sent without a value, and `GET .../envelopes/failed/{id}` for one
failed envelope (111 for one that is not failed)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.storage import tables
from tests.conftest import MovableClock, Tenant, clean_container
from tests.integration.dialects.ekopost.helpers import (
    START,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    window_letter,
)
from tests.support.pdfs import make_pdf

MAX_ENVELOPES = 2
LARGE_BYTES = 40_000  # "large" in this module: the test PDFs are padded past it
PER_DAY = 2
MIB_8 = 8 * 1024 * 1024  # the real threshold: "8Mb", read as 8 MiB


@pytest.fixture
def clock(make_clock: Callable[[datetime], MovableClock]) -> MovableClock:
    return make_clock(START)


@pytest.fixture
def container(make_settings: Callable[..., Settings], clock: MovableClock) -> Iterator[Container]:
    """A container whose campaigns hold two envelopes and whose accounts may add two
    documents over 40,000 bytes a day."""
    c = clean_container(
        make_settings(
            max_pieces_per_batch=MAX_ENVELOPES,
            large_document_bytes=LARGE_BYTES,
            large_documents_per_day=PER_DAY,
        ),
        clock=clock,
    )
    yield c
    c.close()


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _padded(pdf: bytes, size: int) -> bytes:
    """The PDF grown to `size` bytes by a comment after its end (readers skip it)."""
    filler = size - len(pdf) - 2
    assert filler >= 0
    return pdf + b"\n%" + b"x" * filler


def test_121_when_the_campaign_holds_its_most_envelopes_or_is_closed(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    for index in range(MAX_ENVELOPES):
        create_envelope(eko, tenant.headers, campaign_id, name=f"E{index}")
    path = f"/ekopost/campaigns/{campaign_id}/envelopes"
    refused = eko.post(path, json={"name": "one too many"}, headers=tenant.headers)
    assert_error(refused, 400, "121")
    assert refused.json()["error_message"] == "Can not create more envelopes in campaign"
    assert _count(container, tables.mail_pieces) == MAX_ENVELOPES
    got = eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()
    assert got["envelope_count"] == MAX_ENVELOPES

    # A cancelled (or closed) campaign takes no envelope either.
    other = create_campaign(eko, tenant.headers)
    assert eko.post(f"/ekopost/campaigns/{other}/cancel", headers=tenant.headers).status_code == 200
    late = eko.post(f"/ekopost/campaigns/{other}/envelopes", json={}, headers=tenant.headers)
    assert_error(late, 400, "121")
    assert _count(container, tables.mail_pieces) == MAX_ENVELOPES


def test_143_past_the_daily_allowance_of_large_documents(
    eko: TestClient, tenant: Tenant, container: Container, clock: MovableClock
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    large = _padded(window_letter(0), LARGE_BYTES + 1)
    bases = []
    for index in range(MAX_ENVELOPES):
        envelope = create_envelope(eko, tenant.headers, campaign_id, name=f"E{index}")
        bases.append(f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}")
    # Two large documents today: the allowance.
    for base in bases:
        added = eko.post(f"{base}/content", json=content_body(large), headers=tenant.headers)
        assert added.status_code == 200, added.text
        assert added.json()["length"] == LARGE_BYTES + 1
    documents = _count(container, tables.documents)
    attachment = _padded(make_pdf(1, label="Terms"), LARGE_BYTES + 1)
    refused = eko.post(
        f"{bases[0]}/content",
        json=content_body(attachment, kind="attachment"),
        headers=tenant.headers,
    )
    assert_error(refused, 400, "143")
    assert refused.json()["error_message"] == "More than 50 documents over 8Mb sent current day"
    assert _count(container, tables.documents) == documents
    # A document at the threshold is not large.
    small = _padded(make_pdf(1, label="Terms"), LARGE_BYTES)
    taken = eko.post(
        f"{bases[0]}/content", json=content_body(small, kind="attachment"), headers=tenant.headers
    )
    assert taken.status_code == 200, taken.text
    # The next (UTC) day the allowance is whole again.
    clock.advance(timedelta(days=1))
    again = eko.post(
        f"{bases[1]}/content",
        json=content_body(attachment, kind="attachment"),
        headers=tenant.headers,
    )
    assert again.status_code == 200, again.text


def test_143_at_the_real_8_mib_threshold(
    make_settings: Callable[..., Settings], clock: MovableClock
) -> None:
    """The default threshold, with an allowance of none: one byte over 8 MiB is 143, a
    document of exactly 8 MiB is taken."""
    from postroom.api.app import create_app
    from postroom.services import accounts

    container = clean_container(make_settings(large_documents_per_day=0), clock=clock)
    try:
        account = accounts.create_account(uow=container.uow(), clock=clock, name="big")
        _, key = accounts.create_api_key(uow=container.uow(), clock=clock, account_id=account.id)
        headers = {"Authorization": f"api-key {key}"}
        with TestClient(create_app(container, run_worker=False)) as client:
            campaign_id = create_campaign(client, headers)
            envelope = create_envelope(client, headers, campaign_id)
            base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
            over = _padded(window_letter(0), MIB_8 + 1)
            refused = client.post(f"{base}/content", json=content_body(over), headers=headers)
            assert_error(refused, 400, "143")
            assert _count(container, tables.documents) == 0
            exact = base64.b64encode(_padded(window_letter(0), MIB_8)).decode("ascii")
            taken = client.post(
                f"{base}/content",
                json={"data": exact, "mime": "application/pdf", "type": "document"},
                headers=headers,
            )
            assert taken.status_code == 200, taken.text
            assert taken.json()["length"] == MIB_8
    finally:
        container.close()


@pytest.mark.parametrize(
    "path, params",
    [
        ("/ekopost/campaigns", {"name": ""}),
        ("/ekopost/campaigns", {"start": " "}),
        ("/ekopost/campaigns/{id}/envelopes", {"state": ""}),
        ("/ekopost/campaigns/{id}/envelopes/failed", {"address_type": ""}),
    ],
)
def test_114_for_a_search_parameter_sent_without_a_value(
    eko: TestClient, tenant: Tenant, path: str, params: dict[str, str]
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    refused = eko.get(path.format(id=campaign_id), params=params, headers=tenant.headers)
    assert_error(refused, 400, "114")
    assert refused.json()["error_message"] == "The searchparams is null."
    assert next(iter(params)) in refused.json()["developer_message"]


def test_get_one_failed_envelope_and_111_for_one_that_is_not_failed(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant, container: Container
) -> None:
    campaign_id = create_campaign(eko, tenant.headers)
    failed = create_envelope(eko, tenant.headers, campaign_id, name="failed one")
    opened = create_envelope(eko, tenant.headers, campaign_id, name="opened one")
    with container.uow() as uow:
        piece = uow.pieces.get(tenant.account_id, failed["id"])
        assert piece is not None
        piece.fail("undeliverable", "the recipient has moved", container.clock.now())
        uow.commit()
    path = f"/ekopost/campaigns/{campaign_id}/envelopes/failed"
    found = eko.get(f"{path}/{failed['id']}", headers=tenant.headers)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["id"], body["name"], body["state"]) == (failed["id"], "failed one", "failed")
    assert body["failed_reason"] == "the recipient has moved"
    assert body["transaction"]["state"] == "failed"
    with_state = eko.get(
        f"{path}/{failed['id']}", params={"state": "failed"}, headers=tenant.headers
    )
    assert with_state.json() == body
    assert_error(
        eko.get(f"{path}/{failed['id']}", params={"state": "posted"}, headers=tenant.headers),
        400,
        "115",
    )
    for envelope_id in (opened["id"], "not-a-guid", "00000000-0000-0000-0000-000000000000"):
        missing = eko.get(f"{path}/{envelope_id}", headers=tenant.headers)
        assert_error(missing, 404, "111")
        assert missing.json()["error_message"] == "Envelope was not found."
    # Another account's failed envelope is not found either (its campaign: 106).
    assert_error(eko.get(f"{path}/{failed['id']}", headers=other_tenant.headers), 404, "106")
