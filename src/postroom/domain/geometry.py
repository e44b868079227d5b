"""Envelope and page geometry as named millimetre constants (origin: the page's top-left corner).

Filled in from DIN 5008 and USPS publications; every constant cites its source."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from postroom.domain.errors import ErrorCode

MM_PER_POINT = 25.4 / 72


class PageFormat(StrEnum):
    """Paper the service prints on."""

    A4 = "A4"
    LETTER = "LETTER"


PAGE_SIZE_MM: dict[PageFormat, tuple[float, float]] = {
    PageFormat.A4: (210.0, 297.0),  # ISO 216
    PageFormat.LETTER: (215.9, 279.4),  # ANSI/ASME Y14.1, 8.5 x 11 in
}


@dataclass(frozen=True)
class Zone:
    """A rectangle on the page, in millimetres from the top-left corner."""

    left_mm: float
    top_mm: float
    width_mm: float
    height_mm: float

    @property
    def right_mm(self) -> float:
        return self.left_mm + self.width_mm

    @property
    def bottom_mm(self) -> float:
        return self.top_mm + self.height_mm

    def contains(self, other: Zone) -> bool:
        """True when `other` lies wholly inside this zone."""
        return (
            self.left_mm <= other.left_mm
            and self.top_mm <= other.top_mm
            and other.right_mm <= self.right_mm
            and other.bottom_mm <= self.bottom_mm
        )


class EnvelopeType(StrEnum):
    """Envelope sizes the print room stocks."""

    C4 = "C4"
    C5 = "C5"
    DL = "DL"
    US10 = "US10"
    US9X12 = "US9X12"  # a USPS flat: US Letter unfolded


class Fold(StrEnum):
    """How a sheet is folded to go into its envelope (the inserter's setting)."""

    NONE = "none"  # flat, unfolded
    HALF = "half"  # folded once
    THIRDS = "thirds"  # folded twice, in three panels


# A4 goes flat into C4, once folded into C5, in three into DL; US Letter in three into a
# #10 and flat into a 9 x 12 in envelope.
ENVELOPE_FOLD: dict[EnvelopeType, Fold] = {
    EnvelopeType.C4: Fold.NONE,
    EnvelopeType.C5: Fold.HALF,
    EnvelopeType.DL: Fold.THIRDS,
    EnvelopeType.US10: Fold.THIRDS,
    EnvelopeType.US9X12: Fold.NONE,
}


@dataclass(frozen=True)
class EnvelopeLayout:
    """Where the address must be on the first page for one envelope and window type."""

    code: str  # stable identifier used in settings, profiles and the API
    envelope: EnvelopeType
    page_format: PageFormat
    window: bool  # False: window-less envelope, the address goes on a generated address page
    address_zone: Zone  # the text read as the recipient's address
    clear_zone: Zone  # around the address zone: nothing else may print here
    barcode_zone: Zone  # reserved for the inserter's 2D barcode, on every sheet
    sheet_capacity: int  # sheets the envelope holds (folded as the envelope needs)

    @property
    def fold(self) -> Fold:
        """How its sheets are folded for its envelope."""
        return ENVELOPE_FOLD[self.envelope]


def _mm(inches: float) -> float:
    """Millimetres in `inches` (US publications give positions in inches)."""
    return round(inches * 25.4, 3)


# --- DIN 5008:2020 letter forms on A4 -------------------------------------------------------
# The address field (Anschriftfeld) is 85 x 45 mm, 20 mm from the left edge; its top is 27 mm
# from the top of the page for form A and 45 mm for form B. Its upper 17.7 mm are the
# "Zusatz- und Vermerkzone" (return address and endorsements, 5 lines at 8 pt), the lower
# 27.3 mm the "Anschriftzone" (the recipient, 6 lines). Figures as published with DIN 5008
# and DIN 676, e.g. https://www.korrespondenz-din-5008.de/briefe-schreiben/din-5008-adressfeld/
DIN5008_ADDRESS_FIELD_LEFT_MM = 20.0
DIN5008_ADDRESS_FIELD_WIDTH_MM = 85.0
DIN5008_ADDRESS_FIELD_HEIGHT_MM = 45.0
DIN5008_ENDORSEMENT_ZONE_HEIGHT_MM = 17.7  # Zusatz- und Vermerkzone
DIN5008_ADDRESS_ZONE_HEIGHT_MM = 27.3  # Anschriftzone
DIN5008_A_ADDRESS_FIELD_TOP_MM = 27.0  # form A: letterhead 27 mm high
DIN5008_B_ADDRESS_FIELD_TOP_MM = 45.0  # form B: letterhead 45 mm high
DIN5008_A_ADDRESS_TOP_MM = DIN5008_A_ADDRESS_FIELD_TOP_MM + DIN5008_ENDORSEMENT_ZONE_HEIGHT_MM
DIN5008_B_ADDRESS_TOP_MM = DIN5008_B_ADDRESS_FIELD_TOP_MM + DIN5008_ENDORSEMENT_ZONE_HEIGHT_MM
DIN5008_LEFT_MARGIN_MM = 25.0  # body text starts here; the barcode lives left of it
# Fold marks: form A folds at 87 and 192 mm, form B at 105 and 210 mm (DIN 5008 / DIN 676).
DIN5008_A_FOLD_MARKS_MM = (87.0, 192.0)
DIN5008_B_FOLD_MARKS_MM = (105.0, 210.0)

# --- DIN 680 window envelopes ---------------------------------------------------------------
# DL (110 x 220 mm) window: 90 x 45 mm, 20 mm from the left and 15 mm from the bottom edge
# (DIN 680, as summarised in https://de.wikipedia.org/wiki/DIN_lang). C5 and C4 window
# envelopes place the same 90 x 45 mm window over the DIN 5008 address field of a letter
# folded once (C5) or flat (C4), so the zone on the page is the same for a given form.
DL_ENVELOPE_MM = (220.0, 110.0)
C5_ENVELOPE_MM = (229.0, 162.0)
C4_ENVELOPE_MM = (324.0, 229.0)
DIN680_WINDOW_WIDTH_MM = 90.0
DIN680_WINDOW_HEIGHT_MM = 45.0
DIN680_DL_WINDOW_LEFT_MM = 20.0
DIN680_DL_WINDOW_BOTTOM_MM = 15.0
# A4 is 210 mm wide in a 220 or 229 mm envelope: the sheet travels about 5 mm either way, so
# the clear zone extends the address zone by this much left, right and below. Above, it stops
# at the address zone: the Zusatz- und Vermerkzone legitimately holds the return address.
DIN5008_CLEAR_MARGIN_MM = 5.0

# --- USPS #10 double-window envelope, US Letter tri-folded ----------------------------------
# #10 envelope: 4 1/8 x 9 1/2 in. Recipient block on the page: 0.5 in from the left, 2.042 in
# from the top, at most 3.5 x 0.875 in; return block 0.5 in / 0.5 in, 3.5 x 0.792 in (the
# PostalMethods developer guide for #10 double-window letters,
# http://www.postalmethods.com/resources/developers-guide/127). USPS wants at least 1/8 in
# between the address and every window edge, hence the clear margin.
US10_ENVELOPE_MM = (_mm(9.5), _mm(4.125))
US10_ADDRESS_LEFT_MM = _mm(0.5)
US10_ADDRESS_TOP_MM = _mm(2.042)
US10_ADDRESS_WIDTH_MM = _mm(3.5)
US10_ADDRESS_HEIGHT_MM = _mm(0.875)
US10_RETURN_LEFT_MM = _mm(0.5)
US10_RETURN_TOP_MM = _mm(0.5)
US10_RETURN_WIDTH_MM = _mm(3.5)
US10_RETURN_HEIGHT_MM = _mm(0.792)
US10_CLEAR_MARGIN_MM = _mm(0.125)

# --- USPS flat: US Letter unfolded in a 9 x 12 in double-window envelope -------------------
# USPS Domestic Mail Manual 101 (Physical Standards): a piece more than 6-1/8 in high, 11-1/2
# in long or 1/4 in thick is a flat ("large envelope"), up to 12 x 15 x 3/4 in, and a
# First-Class Mail flat weighs at most 13 oz (368 g). A 9 x 12 in envelope takes an 8.5 x 11
# in sheet unfolded and is a flat by its 12 in length. No public source we found gives
# where Click2Mail's "Flat Envelope" has its window: Postroom's choice is two windows over
# the #10 double window's blocks at the same place on the sheet (recipient 0.5 in / 2.042
# in from the sheet's top-left corner, return 0.5 in / 0.5 in), so that a document laid
# out for a #10 with the address on its first page goes into a flat unchanged.
US9X12_ENVELOPE_MM = (_mm(12.0), _mm(9.0))
FIRST_CLASS_FLAT_MAX_WEIGHT_G = 368  # 13 oz

# --- Inserter barcode -----------------------------------------------------------------------
# A 12 x 12 mm DataMatrix square (room for a 16 x 16 module symbol at 0.5 mm and its quiet
# zone) in the left margin, 6 mm from the edge: left of the 25 mm DIN body margin and of
# the 1 in US margin, below the second fold of either DIN form and the second tri-fold of a
# US Letter sheet, so it is never in a window, never on a fold and never near the address.
BARCODE_SIDE_MM = 12.0
BARCODE_LEFT_MM = 6.0
A4_BARCODE_TOP_MM = 250.0
LETTER_BARCODE_TOP_MM = 230.0

# --- Sheets per envelope --------------------------------------------------------------------
# Our choices for what an inserter folds and stuffs reliably at 80 g/m2, not postal limits:
# DL and #10 hold about 6 sheets folded in three, C5 about 10 folded once, C4 about 50 flat.
DL_SHEET_CAPACITY = 6
C5_SHEET_CAPACITY = 10
C4_SHEET_CAPACITY = 50
US10_SHEET_CAPACITY = 6
# A flat 9 x 12 in holds 50 sheets as C4 does: 50 US Letter sheets of the heaviest paper
# offered (100 g/m², 6.03 g) and the envelope (17 g) weigh 319 g, under a flat's 13 oz.
US9X12_SHEET_CAPACITY = 50


def _din_address_zone(field_top_mm: float) -> Zone:
    return Zone(
        left_mm=DIN5008_ADDRESS_FIELD_LEFT_MM,
        top_mm=field_top_mm + DIN5008_ENDORSEMENT_ZONE_HEIGHT_MM,
        width_mm=DIN5008_ADDRESS_FIELD_WIDTH_MM,
        height_mm=DIN5008_ADDRESS_ZONE_HEIGHT_MM,
    )


def _din_endorsement_zone(field_top_mm: float) -> Zone:
    return Zone(
        left_mm=DIN5008_ADDRESS_FIELD_LEFT_MM,
        top_mm=field_top_mm,
        width_mm=DIN5008_ADDRESS_FIELD_WIDTH_MM,
        height_mm=DIN5008_ENDORSEMENT_ZONE_HEIGHT_MM,
    )


def _clear_zone(address: Zone, margin_mm: float, *, above_mm: float) -> Zone:
    return Zone(
        left_mm=address.left_mm - margin_mm,
        top_mm=address.top_mm - above_mm,
        width_mm=address.width_mm + 2 * margin_mm,
        height_mm=address.height_mm + margin_mm + above_mm,
    )


A4_BARCODE_ZONE = Zone(BARCODE_LEFT_MM, A4_BARCODE_TOP_MM, BARCODE_SIDE_MM, BARCODE_SIDE_MM)
LETTER_BARCODE_ZONE = Zone(BARCODE_LEFT_MM, LETTER_BARCODE_TOP_MM, BARCODE_SIDE_MM, BARCODE_SIDE_MM)
US10_ADDRESS_ZONE = Zone(
    US10_ADDRESS_LEFT_MM, US10_ADDRESS_TOP_MM, US10_ADDRESS_WIDTH_MM, US10_ADDRESS_HEIGHT_MM
)


def _din_layout(
    code: str, envelope: EnvelopeType, field_top_mm: float, capacity: int
) -> EnvelopeLayout:
    address = _din_address_zone(field_top_mm)
    return EnvelopeLayout(
        code=code,
        envelope=envelope,
        page_format=PageFormat.A4,
        window=True,
        address_zone=address,
        clear_zone=_clear_zone(address, DIN5008_CLEAR_MARGIN_MM, above_mm=0.0),
        barcode_zone=A4_BARCODE_ZONE,
        sheet_capacity=capacity,
    )


def _us_double_window_layout(code: str, envelope: EnvelopeType, capacity: int) -> EnvelopeLayout:
    return EnvelopeLayout(
        code=code,
        envelope=envelope,
        page_format=PageFormat.LETTER,
        window=True,
        address_zone=US10_ADDRESS_ZONE,
        clear_zone=_clear_zone(
            US10_ADDRESS_ZONE, US10_CLEAR_MARGIN_MM, above_mm=US10_CLEAR_MARGIN_MM
        ),
        barcode_zone=LETTER_BARCODE_ZONE,
        sheet_capacity=capacity,
    )


_ALL_LAYOUTS = (
    _din_layout("din5008_a", EnvelopeType.DL, DIN5008_A_ADDRESS_FIELD_TOP_MM, DL_SHEET_CAPACITY),
    _din_layout("c5_din5008_a", EnvelopeType.C5, DIN5008_A_ADDRESS_FIELD_TOP_MM, C5_SHEET_CAPACITY),
    _din_layout("c4_din5008_a", EnvelopeType.C4, DIN5008_A_ADDRESS_FIELD_TOP_MM, C4_SHEET_CAPACITY),
    _din_layout("din5008_b", EnvelopeType.DL, DIN5008_B_ADDRESS_FIELD_TOP_MM, DL_SHEET_CAPACITY),
    _din_layout("c5_din5008_b", EnvelopeType.C5, DIN5008_B_ADDRESS_FIELD_TOP_MM, C5_SHEET_CAPACITY),
    _din_layout("c4_din5008_b", EnvelopeType.C4, DIN5008_B_ADDRESS_FIELD_TOP_MM, C4_SHEET_CAPACITY),
    _us_double_window_layout(ErrorCode.US10_DOUBLE_WINDOW, EnvelopeType.US10, US10_SHEET_CAPACITY),
    # The flat's windows are where the #10's are on the sheet (see its constants above).
    _us_double_window_layout(
        ErrorCode.US9X12_DOUBLE_WINDOW, EnvelopeType.US9X12, US9X12_SHEET_CAPACITY
    ),
    # No window: Postroom prints an address page and puts the address where DIN 5008 form B
    # has it, so the same page still works if an operator loads DL window envelopes instead.
    EnvelopeLayout(
        code=ErrorCode.WINDOWLESS,
        envelope=EnvelopeType.C4,
        page_format=PageFormat.A4,
        window=False,
        address_zone=_din_address_zone(DIN5008_B_ADDRESS_FIELD_TOP_MM),
        clear_zone=_clear_zone(
            _din_address_zone(DIN5008_B_ADDRESS_FIELD_TOP_MM),
            DIN5008_CLEAR_MARGIN_MM,
            above_mm=0.0,
        ),
        barcode_zone=A4_BARCODE_ZONE,
        sheet_capacity=C4_SHEET_CAPACITY,
    ),
)

LAYOUTS: dict[str, EnvelopeLayout] = {layout.code: layout for layout in _ALL_LAYOUTS}

# Where the sender's return line goes: the DIN Zusatz- und Vermerkzone, and the upper
# window of the #10 double-window envelope (and of the flat 9 x 12 in, at the same place).
RETURN_ADDRESS_ZONES: dict[str, Zone] = {
    **{
        code: _din_endorsement_zone(DIN5008_A_ADDRESS_FIELD_TOP_MM)
        for code in ("din5008_a", "c5_din5008_a", "c4_din5008_a")
    },
    **{
        code: _din_endorsement_zone(DIN5008_B_ADDRESS_FIELD_TOP_MM)
        for code in ("din5008_b", "c5_din5008_b", "c4_din5008_b")
    },
    **{
        code: Zone(
            US10_RETURN_LEFT_MM, US10_RETURN_TOP_MM, US10_RETURN_WIDTH_MM, US10_RETURN_HEIGHT_MM
        )
        for code in ("us10_double_window", "us9x12_double_window")
    },
    # The window-less layout's address page is set as DIN form B (see its layout above).
    "windowless": _din_endorsement_zone(DIN5008_B_ADDRESS_FIELD_TOP_MM),
}


# The return line (DIN 5008's Rücksendeangabe): one line in small type, 7 pt (6 pt when it
# is wider than its zone). DIN puts it at the foot of the Zusatz- und Vermerkzone, directly
# above the address zone; on US Letter it goes at the top of the #10 envelope's return
# window, 1/8 in inside its edges.
RETURN_FONT_SIZE_PT = 7.0
RETURN_SMALLEST_FONT_SIZE_PT = 6.0
RETURN_ASCENT = 0.8  # of the font size, above the baseline (as the address page sets type)
RETURN_DESCENT = 0.3
A4_RETURN_BASELINE_ABOVE_MM = 2.5  # above the address zone: its descenders stay 1.7 mm clear
LETTER_RETURN_INSET_MM = _mm(0.125)
RETURN_MARGIN_MM = 0.5  # around the line's box: what must be blank for it to be printed


def return_line_baseline_mm(layout: EnvelopeLayout, zone: Zone) -> float:
    """The baseline of the return line in its `zone` (RETURN_ADDRESS_ZONES) on `layout`."""
    if layout.page_format is PageFormat.LETTER:
        ascent = RETURN_ASCENT * RETURN_FONT_SIZE_PT * MM_PER_POINT
        return zone.top_mm + LETTER_RETURN_INSET_MM + ascent
    return zone.bottom_mm - A4_RETURN_BASELINE_ABOVE_MM


def return_line_zone(layout: EnvelopeLayout) -> Zone | None:
    """Where the layout's return line is printed (its line box and a small margin, across
    its zone): what must be blank in a document whose first page takes it. None: no room."""
    zone = RETURN_ADDRESS_ZONES.get(layout.code)
    if zone is None:
        return None
    baseline = return_line_baseline_mm(layout, zone)
    top = baseline - RETURN_ASCENT * RETURN_FONT_SIZE_PT * MM_PER_POINT - RETURN_MARGIN_MM
    bottom = baseline + RETURN_DESCENT * RETURN_FONT_SIZE_PT * MM_PER_POINT + RETURN_MARGIN_MM
    return Zone(zone.left_mm, top, zone.width_mm, bottom - top)


def layout_for(code: str) -> EnvelopeLayout:
    """The layout named `code`; KeyError listing the known codes otherwise."""
    try:
        return LAYOUTS[code]
    except KeyError:
        known = ", ".join(sorted(LAYOUTS))
        raise KeyError(f"unknown envelope layout {code!r}; known layouts: {known}") from None
