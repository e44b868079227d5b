"""Generated address pages: the recipient printed in the envelope's address zone, and the
sender's return line above it in small type where the layout has room for one (reportlab).

A lot's address pages are written as one PDF (one page each), so they share one embedded
font, and the composer copies them in from there, or draws them over a letter's first page
when its address goes into the window (the rest of such a page is transparent)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from postroom.addresses.country_names import country_name
from postroom.addresses.formats import country_format, town_line
from postroom.domain.geometry import (
    LAYOUTS,
    MM_PER_POINT,
    PAGE_SIZE_MM,
    RETURN_ADDRESS_ZONES,
    RETURN_FONT_SIZE_PT,
    RETURN_SMALLEST_FONT_SIZE_PT,
    EnvelopeLayout,
    PageFormat,
    return_line_baseline_mm,
)

FONT_NAME = "PostroomAddress"
FALLBACK_FONT = "Helvetica"  # standard 14: Latin-1 only, used when no TrueType font is found
# DejaVu Sans covers the Latin, Greek and Cyrillic addresses we accept; Vera ships with reportlab.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "Vera.ttf",
)
# Type in the window: DIN 5008 asks for 8-12 pt; USPS for at least 8 pt with 1/8 in insets.
A4_FONT_SIZE_PT = 10.0
A4_LEADING_MM = 4.23
A4_INSET_MM = 5.0  # DIN 5008: the text starts 25 mm from the edge, 5 mm inside the field
LETTER_FONT_SIZE_PT = 9.0
LETTER_LEADING_MM = 3.7
LETTER_INSET_MM = 3.2  # 1/8 in from the window edge
TOP_GAP_MM = 0.6  # between the zone's top and the first line's ascenders
ASCENT = 0.8  # of the font size, above the baseline
DESCENT = 0.3
RETURN_MAX_CHARACTERS = 80


@cache
def _font() -> str:
    """The registered font name: DejaVu Sans or Vera when found, Helvetica otherwise."""
    for path in FONT_FILES:
        if path.startswith("/") and not Path(path).exists():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path))
        except Exception:  # reportlab raises its own TTFError and plain IOErrors
            continue
        return FONT_NAME
    return FALLBACK_FONT


def address_lines(recipient: dict[str, Any], *, home_country: str) -> list[str]:
    """The recipient as printed: names, street, postal code, city and region in the order of
    its country's format, country when abroad."""
    lines = [*recipient.get("name_lines", ()), *recipient.get("street_lines", ())]
    country = recipient.get("country", "")
    postal_code, city = recipient.get("postal_code", ""), recipient.get("city", "")
    region = recipient.get("region", "")
    if region and len(country) == 2:
        town = town_line(postal_code, city, region, country_format(country))
    else:
        town = f"{postal_code} {city}".strip()
    if town:
        lines.append(town)
    if country and country != home_country:
        lines.append(country_name(country).upper())
    return [line for line in lines if line.strip()]


def _type(layout: EnvelopeLayout) -> tuple[float, float, float]:
    """Font size (pt), leading (mm) and inset (mm) of the address in the layout's zone."""
    if layout.page_format is PageFormat.LETTER:
        return LETTER_FONT_SIZE_PT, LETTER_LEADING_MM, LETTER_INSET_MM
    return A4_FONT_SIZE_PT, A4_LEADING_MM, A4_INSET_MM


def _first_baseline_mm(layout: EnvelopeLayout) -> float:
    size, _, _ = _type(layout)
    return layout.address_zone.top_mm + TOP_GAP_MM + ASCENT * size * MM_PER_POINT


