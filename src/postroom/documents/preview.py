"""Page previews as PNG, with the envelope's zones drawn over them on request."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import ImageDraw

from postroom.domain.geometry import EnvelopeLayout, Zone, layout_for

PREVIEW_DPI = 100
# Zone colours: address (blue), clear zone (orange), inserter barcode (magenta).
ZONE_COLOURS = {"address": (0, 90, 200), "clear": (240, 140, 0), "barcode": (200, 0, 160)}


@dataclass(frozen=True)
class PreviewRequest:
    """Which page of which file, and the layout whose zones to draw ("" for none)."""

    path: str
    page: int  # 1-based
    layout_code: str = ""
    dpi: int = PREVIEW_DPI


def render_preview(request: PreviewRequest) -> bytes:
    """The page as PNG bytes; raises IndexError for a page the file does not have."""
    pdf = pdfium.PdfDocument(request.path)
    try:
        if not 1 <= request.page <= len(pdf):
            raise IndexError(f"the document has {len(pdf)} pages")
        page = pdf[request.page - 1]
        image = page.render(scale=request.dpi / 72).to_pil().convert("RGB")
    finally:
        pdf.close()
    if request.layout_code:
        _draw_zones(image, layout_for(request.layout_code), request.dpi)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _draw_zones(image: object, layout: EnvelopeLayout, dpi: int) -> None:
    draw = ImageDraw.Draw(image)  # type: ignore[arg-type]
    px = dpi / 25.4

    def box(zone: Zone) -> tuple[float, float, float, float]:
        return (zone.left_mm * px, zone.top_mm * px, zone.right_mm * px, zone.bottom_mm * px)

    draw.rectangle(box(layout.clear_zone), outline=ZONE_COLOURS["clear"], width=2)
    draw.rectangle(box(layout.address_zone), outline=ZONE_COLOURS["address"], width=3)
    draw.rectangle(box(layout.barcode_zone), outline=ZONE_COLOURS["barcode"], width=2)
