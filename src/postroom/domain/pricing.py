"""What a mail piece costs: printing, colour, envelope and postage by weight band and zone.

Pure and integer-only: every amount is in the currency's minor unit (öre, cents) and every
weight in milligrams until it is rounded up to whole grams for the postage band."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from postroom.domain.eligibility import sheets_needed
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.geometry import EnvelopeLayout, EnvelopeType, PageFormat
from postroom.domain.model import Plex, Postage

# Sheet areas in mm² (ISO 216 A4 210 x 297 mm = 0.06237 m²; US Letter 215.9 x 279.4 mm
# = 0.0603 m², rounded down to the mm²). Weight of a sheet = grammage x area.
SHEET_AREA_MM2: dict[PageFormat, int] = {PageFormat.A4: 62_370, PageFormat.LETTER: 60_322}

# Envelope weights in mg, estimated as 2.3 x the face area (two faces plus flap and side
# seams) x the usual grammage of window envelopes: DL 220 x 110 mm at 80 g/m² = 4.45 g,
# C5 229 x 162 mm at 90 g/m² = 7.7 g, C4 324 x 229 mm at 100 g/m² = 17.1 g, US #10
# 241 x 105 mm at 24 lb bond (90 g/m²) = 5.2 g, US 9 x 12 in (305 x 229 mm) at 28 lb
# (105 g/m²) = 16.8 g. Makers' catalogues list 4-5 g, 7-8 g, 15-20 g, 5-6 g and 15-18 g
# for these, so the estimates are rounded up to stay on the safe side.
ENVELOPE_WEIGHT_MG: dict[EnvelopeType, int] = {
    EnvelopeType.DL: 4_500,
    EnvelopeType.C5: 8_000,
    EnvelopeType.C4: 17_500,
    EnvelopeType.US10: 5_500,
    EnvelopeType.US9X12: 17_000,
}
# Reply mail's return envelope, inserted folded: a DL envelope (the template is A4 folded
# in three to fit it).
REPLY_ENVELOPE_WEIGHT_MG = ENVELOPE_WEIGHT_MG[EnvelopeType.DL]

# Upper bounds of the postage weight bands, in grams (the steps of PostNord's and most
# European posts' letter tariffs).
WEIGHT_BANDS_G: tuple[int, ...] = (20, 50, 100, 250, 500, 1000, 2000)

# Destinations charged at the European rate (EU, EEA, Switzerland, the UK and the
# European micro-states); every other country outside the home country is "world".
EUROPE: frozenset[str] = frozenset((
    "AD", "AL", "AT", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
    "FO", "FR", "GB", "GI", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC",
    "MD", "ME", "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS", "SE", "SI", "SK", "SM", "UA",
    "VA",
))  # fmt: skip


class Zone(StrEnum):
    """Postage zone of a destination, seen from the service's home country."""

    DOMESTIC = "domestic"
    EUROPE = "europe"
    WORLD = "world"


class PricingError(InvalidInput):
    """The piece cannot be priced with this table (too heavy, unknown envelope or paper)."""

    code = ErrorCode.NOT_PRICEABLE


def zone_of(destination: str, home_country: str) -> Zone:
    """The postage zone of an ISO 3166-1 alpha-2 destination."""
    if destination == home_country:
        return Zone.DOMESTIC
    return Zone.EUROPE if destination in EUROPE else Zone.WORLD


def _default_postage() -> dict[str, dict[str, tuple[int, ...]]]:
    # Illustrative business tariffs in öre per band of WEIGHT_BANDS_G, in the shape of
    # PostNord's 2025 letter prices; an operator replaces them with POSTROOM_PRICE_TABLE.
    return {
        Postage.PRIORITY.value: {
            Zone.DOMESTIC.value: (1_400, 1_400, 2_800, 4_200, 7_000, 9_800, 12_600),
            Zone.EUROPE.value: (3_000, 3_000, 6_000, 9_000, 15_000, 24_000, 33_000),
            Zone.WORLD.value: (3_000, 3_000, 6_000, 12_000, 21_000, 36_000, 51_000),
        },
        Postage.ECONOMY.value: {
            Zone.DOMESTIC.value: (1_100, 1_100, 2_200, 3_300, 5_500, 7_700, 9_900),
            Zone.EUROPE.value: (2_600, 2_600, 5_200, 7_800, 13_000, 20_800, 28_600),
            Zone.WORLD.value: (2_600, 2_600, 5_200, 10_400, 18_200, 31_200, 44_200),
        },
    }


