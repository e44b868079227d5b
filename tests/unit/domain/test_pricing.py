"""Prices computed by hand from the default table: print, colour, envelope, postage, zones."""

from __future__ import annotations

from typing import Any

import pytest

from postroom.domain.geometry import LAYOUTS, EnvelopeType, PageFormat
from postroom.domain.model import Plex, Postage
from postroom.domain.pricing import (
    DEFAULT_PRICE_TABLE,
    PiecePrice,
    PriceTable,
    PricingError,
    Zone,
    piece_weight_mg,
    price_piece,
    zone_of,
)


def _price(pages: int, **kw: Any) -> PiecePrice:
    args: dict[str, Any] = {
        "page_count": pages,
        "plex": Plex.SIMPLEX,
        "color": False,
        "postage": Postage.ECONOMY,
        "paper": "80g",
        "layout": LAYOUTS["din5008_a"],
        "destination": "SE",
        "home_country": "SE",
    }
    args.update(kw)
    return price_piece(DEFAULT_PRICE_TABLE, **args)


def test_an_a4_sheet_of_80_g_paper_weighs_4_99_g() -> None:
    # 80 g/m² x 0.06237 m² = 4.9896 g; with a DL envelope of 4.5 g.
    one = piece_weight_mg(
        sheets=1, paper_g_m2=80, page_format=PageFormat.A4, envelope=EnvelopeType.DL
    )
    assert one == 4_990 + 4_500
    letter = piece_weight_mg(
        sheets=1, paper_g_m2=80, page_format=PageFormat.LETTER, envelope=EnvelopeType.US10
    )
    assert letter == 4_826 + 5_500  # 80 x 0.060322 m² = 4.82576 g


def test_one_page_domestic_economy_letter() -> None:
    price = _price(1)
    # print 1 x 150, DL envelope 50, economy domestic up to 20 g 1100
    assert price.amount_minor == 150 + 50 + 1_100
    assert price.sheets == 1 and price.weight_g == 10
    assert price.postage_band_g == 20 and price.zone is Zone.DOMESTIC


def test_a_us_flat_pays_a_flats_postage_and_its_envelope() -> None:
    args: dict[str, Any] = {"paper": "90g", "destination": "US", "home_country": "US"}
    letter = _price(1, layout=LAYOUTS["us10_double_window"], **args)
    flat = _price(1, layout=LAYOUTS["us9x12_double_window"], **args)
    # #10: print 150, envelope 50, economy domestic <= 20 g 1100 (5.43 + 5.5 g = 11 g)
    assert (letter.amount_minor, letter.weight_g) == (150 + 50 + 1_100, 11)
    # 9 x 12 flat: print 150, envelope 120, flat economy domestic <= 50 g: the letter's
    # 1100 in that band plus its first band's 1100 again (5.43 + 17 g = 23 g)
    assert (flat.amount_minor, flat.weight_g, flat.postage_band_g) == (150 + 120 + 2_200, 23, 50)
    # Its 50 sheets of the heaviest paper stay under a First-Class flat's 13 oz (368 g).
    full = _price(50, layout=LAYOUTS["us9x12_double_window"], **{**args, "paper": "100g"})
    assert full.weight_g == 319 <= 368


def test_a_flats_postage_is_overridden_on_its_own() -> None:
    table = PriceTable.from_dict(
        {"envelope_postage": {"US9X12": {"economy": {"domestic": [5] * 7}}}}
    )
    assert table.envelope_postage["US9X12"]["economy"]["domestic"] == (5,) * 7
    flat_priority = DEFAULT_PRICE_TABLE.envelope_postage["US9X12"]["priority"]
    assert table.envelope_postage["US9X12"]["priority"] == flat_priority
    assert table.postage == DEFAULT_PRICE_TABLE.postage
    with pytest.raises(ValueError, match="postage for domestic"):
        PriceTable.from_dict({"envelope_postage": {"US9X12": {"economy": {"domestic": [5]}}}})


def test_duplex_colour_priority_to_europe() -> None:
    price = _price(5, plex=Plex.DUPLEX, color=True, postage=Postage.PRIORITY, destination="DE")
    # 3 sheets: 3 x 4.9896 + 4.5 = 19.47 g -> 20 g band; print 3 x 200, colour 5 x 100,
    # envelope 50, priority Europe <= 20 g 3000
    assert price.sheets == 3 and price.weight_g == 20
    assert price.amount_minor == 600 + 500 + 50 + 3_000


def test_heavier_letters_move_up_a_band_and_registered_adds_its_surcharge() -> None:
    # 6 sheets of 100 g/m²: 6 x 6.237 = 37.422 g + 4.5 = 41.922 -> 42 g, band <= 50 g
    price = _price(6, paper="100g", postage=Postage.REGISTERED, destination="US")
    assert price.weight_g == 42 and price.postage_band_g == 50
    assert price.zone is Zone.WORLD
    # print 6 x 150, envelope 50, priority world <= 50 g 3000, registered 9500
    assert price.amount_minor == 900 + 50 + 3_000 + 9_500


def test_an_address_page_is_a_sheet_too() -> None:
    price = _price(2, layout=LAYOUTS["windowless"])
    # 3 sheets in a C4: 3 x 4.9896 + 17.5 = 32.47 g -> 33 g, band <= 50 g
    assert price.sheets == 3 and price.weight_g == 33
    assert price.amount_minor == 450 + 120 + 1_100


def test_express_adds_its_surcharge() -> None:
    assert _price(1, express=True).amount_minor == 1_300 + 1_000


def test_zones() -> None:
    assert zone_of("SE", "SE") is Zone.DOMESTIC
    assert zone_of("NO", "SE") is Zone.EUROPE
    assert zone_of("SE", "US") is Zone.EUROPE
    assert zone_of("JP", "SE") is Zone.WORLD


def test_too_heavy_and_unknown_paper_are_refused_with_codes() -> None:
    with pytest.raises(PricingError) as heavy:
        _price(500, layout=LAYOUTS["c4_din5008_a"], paper="300g")
    assert heavy.value.code == "too_heavy"
    with pytest.raises(PricingError) as paper:
        _price(1, paper="glossy")
    assert paper.value.code == "unknown_paper"


def test_a_json_table_overrides_the_defaults() -> None:
    table = PriceTable.from_dict(
        {"sheet_simplex": 99, "envelope": {"DL": 1}, "postage": {"economy": {"domestic": [7] * 7}}}
    )
    price = price_piece(
        table,
        page_count=2,
        plex=Plex.SIMPLEX,
        color=False,
        postage=Postage.ECONOMY,
        paper="80g",
        layout=LAYOUTS["din5008_a"],
        destination="SE",
        home_country="SE",
    )
    assert price.amount_minor == 2 * 99 + 1 + 7
    assert table.envelope["C4"] == DEFAULT_PRICE_TABLE.envelope["C4"]
    with pytest.raises(ValueError):
        PriceTable.from_dict({"postage": {"economy": {"domestic": [1, 2]}}})
    with pytest.raises(ValueError):
        PriceTable.from_dict({"nonsense": 1})