def fit_problem(layout: EnvelopeLayout, lines: Sequence[str]) -> str | None:
    """Why `lines` would not fit the layout's address zone as they are printed there (too
    many lines, or one too wide, kept an inset from either side); None when they fit."""
    size, leading, inset = _type(layout)
    zone = layout.address_zone
    room = zone.bottom_mm - _first_baseline_mm(layout) - DESCENT * size * MM_PER_POINT
    most = int(room // leading) + 1
    if len(lines) > most:
        return f"it takes {len(lines)} lines and the window {most}"
    width = zone.width_mm - 2 * inset
    font = _font()
    for line in lines:
        wide = pdfmetrics.stringWidth(line, font, size) * MM_PER_POINT
        if wide > width:
            return f"{line!r} is {wide:.0f} mm wide and the window takes {width:.0f} mm"
    return None


def _return_size(layout: EnvelopeLayout, text: str) -> float | None:
    """The font size the return line is set in on this layout; None when it is too wide
    even at the smallest size."""
    zone = RETURN_ADDRESS_ZONES.get(layout.code)
    if zone is None:
        return None
    _, _, inset = _type(layout)
    room = zone.width_mm - 2 * inset
    for size in (RETURN_FONT_SIZE_PT, RETURN_SMALLEST_FONT_SIZE_PT):
        if pdfmetrics.stringWidth(text, _font(), size) * MM_PER_POINT <= room:
            return size
    return None


def return_line_problem(text: str) -> str | None:
    """Why `text` cannot be a return line (too long for one line in small type on a layout
    that prints one); None when it fits every layout."""
    if len(text) > RETURN_MAX_CHARACTERS:
        return f"it has {len(text)} characters and a return line at most {RETURN_MAX_CHARACTERS}"
    for layout in LAYOUTS.values():
        if layout.code in RETURN_ADDRESS_ZONES and _return_size(layout, text) is None:
            zone = RETURN_ADDRESS_ZONES[layout.code]
            _, _, inset = _type(layout)
            wide = pdfmetrics.stringWidth(text, _font(), RETURN_SMALLEST_FONT_SIZE_PT)
            return (
                f"it is {wide * MM_PER_POINT:.0f} mm wide at {RETURN_SMALLEST_FONT_SIZE_PT:g} pt "
                f"and the {layout.code} return line takes {zone.width_mm - 2 * inset:.0f} mm"
            )
    return None


def _draw_return_line(
    pdf: canvas.Canvas, layout: EnvelopeLayout, text: str, height_mm: float
) -> None:
    zone = RETURN_ADDRESS_ZONES.get(layout.code)
    size = _return_size(layout, text)
    if zone is None or size is None:
        return  # no room on this layout (refused when the account set it; never squeezed)
    _, _, inset = _type(layout)
    pdf.setFont(_font(), size)
    pdf.drawString(
        (zone.left_mm + inset) / MM_PER_POINT,
        (height_mm - return_line_baseline_mm(layout, zone)) / MM_PER_POINT,
        text,
    )


def write_address_pages(
    path: Path,
    pages: Sequence[tuple[EnvelopeLayout, Sequence[str]]],
    *,
    return_lines: Sequence[str] = (),
) -> None:
    """Write one page per (layout, lines) into `path`, each on the layout's paper, with the
    sender's return line of the same position in `return_lines` ("" or missing: none)."""
    font = _font()
    pdf = canvas.Canvas(str(path), pageCompression=1)
    pdf.setTitle("Address pages")
    for number, (layout, lines) in enumerate(pages):
        width_mm, height_mm = PAGE_SIZE_MM[layout.page_format]
        pdf.setPageSize((width_mm / MM_PER_POINT, height_mm / MM_PER_POINT))
        size, leading, inset = _type(layout)
        zone = layout.address_zone
        first = _first_baseline_mm(layout)
        last = first + (len(lines) - 1) * leading + DESCENT * size * MM_PER_POINT
        if last > zone.bottom_mm:
            raise ValueError(f"{len(lines)} address lines do not fit the {layout.code} zone")
        pdf.setFont(font, size)
        for i, line in enumerate(lines):
            baseline_mm = first + i * leading
            pdf.drawString(
                (zone.left_mm + inset) / MM_PER_POINT,
                (height_mm - baseline_mm) / MM_PER_POINT,
                line,
            )
        if number < len(return_lines) and return_lines[number]:
            _draw_return_line(pdf, layout, return_lines[number], height_mm)
        pdf.showPage()
    pdf.save()
