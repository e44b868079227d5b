"""Reply mail (seed 004, "Reply mail"): a `replymail` campaign needs the account's contract
(141 otherwise); each envelope needs its reply template, an attachment marked `replymail`
(142 at close otherwise); production prints the template after the letter, marks the
piece for a return envelope in the lot's manifest, and prices and weighs it."""

from __future__ import annotations

import csv

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.domain.geometry import layout_for
from postroom.domain.model import Plex, Postage
from postroom.domain.pricing import PiecePrice, price_piece
from postroom.domain.states import PieceState
from postroom.services import accounts
from postroom.storage import tables
from tests.conftest import MovableClock, Tenant
from tests.integration.dialects.ekopost.helpers import (
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    page_texts,
    produced_lot,
    window_letter,
)
from tests.support.pdfs import make_pdf

App = tuple[Container, TestClient, dict[str, str]]


def _with_reply_mail(container: Container, account_ref: str) -> None:
    """The operator adds reply mail to the account's contract."""
    account = accounts.find_account(uow=container.uow(), ref=account_ref)
    changed = accounts.change_contract(
        uow=container.uow(), account_id=account.id, add=["reply_mail"]
    )
    assert changed.features == ["reply_mail"]


def _template(kind: str = "attachment") -> dict[str, object]:
    return {**content_body(make_pdf(1, label="Reply template"), kind=kind), "replymail": True}


def _price(container: Container, *, reply_envelope: bool = False) -> PiecePrice:
    """What a two-page simplex economy letter to Sweden costs, with or without reply mail."""
    return price_piece(
        container.prices,
        page_count=2,
        plex=Plex.SIMPLEX,
        color=False,
        postage=Postage.ECONOMY,
        paper="80g",
        layout=layout_for("din5008_a"),
        destination="SE",
        home_country="SE",
        reply_envelope=reply_envelope,
    )


def _batches(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.batches)).scalar_one())


def test_a_reply_mail_letter_is_produced_with_its_template_and_a_return_envelope(
    app: App, clock: MovableClock
) -> None:
    container, client, headers = app
    _with_reply_mail(container, "sender")
    campaign_id = create_campaign(client, headers, replymail=True)
    with container.uow() as uow:
        batch = uow.pieces.batch_by_id(campaign_id)
        assert batch is not None and batch.reply_mail
    envelope = create_envelope(client, headers, campaign_id, name="with reply")
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    letter = client.post(f"{base}/content", json=content_body(window_letter(0)), headers=headers)
    assert letter.status_code == 200, letter.text
    assert letter.json()["replymail"] is False
    template = client.post(f"{base}/content", json=_template(), headers=headers)
    assert template.status_code == 200, template.text
    assert (template.json()["type"], template.json()["replymail"]) == ("attachment", True)
    read = client.get(f"{base}/content/{template.json()['id']}", headers=headers)
    assert read.json()["replymail"] is True
    assert client.post(f"{base}/close", headers=headers).status_code == 200
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text

    manifest_path, manifest = produced_lot(container, clock, {envelope["id"]})
    [piece] = manifest["pieces"]
    # The print room's inserter adds a return envelope to this piece.
    assert piece["reply_envelope"] is True
    assert piece["options"]["reply_envelope"] is True
    with (manifest_path.parent / "manifest.csv").open(newline="") as rows:
        [row] = list(csv.DictReader(rows))
    assert row["reply_envelope"] == "1"
    # The letter, then the template.
    assert piece["page_count"] == piece["sheets"] == 2
    texts = page_texts(manifest_path.parent / manifest["print_file"])
    assert len(texts) == 2
    assert "Reply template" not in texts[0]
    assert "Reply template page 1 of 1" in texts[1]
    # Priced with the return envelope's line, weighed with it.
    expected, without = _price(container, reply_envelope=True), _price(container)
    assert ("reply_envelope", container.prices.reply_envelope_surcharge) in [
        (line.code, line.amount_minor) for line in expected.lines
    ]
    assert piece["price_minor"] == expected.amount_minor
    assert piece["weight_g"] == expected.weight_g
    assert expected.weight_g > without.weight_g  # the return envelope's 4.5 g
    assert expected.amount_minor - without.amount_minor >= 500


