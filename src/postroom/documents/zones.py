"""Text printed in a zone of a page (the envelope window, its clear zone), read with pypdfium2.

Zones are in millimetres from the top-left corner of the page as it is shown (its crop box,
after /Rotate); PDFium works in PDF points from the bottom-left of the page's user space, so
every zone is mapped through the page's box and rotation first. Text is put into lines as
it reads: a line may run up or down the user space (an address printed upright into the
window of a turned page)."""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from postroom.domain.geometry import MM_PER_POINT, Zone

Rect = tuple[float, float, float, float]  # left, bottom, right, top in PDF points
# Blankness is judged on a rendering, so that images, rules and annotations count as well as
# text, and white boxes (a word processor's background) do not. 100 dpi keeps a hairline
# (0.1 pt) visible through anti-aliasing; a pixel lighter than INK is paper (a tint lighter
# than about 6 % grey does not stop a window).
BLANK_DPI = 100
INK = 240


def read_zone_lines(
    page: pdfium.PdfPage, zone: Zone, *, textpage: pdfium.PdfTextPage | None = None
) -> list[str]:
    """The text inside `zone`, as whitespace-normalised lines from top to bottom."""
    own = textpage is None
    text = page.get_textpage() if textpage is None else textpage
    try:
        return _lines_in(text, [zone_to_rect(page, zone)])
    finally:
        if own:
            text.close()


def text_outside_zone(
    page: pdfium.PdfPage,
    outer: Zone,
    inner: Zone,
    *,
    textpage: pdfium.PdfTextPage | None = None,
) -> list[str]:
    """The text printed inside `outer` but outside `inner`, as lines from top to bottom."""
    own = textpage is None
    text = page.get_textpage() if textpage is None else textpage
    try:
        return _lines_in(text, _ring(zone_to_rect(page, outer), zone_to_rect(page, inner)))
    finally:
        if own:
            text.close()


def zone_is_blank(page: pdfium.PdfPage, zone: Zone) -> bool:
    """True when nothing visible is drawn in `zone` of the page as it prints."""
    width, height = page.get_size()  # the shown page, after /Rotate
    left, top = zone.left_mm / MM_PER_POINT, zone.top_mm / MM_PER_POINT
    right, bottom = zone.right_mm / MM_PER_POINT, zone.bottom_mm / MM_PER_POINT
    crop = (
        max(0.0, left),
        max(0.0, height - bottom),
        max(0.0, width - right),
        max(0.0, top),
    )
    if crop[0] + crop[2] >= width or crop[1] + crop[3] >= height:
        return True  # the zone lies off the page: nothing can be printed in it
    bitmap = page.render(scale=BLANK_DPI / 72, crop=crop, grayscale=True, draw_annots=True)
    try:
        darkest, _ = bitmap.to_pil().convert("L").getextrema()
    finally:
        bitmap.close()
    return bool(darkest >= INK)


def zone_to_rect(page: pdfium.PdfPage, zone: Zone) -> Rect:
    """`zone` (mm from the shown page's top-left) as a rectangle in the page's PDF space."""
    left, bottom, right, top = page.get_bbox()  # crop box clipped to the media box
    x0, x1 = zone.left_mm / MM_PER_POINT, zone.right_mm / MM_PER_POINT
    y0, y1 = zone.top_mm / MM_PER_POINT, zone.bottom_mm / MM_PER_POINT
    rotation = page.get_rotation() % 360
    # /Rotate turns the page clockwise for display; (u, v) run right and down on the shown
    # page, so each rotation maps them onto a different pair of user-space axes.
    if rotation == 90:
        xs, ys = (left + y0, left + y1), (bottom + x0, bottom + x1)
    elif rotation == 180:
        xs, ys = (right - x1, right - x0), (bottom + y0, bottom + y1)
    elif rotation == 270:
        xs, ys = (right - y1, right - y0), (top - x1, top - x0)
    else:
        xs, ys = (left + x0, left + x1), (top - y1, top - y0)
    return (min(xs), min(ys), max(xs), max(ys))


