"""Helpers shared by the Ekopost dialect tests: requests as an Ekopost client writes them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from postroom.bootstrap import Container
from tests.conftest import MovableClock, wait_for
from tests.integration.intake.helpers import letter_for, window_cases
from tests.support.lots import handed_over_manifests, lots_folder

# Wednesday 4 March 2026, 10:00 in Stockholm; letter_standard's cut-off is 15:00 UTC.
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
CUT_OFF = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)

# Letters whose window holds a Swedish address in the campaigns' layout.
FORM_A_SE = [c for c in window_cases("din5008_a", "SE") if c.expected.country == "SE"]

POSTAL = {
    "$type": "postal",
    "name": ["Anna Svensson"],
    "street": ["Storgatan 1"],
    "postal_code": "111 22",
    "city": "Stockholm",
    "country": "SE",
}


def assert_error(response: Any, status: int, code: str) -> None:
    """The answer is Ekopost's error object with this status and error_code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "error_message", "developer_message"}
    assert body["error_code"] == code
    assert body["error_message"]


def window_letter(index: int = 0, pages: int = 1) -> bytes:
    """A PDF letter whose window holds FORM_A_SE[index]'s address."""
    return letter_for(FORM_A_SE[index], pages=pages)


def content_body(
    pdf: bytes, *, kind: str = "document", mime: str = "application/pdf"
) -> dict[str, Any]:
    """Create content's body for a file."""
    return {
        "data": base64.b64encode(pdf).decode("ascii"),
        "mime": mime,
        "length": len(pdf),
        "type": kind,
    }


def create_campaign(client: Any, headers: dict[str, str], **fields: Any) -> str:
    response = client.post("/ekopost/campaigns", json={"name": "C", **fields}, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def create_envelope(
    client: Any, headers: dict[str, str], campaign_id: str, **fields: Any
) -> dict[str, Any]:
    response = client.post(
        f"/ekopost/campaigns/{campaign_id}/envelopes", json=fields, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ready_envelope(
    client: Any, headers: dict[str, str], campaign_id: str, index: int = 0, **fields: Any
) -> str:
    """An envelope with a window letter as its document, closed; returns its id."""
    envelope = create_envelope(client, headers, campaign_id, name=f"E{index}", **fields)
    base = f"/ekopost/campaigns/{campaign_id}/envelopes/{envelope['id']}"
    added = client.post(f"{base}/content", json=content_body(window_letter(index)), headers=headers)
    assert added.status_code == 200, added.text
    closed = client.post(f"{base}/close", headers=headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    return str(envelope["id"])


def lot_manifest(output_dir: Path, piece_ids: set[str]) -> Path | None:
    """The manifest.json of the handed-over lot holding exactly these pieces, if any yet."""
    for manifest in handed_over_manifests(output_dir):
        pieces = json.loads(manifest.read_text())["pieces"]
        if {p["piece_id"] for p in pieces} == piece_ids:
            return manifest
    return None


def produced_lot(
    container: Container, clock: MovableClock, piece_ids: set[str]
) -> tuple[Path, dict[str, Any]]:
    """Past START's cut-off, the handed-over lot of exactly these pieces: its manifest.json
    and what it says (waits for the worker)."""
    clock.advance(CUT_OFF + timedelta(seconds=1) - clock.now())
    output_dir = lots_folder(container.settings)
    path = wait_for(lambda: lot_manifest(output_dir, piece_ids), timeout=60)
    manifest: dict[str, Any] = json.loads(path.read_text())
    return path, manifest


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of a print file."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