def test_a_reply_mail_campaign_without_the_contract_is_141_and_not_stored(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    before = _batches(container)
    refused = eko.post(
        "/ekopost/campaigns", json={"name": "R", "replymail": True}, headers=tenant.headers
    )
    assert_error(refused, 400, "141")
    assert refused.json()["error_message"] == "Invalid contract"
    assert "reply_mail" in refused.json()["developer_message"]
    assert _batches(container) == before
    # Without replymail the same account creates campaigns as before.
    assert create_campaign(eko, tenant.headers)


def test_closing_a_reply_mail_envelope_without_its_template_is_142(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    _with_reply_mail(container, tenant.account_id)
    campaign_id = create_campaign(eko, tenant.headers, replymail=True)
    envelope = create_envelope(eko, tenant.headers, campaign_id)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    plain = content_body(make_pdf(1, label="Terms"), kind="attachment")
    for body in (content_body(window_letter(0)), plain):
        assert eko.post(f"{base}/content", json=body, headers=tenant.headers).status_code == 200
    refused = eko.post(f"{base}/close", headers=tenant.headers)
    assert_error(refused, 400, "142")
    assert refused.json()["error_message"] == "Reply mail template missing"
    assert eko.get(base, headers=tenant.headers).json()["state"] == "opened"
    # The campaign cannot close either (102: its envelope is still opened).
    assert_error(
        eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers), 400, "102"
    )
    # With the template it closes.
    assert eko.post(f"{base}/content", json=_template(), headers=tenant.headers).status_code == 200
    closed = eko.post(f"{base}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text


def test_a_reply_template_where_none_belongs_is_127_and_not_stored(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    _with_reply_mail(container, tenant.account_id)
    plain_campaign = create_campaign(eko, tenant.headers)
    envelope = create_envelope(eko, tenant.headers, plain_campaign)
    base = f"/ekopost/campaigns/{plain_campaign}/envelopes/{envelope['id']}"
    with container.engine.connect() as conn:
        documents = conn.execute(select(func.count()).select_from(tables.documents)).scalar_one()
    # In a campaign that is not reply mail.
    assert_error(eko.post(f"{base}/content", json=_template(), headers=tenant.headers), 400, "127")
    # As the main document of a reply mail envelope.
    reply_campaign = create_campaign(eko, tenant.headers, replymail=True)
    other = create_envelope(eko, tenant.headers, reply_campaign)
    other_base = f"/ekopost/campaigns/{reply_campaign}/envelopes/{other['id']}"
    main = eko.post(f"{other_base}/content", json=_template("document"), headers=tenant.headers)
    assert_error(main, 400, "127")
    with container.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(tables.documents)).scalar_one()
    assert after == documents


def test_the_campaigns_close_checks_its_closed_envelopes_for_their_template_too(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    """An envelope closed by another way in than the envelope's close (the core's own
    transition here) still stops its reply mail campaign: 142, nothing charged."""
    _with_reply_mail(container, tenant.account_id)
    campaign_id = create_campaign(eko, tenant.headers, replymail=True)
    envelope = create_envelope(eko, tenant.headers, campaign_id)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    letter = content_body(window_letter(0))
    assert eko.post(f"{base}/content", json=letter, headers=tenant.headers).status_code == 200
    with container.uow() as uow:
        piece = uow.pieces.get(tenant.account_id, envelope["id"])
        assert piece is not None
        piece.move_to(PieceState.CLOSED, container.clock.now())
        uow.commit()
    refused = eko.post(f"/ekopost/campaigns/{campaign_id}/close", headers=tenant.headers)
    assert_error(refused, 400, "142")
    assert (
        eko.get(f"/ekopost/campaigns/{campaign_id}", headers=tenant.headers).json()["state"]
        == "opened"
    )
    with container.uow() as uow:
        piece = uow.pieces.get(tenant.account_id, envelope["id"])
        assert piece is not None and piece.price_minor == 0
