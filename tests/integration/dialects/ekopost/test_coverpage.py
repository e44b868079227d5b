"""`use_coverpage` on a postal address: the envelope is printed with an address page of its
own in front of its document (whose window need not hold the address), counted as a sheet
in the lot, the envelope's price and its weight."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.domain.geometry import LAYOUTS
from postroom.domain.pricing import price_piece
from postroom.services.catalog import layout_for_envelope
from tests.conftest import MovableClock
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    assert_error,
    content_body,
    create_campaign,
    create_envelope,
    page_texts,
    produced_lot,
    window_letter,
)
from tests.support.pdfs import make_pdf

SHEET_SIMPLEX = 150  # the default price table's print price of a simplex sheet


def _ready(
    client: TestClient, headers: dict[str, str], campaign_id: str, pdf: bytes, **fields: Any
) -> dict[str, Any]:
    envelope = create_envelope(client, headers, campaign_id, **fields)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    added = client.post(f"{base}/content", json=content_body(pdf), headers=headers)
    assert added.status_code == 200, added.text
    closed = client.post(f"{base}/close", headers=headers)
    assert closed.status_code == 200, closed.text
    return dict(closed.json())


def test_use_coverpage_puts_an_address_page_in_front_of_the_document(
    app: tuple[Container, TestClient, dict[str, str]], clock: MovableClock
) -> None:
    container, client, headers = app
    campaign_id = create_campaign(client, headers)
    # The document holds no address at all: the cover page carries it.
    covered = _ready(
        client,
        headers,
        campaign_id,
        make_pdf(1, label="Covered letter"),
        name="covered",
        address={**POSTAL, "use_coverpage": True},
    )
    assert covered["address"]["use_coverpage"] is True
    plain = _ready(client, headers, campaign_id, window_letter(0), name="plain")
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text

    wanted = {covered["id"], plain["id"]}
    manifest_path, manifest = produced_lot(container, clock, wanted)
    pieces = {p["piece_id"]: p for p in manifest["pieces"]}

    cover = pieces[covered["id"]]
    assert cover["address_page"] is True
    assert cover["page_count"] == 2  # the address page and the one-page document
    assert cover["sheets"] == 2
    assert pieces[plain["id"]]["address_page"] is False
    assert pieces[plain["id"]]["page_count"] == 1
    assert manifest["page_count"] == 3
    # Priced with the extra sheet, as composed.
    assert cover["price_minor"] - pieces[plain["id"]]["price_minor"] == SHEET_SIMPLEX

    texts = page_texts(manifest_path.parent / manifest["print_file"])
    assert len(texts) == 3
    first, last = cover["pages"]["first"], cover["pages"]["last"]
    address_page, letter = texts[first - 1], texts[last - 1]
    for line in ("Anna Svensson", "Storgatan 1", "111 22", "Stockholm"):
        assert line in address_page
    assert "Covered letter page 1 of 1" in letter
    assert "Covered letter" not in address_page


def test_use_coverpage_that_is_not_a_boolean_is_127(
    app: tuple[Container, TestClient, dict[str, str]],
) -> None:
    _, client, headers = app
    campaign_id = create_campaign(client, headers)
    refused = client.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes",
        json={"address": {**POSTAL, "use_coverpage": "yes"}},
        headers=headers,
    )
    assert_error(refused, 400, "127")
    assert (
        client.get(f"/ekopost/campaigns/{campaign_id}", headers=headers).json()["envelope_count"]
        == 0
    )


def test_an_envelope_with_an_attachment_prints_its_document_then_the_attachment(
    app: tuple[Container, TestClient, dict[str, str]], clock: MovableClock
) -> None:
    container, client, headers = app
    campaign_id = create_campaign(client, headers)
    envelope = create_envelope(client, headers, campaign_id, name="with terms")
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    for pdf, kind in (
        (window_letter(0, pages=2), "document"),
        (make_pdf(1, label="Terms"), "attachment"),
    ):
        added = client.post(f"{base}/content", json=content_body(pdf, kind=kind), headers=headers)
        assert added.status_code == 200, added.text
    assert client.post(f"{base}/close", headers=headers).status_code == 200
    closed = client.post(f"/ekopost/campaigns/{campaign_id}/close", headers=headers)
    assert closed.status_code == 200, closed.text

    manifest_path, manifest = produced_lot(container, clock, {envelope["id"]})
    [piece] = manifest["pieces"]
    assert piece["page_count"] == manifest["page_count"] == 3  # 2 + the attachment's 1
    texts = page_texts(manifest_path.parent / manifest["print_file"])
    assert "Anna Svensson" in texts[0]  # the document's two pages, then the attachment
    assert "Terms" not in texts[0] + texts[1] and texts[1].strip()
    assert texts[2].strip() == "Terms page 1 of 1"

    # Priced and weighed on those three pages (MailPiece.page_count: the document's and the
    # attachment's), as the lot holds them; its own pages are its document's two.
    letter = client.get(f"/v1/letters/{envelope['id']}", headers=headers).json()
    assert letter["page_count"] == 3 and letter["sheets"] == piece["sheets"] == 3
    assert letter["price"]["amount_minor"] == piece["price_minor"]
    assert letter["weight_g"] == piece["weight_g"]
    with container.uow() as uow:
        stored = uow.pieces.get_by_id(envelope["id"])
        assert stored is not None and stored.service_id is not None
        service = uow.catalog.service(stored.service_id)
        assert service is not None
    assert (stored.first_page, stored.own_pages, stored.last_page) == (1, 2, 2)
    options = stored.options
    expected = price_piece(
        container.prices, page_count=3, plex=options.plex, color=options.color,
        postage=options.postage, paper=options.paper,
        layout=layout_for_envelope(LAYOUTS[service.layout], piece["options"]["envelope"]),
        destination="SE", home_country="SE",
    )  # fmt: skip
    assert (expected.amount_minor, expected.sheets, expected.weight_g) == (
        piece["price_minor"], 3, piece["weight_g"],
    )  # fmt: skip
    print_line = next(line for line in expected.lines if line.code == "print")
    assert print_line.amount_minor == 3 * SHEET_SIMPLEX
