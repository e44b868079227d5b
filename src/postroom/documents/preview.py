"""Page previews as PNG: a document's page, with the envelope's zones drawn over it on
request, or a letter's page as it will print (composed as in its lot)."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from postroom.documents.compose import PiecePlan, compose_print_file
from postroom.domain.errors import NotFound
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


# The lot a letter's preview is composed in: its sheet codes name no real lot.
PREVIEW_LOT_ID = "00000000-preview"


@dataclass(frozen=True)
class PiecePreviewRequest:
    """Which page of a letter, composed alone from its plan, as its lot would have it."""

    plan: PiecePlan
    page: int  # 1-based, in the letter as printed (its address page first, if any)
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
    return _png(image)


def render_piece_preview(request: PiecePreviewRequest) -> bytes:
    """A letter's page as PNG bytes, as it will print: composed alone as its lot composes
    it (its address page or the address in its window, blank backs, sheet codes); NotFound
    for a page it does not have."""
    with tempfile.TemporaryDirectory(prefix="postroom-preview-") as folder:
        path = Path(folder) / "piece.pdf"
        compose_print_file(path, lot_id=PREVIEW_LOT_ID, plans=[request.plan], scratch=Path(folder))
        pdf = pdfium.PdfDocument(path)
        try:
            if not 1 <= request.page <= len(pdf):
                raise NotFound(
                    f"page {request.page} does not exist: the letter prints {len(pdf)} pages"
                )
            image = pdf[request.page - 1].render(scale=request.dpi / 72).to_pil().convert("RGB")
        finally:
            pdf.close()
    return _png(image)


def _png(image: Image.Image) -> bytes:
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
