"""/v1/documents: upload, the worker's preflight report, page previews with the zones drawn."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from postroom.documents.preview import PREVIEW_DPI, ZONE_COLOURS
from postroom.domain.geometry import PAGE_SIZE_MM, PageFormat, Zone
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error
from tests.integration.intake.helpers import (
    concat_pdfs,
    layout,
    letter_for,
    page_pdf,
    upload_document,
    wait_checked,
    window_cases,
)

A4 = PAGE_SIZE_MM[PageFormat.A4]
LETTER = PAGE_SIZE_MM[PageFormat.LETTER]


def _two_page_letter() -> bytes:
    return letter_for(window_cases("din5008_a", "SE")[0], pages=2)


def test_upload_is_received_then_checked_with_a_report(client: TestClient, tenant: Tenant) -> None:
    data = _two_page_letter()
    response = upload_document(client, tenant, data, name="welcome.pdf")
    assert response.status_code == 202, response.text
    uploaded = response.json()
    assert uploaded["state"] == "received"
    assert uploaded["report"] is None
    assert uploaded["page_count"] == 2
    assert uploaded["size_bytes"] == len(data)
    assert uploaded["filename"] == "welcome.pdf"
    assert uploaded["profile"] == "postroom"

    document = wait_checked(client, tenant, uploaded["id"])
    assert document["state"] == "checked"
    report = document["report"]
    assert report["page_count"] == 2
    assert report["accepted"] is True
    assert report["repaired"] is False
    # reportlab embeds the TrueType font the letters use; its canvas also declares
    # Helvetica, a standard font: a warning, once, on the first page.
    assert [(f["code"], f["severity"], f["page"]) for f in report["findings"]] == [
        ("font_not_embedded", "warning", 1)
    ]
    # Page facts come as runs of identical pages.
    assert report["page_runs"] == [
        {
            "first": 1,
            "last": 2,
            "width_mm": 210.0,
            "height_mm": 297.0,
            "rotation": 0,
            "has_text": True,
        }
    ]


def test_landscape_and_us_letter_pages_are_reported_on_their_page(
    client: TestClient, tenant: Tenant
) -> None:
    data = concat_pdfs(
        [
            _two_page_letter(),
            page_pdf((A4[1], A4[0]), "A landscape table"),  # page 3
            page_pdf(LETTER, "A US Letter page"),  # page 4
        ]
    )
    uploaded = upload_document(client, tenant, data).json()
    document = wait_checked(client, tenant, uploaded["id"])

    report = document["report"]
    assert report["page_count"] == 4
    findings = {(f["code"], f["page"]): f for f in report["findings"]}
    orientation = findings[("page_orientation", 3)]
    assert orientation["severity"] == "warning"  # later pages are turned by the print room
    assert "page 3 is landscape" in orientation["message"]
    mismatch = findings[("page_size_mismatch", 4)]
    assert mismatch["severity"] == "error"
    assert "215.9 x 279.4 mm" in mismatch["message"]
    assert "A4 (210 x 297 mm)" in mismatch["message"]
    # Helvetica is not embedded: one warning, on the first page that uses it.
    assert findings[("font_not_embedded", 1)]["severity"] == "warning"
    assert set(findings) == {
        ("page_orientation", 3),
        ("page_size_mismatch", 4),
        ("font_not_embedded", 1),
    }
    runs = [(r["first"], r["last"], r["width_mm"], r["height_mm"]) for r in report["page_runs"]]
    assert runs == [(1, 2, 210.0, 297.0), (3, 3, 297.0, 210.0), (4, 4, 215.9, 279.4)]


def test_landscape_first_page_is_an_error_on_page_one(client: TestClient, tenant: Tenant) -> None:
    uploaded = upload_document(client, tenant, page_pdf((A4[1], A4[0]), "Sideways")).json()
    document = wait_checked(client, tenant, uploaded["id"])

    findings = [f for f in document["report"]["findings"] if f["code"] == "page_orientation"]
    assert findings == [
        {
            "code": "page_orientation",
            "severity": "error",
            "message": "page 1 is landscape; the first page must be portrait for the window",
            "page": 1,
        }
    ]
    assert document["report"]["accepted"] is False


def test_us_letter_page_in_the_click2mail_profile_is_fine(
    client: TestClient, tenant: Tenant
) -> None:
    uploaded = upload_document(client, tenant, page_pdf(LETTER, "US"), profile="click2mail").json()
    assert uploaded["profile"] == "click2mail"
    document = wait_checked(client, tenant, uploaded["id"])
    codes = {f["code"] for f in document["report"]["findings"]}
    assert "page_size_mismatch" not in codes
    assert document["report"]["page_runs"][0]["width_mm"] == 215.9


def _png(client: TestClient, tenant: Tenant, url: str) -> Image.Image:
    response = client.get(url, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGB")


def _outline_pixels(zone: Zone) -> list[tuple[int, int]]:
    """Points just inside the middle of the zone's left and bottom edges (the outline is
    drawn inwards from the box), a few pixels either way to allow for rounding."""
    px = PREVIEW_DPI / 25.4
    left, bottom = zone.left_mm * px, zone.bottom_mm * px
    middle_x, middle_y = (
        (zone.left_mm + zone.width_mm / 2) * px,
        (zone.top_mm + zone.height_mm / 2) * px,
    )
    points = [(round(left) + dx, round(middle_y)) for dx in range(-1, 3)]
    points += [(round(middle_x), round(bottom) + dy) for dy in range(-3, 2)]
    return points


def test_page_preview_is_an_a4_png_and_overlay_draws_the_address_zone(
    client: TestClient, tenant: Tenant
) -> None:
    uploaded = upload_document(client, tenant, _two_page_letter()).json()
    wait_checked(client, tenant, uploaded["id"])
    base = f"/v1/documents/{uploaded['id']}/pages"

    plain = _png(client, tenant, f"{base}/1.png")
    width, height = plain.size
    assert abs(width - 827) <= 2 and abs(height - 1169) <= 2, plain.size
    drawn = _png(client, tenant, f"{base}/1.png?overlay=1")
    assert drawn.size == plain.size

    colour = ZONE_COLOURS["address"]
    zone = layout("din5008_a").address_zone  # the postroom profile's default layout
    left_edge, bottom_edge = _outline_pixels(zone)[:4], _outline_pixels(zone)[4:]
    for edge in (left_edge, bottom_edge):
        assert any(drawn.getpixel(p) == colour for p in edge), [drawn.getpixel(p) for p in edge]
        assert not any(plain.getpixel(p) == colour for p in edge)
    # Nothing on the page itself is in the zone colours.
    assert not set(ZONE_COLOURS.values()) & {c for _, c in plain.getcolors(1 << 20) or []}

    # The second page renders too, and a page's preview differs from the others.
    second = _png(client, tenant, f"{base}/2.png")
    assert second.size == plain.size
    assert second.tobytes() != plain.tobytes()


def test_overlay_with_a_named_layout_draws_that_layouts_zone(
    client: TestClient, tenant: Tenant
) -> None:
    uploaded = upload_document(client, tenant, _two_page_letter()).json()
    wait_checked(client, tenant, uploaded["id"])
    url = f"/v1/documents/{uploaded['id']}/pages/1.png?overlay=1&layout=din5008_b"
    drawn = _png(client, tenant, url)
    colour = ZONE_COLOURS["address"]
    form_b = _outline_pixels(layout("din5008_b").address_zone)
    assert any(drawn.getpixel(p) == colour for p in form_b[:4])


def test_pages_outside_the_document_are_not_found(client: TestClient, tenant: Tenant) -> None:
    uploaded = upload_document(client, tenant, _two_page_letter()).json()
    wait_checked(client, tenant, uploaded["id"])
    for page in (0, 3, 99):
        response = client.get(
            f"/v1/documents/{uploaded['id']}/pages/{page}.png", headers=tenant.headers
        )
        assert_error(response, 404, "not_found")


def test_unknown_document_is_not_found(client: TestClient, tenant: Tenant) -> None:
    assert_error(client.get("/v1/documents/nope", headers=tenant.headers), 404, "not_found")
    response = client.get("/v1/documents/nope/pages/1.png", headers=tenant.headers)
    assert_error(response, 404, "not_found")


def test_unknown_profile_is_refused(client: TestClient, tenant: Tenant) -> None:
    response = upload_document(client, tenant, _two_page_letter(), profile="nosuchprovider")
    error = assert_error(response, 422, "unknown_profile")
    assert "postroom" in error["message"]  # it lists the known ones
