"""POST /v1/letters without a recipient: the address is read from the envelope window."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from tests.conftest import RECIPIENT, Tenant
from tests.integration.intake.helpers import (
    letter_for,
    pdf_file,
    recipient_dict,
    wait_letter,
    window_cases,
)
from tests.support.letter_cases import LetterCase
from tests.support.lots import lots_folder
from tests.support.pdfs import make_pdf

# The postroom profile (the default) reads form A windows with Sweden as default country.
CASES = window_cases("din5008_a", "SE")
FINAL = ("transferred", "failed")


def _send(client: TestClient, tenant: Tenant, pdf: bytes, **form: Any) -> dict[str, Any]:
    data = {key: json.dumps(value) for key, value in form.items()}
    response = client.post(
        "/v1/letters", headers=tenant.headers, files=pdf_file(pdf, "letter.pdf"), data=data
    )
    assert response.status_code == 201, response.text
    letter: dict[str, Any] = response.json()
    return letter


def _manifest_entry(container: Container, letter: dict[str, Any]) -> dict[str, Any]:
    lot_dir = lots_folder(container.settings) / str(letter["lot_id"])
    manifest = json.loads((lot_dir / "manifest.json").read_text())
    entry: dict[str, Any] = next(p for p in manifest["pieces"] if p["piece_id"] == letter["id"])
    return entry


@pytest.mark.parametrize("case", CASES[:4], ids=lambda c: c.name)
def test_letter_without_recipient_takes_the_window_address(
    client: TestClient, container: Container, tenant: Tenant, case: LetterCase
) -> None:
    letter = _send(client, tenant, letter_for(case, pages=2))
    assert letter["state"] == "closed"
    assert letter["recipient"] is None
    assert letter["address_source"] == "window"  # to be read, from the first answer on

    done = wait_letter(client, tenant, letter["id"], FINAL)

    assert done["state"] == "transferred", done
    assert done["address_source"] == "window"
    assert done["recipient"] == recipient_dict(case)
    assert done["failure"] is None
    entry = _manifest_entry(container, done)
    assert entry["recipient"] == recipient_dict(case)
    assert entry["pages"] == {"first": entry["pages"]["first"], "last": entry["pages"]["first"] + 1}


def test_letter_whose_window_holds_no_address_fails_with_the_reason(
    client: TestClient, tenant: Tenant
) -> None:
    letter = _send(client, tenant, make_pdf(1, label="Nothing in the window"))

    done = wait_letter(client, tenant, letter["id"], FINAL)

    assert done["state"] == "failed"
    assert done["failure"]["code"] == "window_has_no_text"
    assert "no text in the address window" in done["failure"]["reason"]
    assert done["recipient"] is None
    assert done["lot_id"] is None
    errors = [f for f in done["findings"] if f["severity"] == "error"]
    assert (errors[0]["code"], errors[0]["page"]) == ("window_has_no_text", 1)


def test_letter_with_recipient_keeps_it(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    # The window shows the same address (its city in capitals): it is printed as it is
    # (as_printed), and the recipient is kept as given.
    letter = _send(client, tenant, letter_for(CASES[0]), recipient=RECIPIENT)
    assert letter["address_source"] == "given"

    done = wait_letter(client, tenant, letter["id"], FINAL)

    assert done["state"] == "transferred", done
    assert done["address_source"] == "given"
    assert done["recipient"] == RECIPIENT
    assert _manifest_entry(container, done)["recipient"] == RECIPIENT