def _quarter_turns(text: pdfium.PdfTextPage, segment: Rect) -> int:
    """How many quarter turns counterclockwise a segment's text is turned in user space
    (0: upright; 1: its lines run up the page), from the angle of a character in it."""
    left, bottom, right, top = segment
    index = pdfium_c.FPDFText_GetCharIndexAtPos(
        text.raw, (left + right) / 2, (bottom + top) / 2, 1.0, 1.0
    )
    angle = pdfium_c.FPDFText_GetCharAngle(text.raw, index) if index >= 0 else -1.0
    if angle < 0:  # no character at its middle: a run longer than high is upright
        return 0 if right - left >= top - bottom else 1
    # PDFium measures the angle clockwise.
    return round((2 * math.pi - angle) / (math.pi / 2)) % 4


def _turn(rect: Rect, turns: int) -> Rect:
    """`rect` in a frame turned so that text turned `turns` quarter turns reads upright."""
    left, bottom, right, top = rect
    if turns == 1:
        return (bottom, -right, top, -left)
    if turns == 2:
        return (-right, -top, -left, -bottom)
    if turns == 3:
        return (-top, left, -bottom, right)
    return rect


def _unturn(rect: Rect, turns: int) -> Rect:
    """_turn's inverse."""
    return _turn(rect, (4 - turns) % 4)


def _ring(outer: Rect, inner: Rect) -> list[Rect]:
    """`outer` minus `inner`, as up to four rectangles (above, below, left, right)."""
    ol, ob, orr, ot = outer
    il, ib, ir, it = max(inner[0], ol), max(inner[1], ob), min(inner[2], orr), min(inner[3], ot)
    if il >= ir or ib >= it:  # no overlap: the whole outer zone counts
        return [outer]
    pieces = [
        (ol, it, orr, ot),  # above the inner zone, full width
        (ol, ob, orr, ib),  # below
        (ol, ib, il, it),  # left, between the two
        (ir, ib, orr, it),  # right
    ]
    return [p for p in pieces if p[2] > p[0] and p[3] > p[1]]


def _intersect(a: Rect, b: Rect) -> Rect | None:
    left, bottom = max(a[0], b[0]), max(a[1], b[1])
    right, top = min(a[2], b[2]), min(a[3], b[3])
    return (left, bottom, right, top) if left < right and bottom < top else None


def _lines_in(text: pdfium.PdfTextPage, areas: list[Rect]) -> list[str]:
    """Text of the segments that fall in `areas`, grouped into lines by their span across
    the line (each segment taken in the frame where its text reads upright).

    PDFium's segment rectangles come in content-stream order, which need not be reading
    order, so segments are sorted by position; one line's segments share a baseline band.
    A segment is queried over a band from just under its baseline to about its x-height:
    PDFium returns every glyph that touches the query rectangle, so its full height would
    catch the accents and descenders of the lines above and below when the leading is tight
    (1.15 em), while the band still touches full stops and commas on the baseline."""
    pieces: list[tuple[Rect, str]] = []  # each segment in its upright frame, and its words
    for index in range(text.count_rects()):
        segment = text.get_rect(index)
        turns = _quarter_turns(text, segment)
        left, bottom, right, top = _turn(segment, turns)
        height = top - bottom  # descent to ascent, about 1.16 em
        band = _unturn((left, bottom + 0.12 * height, right, top - 0.3 * height), turns)
        for area in areas:
            clipped = _intersect(band, area)
            if clipped is None:
                continue
            words = " ".join(text.get_text_bounded(*clipped).split())
            if words:
                pieces.append(((left, bottom, right, top), words))
    pieces.sort(key=lambda piece: (-piece[0][3], piece[0][0]))
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []  # bottom, top, parts
    for (left, bottom, _right, top), words in pieces:
        for i, (line_bottom, line_top, parts) in enumerate(lines):
            overlap = min(top, line_top) - max(bottom, line_bottom)
            if overlap > 0.5 * min(top - bottom, line_top - line_bottom):
                parts.append((left, words))
                lines[i] = (min(bottom, line_bottom), max(top, line_top), parts)
                break
        else:
            lines.append((bottom, top, [(left, words)]))
    lines.sort(key=lambda line: -line[1])
    return [" ".join(words for _, words in sorted(parts)) for _, _, parts in lines]
