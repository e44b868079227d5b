"""A pack group is priced, weighed and produced on every page it prints: its own pages,
its annex box's file and its service's configured file (MailPiece.page_count, one meaning
for every way in). The price, sheets and weight of the delivered group, the credit it took
and the pages the lot's print file holds for it are all that count.

Only the clock is moved by the test (shared with the worker process on the distributed
backend)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.domain.geometry import layout_for
from postroom.domain.model import Plex, Postage
from postroom.domain.pricing import PiecePrice, price_piece
from postroom.services import catalog
from tests.conftest import MovableClock, tenant_in, wait_for
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    AFTER_CUT_OFF,
    authenticate,
    letter,
    lot_of_piece,
    post_job,
    service_of,
)
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf

OWN, ANNEX, TERMS = 1, 2, 2  # the group's own pages, the annex file's, the configured file's


def _price(container: Container, pages: int) -> PiecePrice:
    """What the price table asks for a letter of `pages` pages of the service's kind, sent
    1SIDE, in black, green postage (economy), in France."""
    return price_piece(
        container.prices, page_count=pages, plex=Plex.SIMPLEX, color=False,
        postage=Postage.ECONOMY, paper="80g", layout=layout_for("din5008_b"),
        destination="FR", home_country="FR",
    )  # fmt: skip


def _texts(pdf: Path, first: int, last: int) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            str(document[i - 1].get_textpage().get_text_range()) for i in range(first, last + 1)
        ]
    finally:
        document.close()


def test_annex_and_configured_pages_are_priced_weighed_and_printed(
    world: tuple[Container, TestClient], clock: MovableClock
) -> None:
    container, client = world
    tenant = tenant_in(
        container, "nirva-annexes", username="annexes", password="annexes-password-123"
    )
    terms, _ = container.blobs.put(io.BytesIO(make_pdf(TERMS, label="CGV")))
    catalog.add_account_service(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id,
        like="nirva_lettre_verte", code="nirva_cgv", name="Lettre verte avec CGV",
        configured=[("CGV", terms, TERMS)],
    )  # fmt: skip
    profile = authenticate(client, tenant)
    headers = {"X-Auth-Token": profile["token"]}
    service = service_of(profile, "nirva_cgv")
    [box] = [b for b in service["properties"]["boxes"] if b["name"] == "CGV"]
    [configured] = box["configuredFiles"]
    assert configured["pageCount"] == TERMS

    created = post_job(
        client, headers,
        {"jobName": "Annexes", "serviceId": service["id"], "autocreateDeliveryCommand": False},
        {"file_mainMAIN_0": letter(ADDRESSES[0], pages=OWN),
         "file_mainANNEX_0": make_pdf(ANNEX, label="ANNEXE")},
        {"serviceFile__file_CGV_0": configured["serviceFileId"]},
    )  # fmt: skip
    assert created.status_code == 200, created.text
    job = created.json()["result"]
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 1}, job
    [group] = client.get(f"/nirva/jobs/{job['jobId']}/packGroups", headers=headers).json()["result"]
    pages = OWN + ANNEX + TERMS
    assert (group["firstPage"], group["lastPage"], group["pageCount"]) == (1, OWN, pages)

    credit = client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    command = client.post(
        "/nirva/deliveries/commands", json={"jobId": job["jobId"]}, headers=headers
    )
    assert command.status_code == 200, command.text

    # Priced for its five pages: five sheets (1SIDE) of print, the weight of five sheets.
    expected, own_only = _price(container, pages), _price(container, OWN)
    assert expected.sheets == pages and expected.amount_minor > own_only.amount_minor
    print_line = next(line for line in expected.lines if line.code == "print")
    assert print_line.amount_minor == pages * container.prices.sheet_simplex
    got = client.get(f"/v1/letters/{group['id']}", headers=tenant.headers).json()
    assert got["page_count"] == pages
    assert (got["sheets"], got["weight_g"]) == (expected.sheets, expected.weight_g)
    assert got["price"]["amount_minor"] == expected.amount_minor
    after = client.get("/v1/account", headers=tenant.headers).json()["credit_minor"]
    assert credit - after == expected.amount_minor

    # The lot prints those five pages for it: its own, the annex's, the configured file's.
    clock.advance(AFTER_CUT_OFF - clock.now())
    output = lots_folder(container.settings)
    folder, placed = wait_for(lambda: _try_lot(output, group["id"]), timeout=120)
    first, last = placed["pages"]["first"], placed["pages"]["last"]
    assert placed["address_page"] is False and placed["blank_pages"] == 0
    assert last - first + 1 == placed["page_count"] == pages
    assert placed["sheets"] == expected.sheets and placed["price_minor"] == expected.amount_minor
    texts = _texts(folder / "print.pdf", first, last)
    assert [next((w for w in ("ANNEXE", "CGV") if w in t), "own") for t in texts] == [
        "own", "ANNEXE", "ANNEXE", "CGV", "CGV",
    ]  # fmt: skip


def _try_lot(output: Path, piece_id: str) -> tuple[Path, dict[str, Any]] | None:
    try:
        return lot_of_piece(output, piece_id)
    except AssertionError:
        return None
