"""Address pages: the recipient's lines in the layout's address zone, on the layout's paper."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from postroom.documents.address_page import address_lines, write_address_pages
from postroom.documents.zones import read_zone_lines
from postroom.domain.geometry import MM_PER_POINT, layout_for

RECIPIENT = {
    "name_lines": ["Åsa Öberg"],
    "street_lines": ["Kungsgatan 12 B"],
    "postal_code": "411 19",
    "city": "Göteborg",
    "country": "SE",
}


def test_the_country_is_named_only_abroad() -> None:
    assert address_lines(RECIPIENT, home_country="SE") == [
        "Åsa Öberg",
        "Kungsgatan 12 B",
        "411 19 Göteborg",
    ]
    assert address_lines(RECIPIENT, home_country="US")[-1] == "SWEDEN"


def test_the_region_is_printed_where_the_country_s_format_places_it() -> None:
    us = {
        "name_lines": ["John Q. Public"],
        "street_lines": ["123 Main St"],
        "postal_code": "62701",
        "city": "SPRINGFIELD",
        "region": "IL",
        "country": "US",
    }
    assert address_lines(us, home_country="US")[-1] == "SPRINGFIELD IL 62701"
    assert address_lines(us, home_country="SE")[-2:] == ["SPRINGFIELD IL 62701", "UNITED STATES"]


@pytest.mark.parametrize(
    ("code", "size_mm"), [("din5008_b", [210, 297]), ("us10_double_window", [216, 279])]
)
def test_the_lines_read_back_from_the_address_zone(
    tmp_path: Path, code: str, size_mm: list[int]
) -> None:
    layout = layout_for(code)
    lines = address_lines(RECIPIENT, home_country="US")
    path = tmp_path / "address.pdf"
    write_address_pages(path, [(layout, lines), (layout, lines[:2])])
    pdf = pdfium.PdfDocument(path)
    try:
        assert len(pdf) == 2
        assert [round(v * MM_PER_POINT) for v in pdf[0].get_size()] == size_mm
        assert read_zone_lines(pdf[0], layout.address_zone) == lines
        assert read_zone_lines(pdf[1], layout.address_zone) == lines[:2]
    finally:
        pdf.close()


def test_too_many_lines_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="do not fit"):
        write_address_pages(tmp_path / "a.pdf", [(layout_for("din5008_a"), ["line"] * 12)])
