"""Reading the envelope window: every fixture letter's address comes back exactly, and only
what is printed inside the zone is read."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from postroom.addresses.parse import parse_address
from postroom.documents.zones import read_zone_lines, text_outside_zone
from postroom.domain.geometry import MM_PER_POINT, PAGE_SIZE_MM, PageFormat, Zone, layout_for
from tests.support.letters import FIXTURE_LETTERS, FONT_NAME, LetterCase, font_covers, make_letter

A4_W, A4_H = (size / MM_PER_POINT for size in PAGE_SIZE_MM[PageFormat.A4])
ZONE = Zone(left_mm=20.0, top_mm=50.0, width_mm=85.0, height_mm=27.3)


def first_page(data: bytes) -> Iterator[pdfium.PdfPage]:
    document = pdfium.PdfDocument(data)
    try:
        yield document[0]
    finally:
        document.close()


def page_with(texts: list[tuple[float, float, str]], size: float = 10.0) -> bytes:
    """An A4 page with each text drawn at (x mm, baseline mm from the top)."""
    make_letter(["x"], layout_for("din5008_a"))  # registers the embedded font
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(A4_W, A4_H))
    pdf.setFont(FONT_NAME, size)
    for x_mm, baseline_mm, value in texts:
        pdf.drawString(x_mm / MM_PER_POINT, A4_H - baseline_mm / MM_PER_POINT, value)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def read(data: bytes, zone: Zone = ZONE) -> list[str]:
    for page in first_page(data):
        return read_zone_lines(page, zone)
    raise AssertionError("no page")


@pytest.mark.parametrize("case", FIXTURE_LETTERS, ids=lambda case: case.name)
def test_fixture_letter_window_reads_to_the_expected_recipient(case: LetterCase) -> None:
    """Must show 1: every generated letter's window gives exactly its Recipient."""
    if not font_covers("".join(case.lines)):
        pytest.skip("this machine has no font with these glyphs (install fonts-dejavu-core)")
    layout = layout_for(case.layout)
    for page in first_page(make_letter(list(case.lines), layout, pages=2, marker="#LETTER#")):
        lines = read_zone_lines(page, layout.address_zone)
        assert lines == list(case.lines)
        assert text_outside_zone(page, layout.clear_zone, layout.address_zone) == []
        parsed = parse_address(lines, default_country=case.default_country)
        assert parsed.recipient == case.expected
        assert parsed.findings == ()


def test_lines_come_top_to_bottom_whatever_the_drawing_order() -> None:
    data = page_with([(25, 70, "111 22 Stockholm"), (25, 55, "Anna"), (25, 62, "Storgatan 1")])
    assert read(data) == ["Anna", "Storgatan 1", "111 22 Stockholm"]


def test_words_on_one_line_join_left_to_right_and_spaces_normalise() -> None:
    data = page_with([(60, 60, "Svensson"), (25, 60, "Anna   Maria")])
    assert read(data) == ["Anna Maria Svensson"]


def test_text_just_outside_the_zone_is_not_read() -> None:
    data = page_with(
        [
            (25, 48.5, "above the top edge"),  # baseline 1.5 mm above: glyphs end above
            (25, 80.5, "below the bottom edge"),  # ascenders start below 77.3 mm
            (4, 60, "left"),  # ends before 20 mm
            (106, 60, "right"),  # starts after 105 mm
            (25, 60, "inside"),
        ]
    )
    assert read(data) == ["inside"]


def test_text_in_the_clear_zone_but_outside_the_address_zone_is_returned() -> None:
    layout = layout_for("din5008_a")
    zone, clear = layout.address_zone, layout.clear_zone
    data = page_with(
        [
            (zone.left_mm + 5, zone.top_mm + 5, "Anna Svensson"),
            (clear.left_mm + 0.5, zone.top_mm + 10, "|"),  # left margin of the clear zone
            (zone.left_mm + 5, clear.bottom_mm - 1, "Invoice 2026-001"),  # below, in the margin
            (clear.right_mm + 20, zone.top_mm + 5, "Date 2026-01-05"),  # outside both
        ],
        size=8,
    )
    for page in first_page(data):
        assert read_zone_lines(page, zone) == ["Anna Svensson"]
        assert text_outside_zone(page, clear, zone) == ["|", "Invoice 2026-001"]


def test_a_page_with_nothing_in_the_zone_reads_as_empty() -> None:
    assert read(page_with([(25, 150, "body text only")])) == []
    assert read(page_with([])) == []


def test_the_zone_is_measured_from_the_crop_box_and_honours_rotation() -> None:
    original = page_with([(25, 60, "Anna Svensson")])
    shifted = io.BytesIO()
    with pikepdf.open(io.BytesIO(original)) as pdf:
        page = pdf.pages[0]
        # Move the page's origin: same picture, coordinates all offset by (100, 200) points.
        page.MediaBox = [100, 200, 100 + A4_W, 200 + A4_H]
        page.contents_add(pdf.make_stream(b"1 0 0 1 100 200 cm"), prepend=True)
        pdf.save(shifted)
    assert read(shifted.getvalue()) == ["Anna Svensson"]

    cropped = io.BytesIO()
    with pikepdf.open(io.BytesIO(original)) as pdf:
        # Trim 10 mm off the left and the top: the shown page starts there.
        ten = 10.0 / MM_PER_POINT
        pdf.pages[0].CropBox = [ten, 0, A4_W, A4_H - ten]
        pdf.save(cropped)
    moved = Zone(left_mm=ZONE.left_mm - 10, top_mm=ZONE.top_mm - 10, width_mm=85, height_mm=27.3)
    assert read(cropped.getvalue(), moved) == ["Anna Svensson"]

    rotated = io.BytesIO()
    with pikepdf.open(io.BytesIO(original)) as pdf:
        pdf.pages[0].Rotate = 90
        pdf.save(rotated)
    # /Rotate 90 turns the page clockwise: user (25 mm, 237 mm up) is shown 237 mm from the
    # left and 25 mm from the top, the line running downwards.
    shown = Zone(left_mm=232.0, top_mm=20.0, width_mm=10.0, height_mm=70.0)
    assert read(rotated.getvalue(), shown) == ["Anna Svensson"]
    assert read(rotated.getvalue(), ZONE) == []
