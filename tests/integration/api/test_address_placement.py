"""`options.address_placement` on POST /v1/letters: chosen or settled by the check, shown on
the letter, and refused at the door when it cannot work whatever the document holds."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from postroom.bootstrap import Container
from postroom.documents.preview import PREVIEW_DPI
from postroom.domain.geometry import layout_for
from tests.conftest import Tenant, wait_for
from tests.integration.api.helpers import assert_error, get_letter, row_counts, send_letter
from tests.support.letters import make_letter
from tests.support.lots import handed_over_manifests, lots_folder
from tests.support.pdfs import TOUR_RECIPIENT, text_in_zone, tour_letter

# The README's "Send a letter".
ANNA = TOUR_RECIPIENT
WINDOW = layout_for("din5008_a")


def settled(client: TestClient, tenant: Tenant, letter_id: str) -> dict[str, Any]:
    """The letter once it is transferred or failed."""

    def done() -> dict[str, Any] | None:
        letter = get_letter(client, tenant, letter_id)
        return letter if letter["state"] in ("transferred", "failed") else None

    result: dict[str, Any] = wait_for(done, timeout=30)
    return result


def post(client: TestClient, tenant: Tenant, **data: Any) -> Any:
    form = {k: json.dumps(v) for k, v in data.items()}
    files = {"file": ("letter.pdf", tour_letter(), "application/pdf")}
    return client.post("/v1/letters", headers=tenant.headers, data=form, files=files)


def window_lines_of_lot(output_dir: Path, letter_id: str) -> list[str]:
    for manifest_path in handed_over_manifests(output_dir):
        manifest = json.loads(manifest_path.read_text())
        for piece in manifest["pieces"]:
            if piece["piece_id"] != letter_id:
                continue
            print_file = manifest_path.parent / manifest["print_file"]
            return text_in_zone(print_file, WINDOW.address_zone, piece["pages"]["first"] - 1)
    raise AssertionError(f"letter {letter_id} is in no lot")


def test_the_tour_letter_goes_to_print_with_its_recipient_in_the_window(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    sent = send_letter(client, tenant, pdf=tour_letter(), recipient=ANNA, postage="priority")
    assert sent["options"]["address_placement"] is None  # settled by the check
    letter = settled(client, tenant, sent["id"])
    assert letter["state"] == "transferred", letter["failure"]
    assert letter["options"]["address_placement"] == "window"
    lines = window_lines_of_lot(lots_folder(container.settings), sent["id"])
    assert lines == ["Anna Svensson", "Storgatan 1", "114 51 Stockholm"]


def test_a_chosen_placement_is_answered_as_sent(client: TestClient, tenant: Tenant) -> None:
    sent = send_letter(
        client, tenant, pdf=tour_letter(), recipient=ANNA, address_placement="address_page"
    )
    assert sent["options"]["address_placement"] == "address_page"
    letter = settled(client, tenant, sent["id"])
    assert letter["state"] == "transferred", letter["failure"]
    assert letter["options"]["address_placement"] == "address_page"


def test_a_window_naming_someone_else_fails_the_letter_before_any_lot(
    client: TestClient, tenant: Tenant
) -> None:
    pdf = make_letter(["Bo Ek", "Vägen 2", "411 01 Göteborg"], WINDOW)
    sent = send_letter(client, tenant, pdf=pdf, recipient=ANNA)
    letter = settled(client, tenant, sent["id"])
    assert letter["state"] == "failed"
    assert letter["failure"]["code"] == "window_address_mismatch"
    assert letter["lot_id"] is None
    assert letter["options"]["address_placement"] == "as_printed"
    codes = [f["code"] for f in letter["findings"]]
    assert "window_address_mismatch" in codes


def test_window_without_a_recipient_is_refused_and_nothing_stored(
    idle_client: TestClient, tenant: Tenant, container: Container
) -> None:
    before = row_counts(container)
    response = post(idle_client, tenant, options={"address_placement": "window"})
    error = assert_error(response, 422, "missing_recipient")
    assert error["detail"] == {"address_placement": "window"}
    assert row_counts(container)["mail_pieces"] == before["mail_pieces"]


def test_an_unknown_placement_is_a_validation_error(
    idle_client: TestClient, tenant: Tenant
) -> None:
    response = post(
        idle_client, tenant, recipient=ANNA, options={"address_placement": "on_the_back"}
    )
    error = assert_error(response, 422, "validation_error")
    assert error["detail"][0]["loc"] == ["options", "address_placement"]


def test_a_window_placement_on_a_windowless_service_is_refused(
    idle_client: TestClient, tenant: Tenant
) -> None:
    form = {
        "recipient": json.dumps(ANNA),
        "options": json.dumps({"address_placement": "window"}),
        "service": "letter_address_page",
    }
    files = {"file": ("letter.pdf", tour_letter(), "application/pdf")}
    response = idle_client.post("/v1/letters", headers=tenant.headers, data=form, files=files)
    assert_error(response, 422, "option_not_available")


# --- GET /v1/letters/{id}/pages/{n}.png: the letter as it will print -----------------------


def window_ink(png: bytes) -> int:
    """The darkest pixel in the window zone of a 100 dpi preview (255: nothing there)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    px = PREVIEW_DPI / 25.4
    zone = WINDOW.address_zone
    box = (zone.left_mm * px, zone.top_mm * px, zone.right_mm * px, zone.bottom_mm * px)
    darkest, _ = image.crop(tuple(int(v) for v in box)).getextrema()
    return int(darkest)


def preview(client: TestClient, tenant: Tenant, letter_id: str, page: int) -> Any:
    return client.get(f"/v1/letters/{letter_id}/pages/{page}.png", headers=tenant.headers)


def test_the_preview_shows_the_address_printed_into_the_window(
    client: TestClient, tenant: Tenant
) -> None:
    sent = send_letter(client, tenant, pdf=tour_letter(), recipient=ANNA)
    assert settled(client, tenant, sent["id"])["state"] == "transferred"
    first = preview(client, tenant, sent["id"], 1)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    assert window_ink(first.content) < 128  # the document's window is blank; this is ours
    assert_error(preview(client, tenant, sent["id"], 2), 404, "not_found")


def test_the_preview_of_a_letter_with_an_address_page_starts_with_it(
    client: TestClient, tenant: Tenant
) -> None:
    sent = send_letter(
        client, tenant, pdf=tour_letter(), recipient=ANNA, address_placement="address_page"
    )
    assert settled(client, tenant, sent["id"])["state"] == "transferred"
    address_page, letter = (preview(client, tenant, sent["id"], n) for n in (1, 2))
    assert address_page.status_code == letter.status_code == 200
    assert window_ink(address_page.content) < 128
    assert window_ink(letter.content) > 200  # the letter itself, its window left blank
    assert_error(preview(client, tenant, sent["id"], 3), 404, "not_found")


def test_no_preview_before_the_check_settles_the_placement(
    idle_client: TestClient, tenant: Tenant
) -> None:
    sent = send_letter(idle_client, tenant, pdf=tour_letter(), recipient=ANNA)
    assert_error(preview(idle_client, tenant, sent["id"], 1), 409, "preview_not_available")
