"""A letter sent over /v1 ends up in a lot file: the skeleton's road, end to end in-process."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import Tenant, letter_form, wait_for
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf


def test_letter_reaches_a_lot_with_its_pages_and_manifest(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/letters", headers=tenant.headers, **letter_form(make_pdf(3, label="Invoice 42"))
    )
    assert response.status_code == 201, response.text
    letter = response.json()
    assert letter["state"] == "closed"
    assert letter["page_count"] == 3

    def transferred() -> dict[str, object] | None:
        body = client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()
        return body if body["state"] == "transferred" else None

    done = wait_for(transferred)
    lot_dir = lots_folder(container.settings) / str(done["lot_id"])
    manifest = json.loads((lot_dir / "manifest.json").read_text())
    assert [p["piece_id"] for p in manifest["pieces"]] == [letter["id"]]
    assert manifest["pieces"][0]["recipient"]["name_lines"] == ["Anna Svensson"]
    assert manifest["pieces"][0]["pages"] == {"first": 1, "last": 3}
    pdf = pdfium.PdfDocument(lot_dir / "print.pdf")
    texts = [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
    # Its window was blank: the recipient is printed into it, on the first page only.
    assert texts[0].splitlines() == [
        "Invoice 42 page 1 of 3",
        "Anna Svensson",
        "Storgatan 1",
        "111 22 Stockholm",
    ]
    assert texts[1:] == [f"Invoice 42 page {i} of 3" for i in (2, 3)]
    assert done["options"]["address_placement"] == "window"
