"""Envelope and page geometry as named millimetre constants (origin: the page's top-left corner).

Filled in from DIN 5008 and USPS publications; every constant cites its source."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