def _flat_postage() -> dict[str, dict[str, tuple[int, ...]]]:
    # USPS prices a First-Class Mail flat (large envelope) apart from a letter: its first
    # ounce costs about twice a letter's, each further ounce the same (2008: $0.83 against
    # $0.42 for 1 oz, $0.17 an ounce more for both, as listed in
    # http://www.ysci.org/Postage2008.htm; USPS Postal Bulletin 22218's First-Class Mail
    # fact sheet, https://about.usps.com/postal-bulletin/2007/html/pb22218/kit1_010.html:
    # folding a flat's contents into a letter saves $0.39 on the first ounce). In the
    # table's bands: each band of the letter price plus its first band again.
    return {
        postage: {zone: tuple(p + prices[0] for p in prices) for zone, prices in zones.items()}
        for postage, zones in _default_postage().items()
    }


@dataclass(frozen=True)
class PriceTable:
    """Every figure a price is made of; defaults in code, overridable from a JSON file."""

    currency: str = "SEK"
    sheet_simplex: int = 150  # per sheet printed on one side
    sheet_duplex: int = 200  # per sheet printed on both sides
    color_per_page: int = 100  # surcharge per page of content printed in colour
    envelope: dict[str, int] = field(
        default_factory=lambda: {"DL": 50, "C5": 70, "C4": 120, "US10": 50, "US9X12": 120}
    )
    # postage class (priority, economy) -> zone -> one price per weight band
    postage: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=_default_postage)
    # envelope -> a postage table of its own, in place of `postage` (a USPS flat)
    envelope_postage: dict[str, dict[str, dict[str, tuple[int, ...]]]] = field(
        default_factory=lambda: {EnvelopeType.US9X12.value: _flat_postage()}
    )
    registered_surcharge: int = 9_500  # registered = priority postage + this
    express_surcharge: int = 1_000  # production at once instead of at the daily cut-off
    # a given address that is not complete, completed from the document (Ekopost: "an extra
    # cost is added")
    address_completion_surcharge: int = 2_500
    # one part of a text message to one recipient (a text of three parts to 100 numbers is
    # 300 of these), charged when the message is accepted
    sms_part: int = 59
    # reply mail: the return envelope inserted with the letter (Ekopost: "We will add an
    # envelope to the mailing during production")
    reply_envelope_surcharge: int = 500

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PriceTable:
        """The defaults with the given keys replaced (the JSON form of POSTROOM_PRICE_TABLE)."""
        table = cls()
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown price table keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "postage":
                values[key] = _merged_postage(table.postage, value)
            elif key == "envelope_postage":
                values[key] = {
                    **table.envelope_postage,
                    **{
                        envelope: _merged_postage(table.envelope_postage.get(envelope, {}), zones)
                        for envelope, zones in value.items()
                    },
                }
            elif key == "envelope":
                values[key] = {**table.envelope, **{k: int(v) for k, v in value.items()}}
            elif key == "currency":
                values[key] = str(value)
            else:
                values[key] = int(value)
        result = replace(table, **values)
        result.check()
        return result

    def check(self) -> None:
        """Raise ValueError when a figure is negative or a band list has the wrong length."""
        for name in (
            "sheet_simplex",
            "sheet_duplex",
            "color_per_page",
            "address_completion_surcharge",
            "reply_envelope_surcharge",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        tables = [self.postage, *self.envelope_postage.values()]
        for zones in (z for postage in tables for z in postage.values()):
            for zone, prices in zones.items():
                if len(prices) != len(WEIGHT_BANDS_G) or min(prices) < 0:
                    raise ValueError(
                        f"postage for {zone} needs {len(WEIGHT_BANDS_G)} amounts >= 0, "
                        f"one per band {WEIGHT_BANDS_G}"
                    )


def _merged_postage(
    base: dict[str, dict[str, tuple[int, ...]]], given: dict[str, dict[str, Any]]
) -> dict[str, dict[str, tuple[int, ...]]]:
    """`base` with the given zones' bands replaced (the JSON form's postage tables)."""
    merged = {k: dict(v) for k, v in base.items()}
    for postage, zones in given.items():
        for zone, prices in zones.items():
            merged.setdefault(postage, {})[zone] = tuple(int(p) for p in prices)
    return merged


DEFAULT_PRICE_TABLE = PriceTable()


@dataclass(frozen=True)
class PriceLine:
    """One part of a price: what it is for, and its amount in minor units."""

    # print, color, envelope, postage, registered, express, address_completion, reply_envelope
    code: str
    amount_minor: int


@dataclass(frozen=True)
class PiecePrice:
    """A priced piece: what it weighs, which band and zone, and what it costs."""

    sheets: int
    weight_g: int
    postage_band_g: int  # the band's upper bound in grams
    zone: Zone
    amount_minor: int
    currency: str
    lines: tuple[PriceLine, ...]


def paper_grammage(paper: str) -> int:
    """80 from "80g" or "80G"; PricingError for anything else."""
    digits = paper.lower().removesuffix("g")
    if not digits.isdigit() or not 40 <= int(digits) <= 300:
        raise PricingError(
            f"paper {paper!r} is not a grammage such as 80g", code=ErrorCode.UNKNOWN_PAPER
        )
    return int(digits)


def piece_weight_mg(
    *,
    sheets: int,
    paper_g_m2: int,
    page_format: PageFormat,
    envelope: EnvelopeType,
    reply_envelope: bool = False,
) -> int:
    """Sheets times grammage times sheet area, plus the envelope (and the return envelope
    of reply mail), in milligrams."""
    # g/m² x mm² = µg; rounded up to the milligram.
    sheet_ug = paper_g_m2 * SHEET_AREA_MM2[page_format]
    inserted = REPLY_ENVELOPE_WEIGHT_MG if reply_envelope else 0
    return -(-sheets * sheet_ug // 1000) + ENVELOPE_WEIGHT_MG[envelope] + inserted


def weight_band(weight_g: int) -> int:
    """Index of the postage band holding this weight; PricingError above the last."""
    for index, bound in enumerate(WEIGHT_BANDS_G):
        if weight_g <= bound:
            return index
    raise PricingError(
        f"the piece weighs {weight_g} g; letters go up to {WEIGHT_BANDS_G[-1]} g",
        code=ErrorCode.TOO_HEAVY,
    )


def price_piece(
    table: PriceTable,
    *,
    page_count: int,
    plex: Plex,
    color: bool,
    postage: Postage,
    paper: str,
    layout: EnvelopeLayout,
    destination: str,
    home_country: str,
    express: bool = False,
    address_page: bool = False,
    address_completion: bool = False,
    reply_envelope: bool = False,
) -> PiecePrice:
    """Price one piece: print per sheet, colour per page, envelope, postage (+ registered,
    express, the completion of an address given incomplete, and reply mail's return
    envelope)."""
    sheets = sheets_needed(page_count, plex, layout, address_page=address_page)
    envelope = layout.envelope
    weight_mg = piece_weight_mg(
        sheets=sheets,
        paper_g_m2=paper_grammage(paper),
        page_format=layout.page_format,
        envelope=envelope,
        reply_envelope=reply_envelope,
    )
    weight_g = -(-weight_mg // 1000)
    band = weight_band(weight_g)
    zone = zone_of(destination, home_country)
    per_sheet = table.sheet_duplex if plex is Plex.DUPLEX else table.sheet_simplex
    if envelope.value not in table.envelope:
        raise PricingError(
            f"the price table has no {envelope.value} price", code=ErrorCode.UNKNOWN_ENVELOPE
        )
    postage_class = Postage.PRIORITY if postage is Postage.REGISTERED else postage
    postage_table = table.envelope_postage.get(envelope.value, table.postage)
    lines = [
        PriceLine("print", sheets * per_sheet),
        PriceLine("envelope", table.envelope[envelope.value]),
        PriceLine("postage", postage_table[postage_class.value][zone.value][band]),
    ]
    if color:
        lines.append(PriceLine("color", page_count * table.color_per_page))
    if postage is Postage.REGISTERED:
        lines.append(PriceLine("registered", table.registered_surcharge))
    if express:
        lines.append(PriceLine("express", table.express_surcharge))
    if address_completion:
        lines.append(PriceLine("address_completion", table.address_completion_surcharge))
    if reply_envelope:
        lines.append(PriceLine("reply_envelope", table.reply_envelope_surcharge))
    return PiecePrice(
        sheets=sheets,
        weight_g=weight_g,
        postage_band_g=WEIGHT_BANDS_G[band],
        zone=zone,
        amount_minor=sum(line.amount_minor for line in lines),
        currency=table.currency,
        lines=tuple(lines),
    )
